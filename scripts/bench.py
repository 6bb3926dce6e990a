"""Serve a big demo database with gunicorn and time the main pages over real HTTP.

    make bench                          # 100,000 orders, SQLite in /tmp/backoffice-bench-100000
    make bench N=10000 RUNS=20
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench make bench N=100000
    .venv/bin/python scripts/bench.py --orders 100000 --dir /tmp/mybench

Upgrades the schema, loads demo data of the given size (customers: half the orders) when the
database is empty and reuses it otherwise, starts gunicorn with 2 workers on a free loopback
port, logs in through the login form as the demo admin and requests each page `--warmup` times
to warm up, then `--runs` times. Prints median and p95 per page, the memory of each worker and the
machine's load, and exits with 1 when any request failed. The htmx action extends the payment
deadline of one pending order, so every run adds entries to that order's history.

The 20 warm-up requests per page are what a server that has run for a while has behind it. On
PostgreSQL each worker's connection prepares a lookup by key at its sixth run and plans it once
after five more (backoffice/plans.py); with two workers taking turns, a page's first 20 or so
requests still pay for parsing and planning. `--warmup 3` shows a server's first minute.

The JSON API rows send `Authorization: Token …` with a team token made for the run through the
domain (the demo admin's team: every permission, all events); after the rows, a few clients at
once request the API's event order list for some seconds and the requests per second are printed.
`--only TEXT` times only the rows whose label contains TEXT (e.g. `--only API`).
"""
from __future__ import annotations

import argparse
import datetime as dt
import html
import http.client
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "demo-admin"
HTMX = {"HX-Request": "true"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="dataset size (10000, 100000, 1000000)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20,
                        help="untimed requests per page first (PostgreSQL plans a lookup once after ~10 per worker)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--dir", default=None,
                        help="folder of the SQLite database (default /tmp/backoffice-bench-N); "
                             "ignored when DATABASE_URL is set")
    parser.add_argument("--only", default=None, help="time only the rows whose label contains this text")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients of the API throughput run")
    parser.add_argument("--seconds", type=float, default=5, help="length of the API throughput run (0: none)")
    return parser.parse_args()


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ, FLASK_APP="app", SECRET_KEY=secrets.token_hex(32))
    if not env.get("DATABASE_URL"):
        folder = Path(args.dir or f"/tmp/backoffice-bench-{args.orders}")
        folder.mkdir(parents=True, exist_ok=True)
        env["BACKOFFICE_INSTANCE"] = str(folder)
    return env


def database_label(env: dict[str, str]) -> str:
    url = env.get("DATABASE_URL")
    if not url:
        return f"SQLite {env['BACKOFFICE_INSTANCE']}/backoffice.sqlite3"
    kind = url.split(":", 1)[0].split("+", 1)[0]
    # host and database name only: the URL may carry a password
    return f"{kind} {url.rsplit('@', 1)[-1]}"


def flask(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([str(BIN / "flask"), *arguments], cwd=ROOT, env=env, check=True)


# --- data ------------------------------------------------------------------------------------

@dataclass
class Sample:
    """What the pages are asked about: picked from the database like scripts/measure_orders.py."""
    orders: int
    customers: int
    event_orders: int
    organizer: str
    event: str
    code: str
    order_family: str
    order_email_part: str
    customer_id: str
    customer_family: str
    customer_email_part: str
    pending_code: str | None
    api_token: str = ""


def count_rows(env: dict[str, str]) -> tuple[int, int]:
    app = _app(env)
    from sqlalchemy import func, select

    from backoffice.domain.models import Customer, Order
    from backoffice.extensions import db
    with app.app_context():
        try:
            return (db.session.scalar(select(func.count()).select_from(Order)),
                    db.session.scalar(select(func.count()).select_from(Customer)))
        finally:
            db.engine.dispose()


def pick(env: dict[str, str]) -> Sample:
    app = _app(env)
    from sqlalchemy import func, select

    from backoffice.domain.models import Customer, Event, InvoiceAddress, Order, OrderStatus, Organizer
    from backoffice.extensions import db
    with app.app_context():
        try:
            event_id, event_orders = db.session.execute(
                select(Order.event_id, func.count()).group_by(Order.event_id)
                .order_by(func.count().desc()).limit(1)).one()
            event = db.session.get(Event, event_id)
            organizer = db.session.get(Organizer, event.organizer_id)
            order = db.session.scalars(
                select(Order).join(InvoiceAddress, InvoiceAddress.order_id == Order.id)
                .where(Order.event_id == event.id, Order.email.is_not(None), InvoiceAddress.name_cached.is_not(None))
                .order_by(Order.id.desc()).limit(1)).first()
            customers = db.session.scalar(select(func.count()).select_from(Customer)
                                          .where(Customer.organizer_id == organizer.id))
            customer = db.session.scalars(
                select(Customer).where(Customer.organizer_id == organizer.id, Customer.email.is_not(None),
                                       Customer.name_cached.is_not(None))
                .order_by(Customer.id).offset(customers // 2).limit(1)).first()
            # a pending order whose deadline the htmx action may move
            pending = db.session.scalar(
                select(Order.code).where(Order.event_id == event.id, Order.status == OrderStatus.PENDING)
                .order_by(Order.id.desc()).limit(1))
            return Sample(
                orders=db.session.scalar(select(func.count()).select_from(Order)),
                customers=db.session.scalar(select(func.count()).select_from(Customer)),
                event_orders=event_orders, organizer=organizer.slug, event=event.slug, code=order.code,
                order_family=order.invoice_address.name_cached.split()[-1],
                order_email_part=order.email.split("@")[0][:6],
                customer_id=customer.identifier, customer_family=customer.name_cached.split()[-1],
                customer_email_part=customer.email.split("@")[0][:6], pending_code=pending,
                api_token=api_token(organizer))
        finally:
            db.engine.dispose()


def api_token(organizer) -> str:
    """A new token of the demo admin's team, made like the team page makes one."""
    from sqlalchemy import select

    from backoffice.domain import api_tokens
    from backoffice.domain.audit import Actor
    from backoffice.domain.models import Team, User
    from backoffice.extensions import db
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    team = db.session.scalars(select(Team).where(Team.organizer_id == organizer.id, Team.members.contains(admin))
                              .order_by(Team.id)).first()
    if team is None:
        raise SystemExit(f"{ADMIN_EMAIL} is in no team of {organizer.slug}: no API token for the API rows")
    _token, plain = api_tokens.create_token(team, name=f"bench {dt.datetime.now():%Y-%m-%d %H:%M}",
                                            actor=Actor(label="bench"))
    db.session.commit()
    return plain


_APPS: dict[tuple, object] = {}


def _app(env: dict[str, str]):
    """The application for reading `env`'s database, created once per database in this process
    (bench_pair.py reads two)."""
    key = (env.get("DATABASE_URL"), env.get("BACKOFFICE_INSTANCE"))
    if key in _APPS:
        return _APPS[key]
    # the app reads its configuration from the environment when it is created
    for name in ("DATABASE_URL", "BACKOFFICE_INSTANCE", "SECRET_KEY"):
        if name in env:
            os.environ[name] = env[name]
        else:
            os.environ.pop(name, None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from backoffice import create_app
    _APPS[key] = create_app()
    return _APPS[key]


def ensure_data(env: dict[str, str], orders: int) -> None:
    flask(env, "db", "upgrade")
    existing, _ = count_rows(env)
    if existing == orders:
        print(f"Reusing the demo data with {orders:,} orders.", flush=True)
        return
    if existing:
        raise SystemExit(f"The database holds {existing:,} orders, not {orders:,}: "
                         "choose another folder (--dir) or an empty database.")
    print(f"Loading demo data: {orders:,} orders, {orders // 2:,} customers …", flush=True)
    started = time.monotonic()
    flask(env, "demo-data", "--orders", str(orders), "--customers", str(orders // 2))
    print(f"Demo data loaded in {time.monotonic() - started:.0f} s.", flush=True)


# --- gunicorn --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "app:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # gunicorn's master stops its workers on SIGTERM
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wait_until_up(server: subprocess.Popen, port: int, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped (exit {server.returncode}):\n{log.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/login")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on port {port} within {timeout:.0f} s")


def workers_of(master: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # the field after the state is the parent's pid
            children.append(int(entry.name))
    return sorted(children)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- HTTP ------------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    body: str
    headers: http.client.HTTPMessage


@dataclass
class Browser:
    """One logged-in staff session over plain HTTP; gunicorn closes each connection."""
    port: int
    cookies: SimpleCookie = field(default_factory=SimpleCookie)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> Response:
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies.load(header)
        return Response(response.status, text, response.headers)

    def login(self) -> None:
        page = self.request("GET", "/login")
        response = self.request("POST", "/login", body={
            "csrf_token": form_value(page.body, "csrf_token"), "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        if response.status != 302:
            raise SystemExit(f"Login as {ADMIN_EMAIL} failed: status {response.status}")


def form_value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    if match is None:
        raise SystemExit(f"No field '{name}' on the page")
    return html.unescape(match.group(1))


def csrf_header(page: str) -> str:
    # the token base.html gives every htmx request
    match = re.search(r'"X-CSRFToken": "([^"]+)"', html.unescape(page))
    if match is None:
        raise SystemExit("No X-CSRFToken on the page")
    return match.group(1)


class ExtendAction:
    """POST the order page's "Extend deadline" form like htmx does, with the `seen` it shows."""

    def __init__(self, browser: Browser, order_url: str):
        self.browser = browser
        self.url = order_url + "extend"
        page = browser.request("GET", order_url)
        if page.status != 200:
            raise SystemExit(f"{order_url} answered {page.status}")
        self.token = csrf_header(page.body)
        self.seen = form_value(page.body, "seen")
        self.until = (dt.date.today() + dt.timedelta(days=30)).isoformat()

    def __call__(self) -> Response:
        response = self.browser.request(
            "POST", self.url, body={"until": self.until, "seen": self.seen},
            headers={**HTMX, "X-CSRFToken": self.token, "HX-Target": "order-summary"})
        if response.status == 200:
            self.seen = form_value(response.body, "seen")  # the change moved the order's last_modified
        return response


# --- measuring -------------------------------------------------------------------------------

@dataclass
class Result:
    label: str
    times: list[float]
    failures: list[str]
    skipped: bool = False  # the page does not exist in this version (404): shown as n/a
    cpu_ms: float = float("nan")  # CPU time of the gunicorn workers per timed request


class MaybeMissing:
    """A page that may not exist yet: measured when it answers, "n/a" when it answers 404."""

    def __init__(self, send):
        self.send = send

    def __call__(self) -> Response:
        return self.send()


def pages(s: Sample, browser: Browser) -> list[tuple[str, object]]:
    org, q = s.organizer, quote
    orders = f"/{org}/events/{s.event}/orders/"
    customers = f"/{org}/customers/"
    tickets = f"/{org}/events/{s.event}/tickets/"

    def get(path: str, headers: dict | None = None):
        return lambda: browser.request("GET", path, headers=headers)
    result = [
        ("event order list, first page", get(orders)),
        (f"order list, search last name '{s.order_family}'", get(f"{orders}?search={q(s.order_family)}")),
        (f"order list, search email part '{s.order_email_part}'", get(f"{orders}?search={q(s.order_email_part)}")),
        ("organizer order list, first page", get(f"/{org}/orders/")),
        (f"order detail {s.code}", get(f"{orders}{s.code}/")),
        ("customer list, first page", get(customers)),
        (f"customer search, last name '{s.customer_family}'", get(f"{customers}?q={q(s.customer_family)}")),
        (f"customer search, email part '{s.customer_email_part}'", get(f"{customers}?q={q(s.customer_email_part)}")),
        (f"customer detail {s.customer_id}", get(f"{customers}{s.customer_id}/")),
        (f"quick search, order code {s.code}", get(f"/search?q={q(s.code)}", HTMX)),
        (f"quick search, last name '{s.order_family}'", get(f"/search?q={q(s.order_family)}", HTMX)),
        (f"quick search, email part '{s.order_email_part}'", get(f"/search?q={q(s.order_email_part)}", HTMX)),
        ("event ticket list, first page", MaybeMissing(get(tickets))),
        (f"ticket list, search last name '{s.order_family}'", MaybeMissing(get(f"{tickets}?search={q(s.order_family)}"))),
    ]
    if s.pending_code:
        result.append((f"htmx: extend deadline of {s.pending_code}", ExtendAction(browser, f"{orders}{s.pending_code}/")))
    return result + [(label, get(path, api_headers(s))) for label, path in api_pages(s)]


def api_headers(s: Sample) -> dict[str, str]:
    return {"Authorization": f"Token {s.api_token}", "Accept": "application/json"}


def api_event_orders(s: Sample) -> str:
    return f"/api/v1/organizers/{s.organizer}/events/{s.event}/orders/"


def api_pages(s: Sample) -> list[tuple[str, str]]:
    api = f"/api/v1/organizers/{s.organizer}"
    return [
        ("API event order list, page 1", api_event_orders(s)),
        ("API organizer order list, page 1", f"{api}/orders/"),
        (f"API order detail {s.code}", f"{api_event_orders(s)}{s.code}/"),
        ("API event position list, page 1", f"{api}/events/{s.event}/orderpositions/"),
        ("API customer list, page 1", f"{api}/customers/"),
    ]


@dataclass
class Throughput:
    label: str
    clients: int
    seconds: float
    done: int
    failed: int
    cpu_ms: float


def throughput(port: int, path: str, headers: dict[str, str], clients: int, seconds: float,
               workers: list[int]) -> Throughput:
    """`clients` threads request `path` one after another for `seconds`: completed requests per
    second with the server busy, which the one-at-a-time medians do not show."""
    counts = [[0, 0] for _ in range(clients)]
    stop = time.monotonic() + seconds

    def client(tally: list[int]) -> None:
        while time.monotonic() < stop:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                tally[0 if response.status == 200 else 1] += 1
            except OSError:
                tally[1] += 1
            finally:
                connection.close()

    cpu_before = cpu_seconds(workers)
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(tally,)) for tally in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    done = sum(c[0] for c in counts)
    cpu = (cpu_seconds(workers) - cpu_before) * 1000 / max(done, 1)
    return Throughput(path, clients, elapsed, done, sum(c[1] for c in counts), cpu)


def measure(label: str, send, runs: int, warmup: int, workers: list[int] = ()) -> Result:
    result = Result(label, [], [])
    if isinstance(send, MaybeMissing) and send().status == 404:
        result.skipped = True
        return result
    cpu_before = 0.0
    for i in range(warmup + runs):
        if i == warmup:
            cpu_before = cpu_seconds(workers)
        timed(send, result, keep=i >= warmup)
    if workers and runs:
        result.cpu_ms = (cpu_seconds(workers) - cpu_before) * 1000 / runs
    return result


def timed(send, result: Result, keep: bool) -> None:
    """One request of a page: its time goes into `result` when `keep`; a failure always does."""
    start = time.perf_counter()
    response = send()
    elapsed = (time.perf_counter() - start) * 1000
    if not 200 <= response.status < 300:
        result.failures.append(f"{response.status} {response.headers.get('Location', '')}".strip())
    elif keep:
        result.times.append(elapsed)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (/proc/<pid>/stat, in clock ticks): over
    a page's timed requests, the work of serving them whatever else runs on the machine, where
    the wall time also holds the waits for a CPU that a busy machine adds."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def p95(times: list[float]) -> float:
    if len(times) < 2:
        return times[0] if times else float("nan")
    return statistics.quantiles(times, n=20, method="inclusive")[-1]


def report(results: list[Result], sample: Sample, env: dict[str, str], args, rss: dict[int, float],
           loads: tuple[tuple[float, ...], tuple[float, ...]], rate: Throughput | None = None) -> None:
    print()
    print(f"Database: {database_label(env)}")
    print(f"Data: {sample.orders:,} orders, {sample.customers:,} customers; "
          f"event '{sample.event}' has {sample.event_orders:,} orders")
    print(f"gunicorn: {args.workers} workers on 127.0.0.1, {os.cpu_count()} CPUs; "
          f"{args.warmup} warm-up + {args.runs} timed requests per page")
    print("Load average (1/5/15 min) before: {:.2f} {:.2f} {:.2f}, after: {:.2f} {:.2f} {:.2f}".format(
        *loads[0], *loads[1]))
    print()
    width = max(len(r.label) for r in results)
    print(f"| {'page':{width}} | median ms | p95 ms | CPU ms | failed |")
    print(f"|{'-' * (width + 2)}|----------:|-------:|-------:|-------:|")
    for r in results:
        if r.skipped:
            print(f"| {r.label:{width}} | {'n/a':>9} | {'n/a':>6} | {'n/a':>6} | {'n/a':>6} |")
            continue
        median = statistics.median(r.times) if r.times else float("nan")
        print(f"| {r.label:{width}} | {median:9.1f} | {p95(r.times):6.1f} | {r.cpu_ms:6.1f} | {len(r.failures):6d} |")
    if rate is not None:
        print()
        print(f"Throughput of {rate.label}: {rate.done / rate.seconds:.1f} requests/s with {rate.clients} "
              f"concurrent clients over {rate.seconds:.1f} s ({rate.done} answered, {rate.failed} failed, "
              f"{rate.cpu_ms:.1f} CPU ms per request)")
    print()
    for pid, mib in rss.items():
        print(f"gunicorn worker {pid}: RSS {mib:.0f} MiB")
    for r in results:
        if r.failures:
            print(f"FAILED {r.label}: {', '.join(sorted(set(r.failures)))}")


def main() -> int:
    args = parse_args()
    env = bench_env(args)
    ensure_data(env, args.orders)
    sample = pick(env)
    log = Path(env.get("BACKOFFICE_INSTANCE", "/tmp")) / f"gunicorn-bench-{os.getpid()}.log"
    port = free_port()
    # SIGTERM (e.g. from a CI timeout) unwinds through `finally` and stops gunicorn too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_gunicorn(env, port, args.workers, log)
    try:
        wait_until_up(server, port, log)
        print(f"gunicorn (pid {server.pid}) answers on http://127.0.0.1:{port}/; log in {log}", flush=True)
        loads_before = os.getloadavg()
        browser = Browser(port)
        browser.login()
        results = []
        workers = workers_of(server.pid)
        for label, send in pages(sample, browser):
            if args.only and args.only.lower() not in label.lower():
                continue
            results.append(measure(label, send, args.runs, args.warmup, workers))
            print(f"  {label}: done", file=sys.stderr)
        rate = None
        if args.seconds > 0 and (not args.only or args.only.lower() in "api event order list"):
            rate = throughput(port, api_event_orders(sample), api_headers(sample), args.clients, args.seconds, workers)
            if rate.failed:
                results.append(Result("API throughput run", [], [f"{rate.failed} requests"]))
        rss = {pid: rss_mib(pid) for pid in workers_of(server.pid)}
        report(results, sample, env, args, rss, (loads_before, os.getloadavg()), rate)
    finally:
        stop_gunicorn(server)
    if not sample.pending_code and not args.only:
        print("FAILED: no pending order in the event, so the htmx action was not measured")
        return 1
    return 1 if any(r.failures for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
