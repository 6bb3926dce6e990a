"""Two servers on one PostgreSQL under load, then check that nothing went wrong.

    make soak                                   # 120 s, 8 clients, 2,000 demo orders
    make soak SECONDS=600 CLIENTS=16
    .venv/bin/python scripts/soak.py --seconds 30 --orders 300     # what `make test` runs under CI=true

Creates a fresh PostgreSQL database (SOAK_DATABASE_URL, default `backoffice_soak` on the local
server), loads demo data, starts two gunicorn servers (2 workers each, separate processes on two
ports, as two machines would run them), a local SMTP server that records every mail, and
`flask periodic` in a loop. Then CLIENTS staff sessions log in through the login form and, for
the given time, each picks a random server and a random back-office request: list searches,
quick search, order and customer pages, and the htmx actions mark paid, cancel (with and
without fee), refund what is due, extend, reactivate, approve, deny, block/unblock a ticket,
edit, tag and anonymize customers, and sell the last tickets of a small quota through the JSON
API, all clients at once. Afterwards the database is checked: money adds up on every order, no
refund beyond its payment, no quota or seat oversold (the small quota refused sales only once sold out), every changed order has its history entry, no mail sent twice, no 5xx answer. Prints a table per request kind (count, refusals, p50, p95) and exits 1
on any violation.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (BIN, HTMX, ROOT, Browser, csrf_header, flask, free_port, start_gunicorn,  # noqa: E402
                   stop_gunicorn, wait_until_up)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/backoffice_soak"
ORG = "demo"
#: answers that are a refusal a person would also get (stale form, wrong state): not failures
REFUSALS = {409, 422}
#: tickets of the product the clients sell through the API at the same time
SALE_QUOTA = 12
SALE_KIND = "API: sell last tickets"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Leave the database for a look afterwards.")
    return parser.parse_args()


# --- setup ------------------------------------------------------------------------------------

def fresh_database(url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class MailSink:
    """An SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        import logging

        from aiosmtpd.controller import Controller
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.messages: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes, policy
                message = message_from_bytes(envelope.content, policy=policy.default)
                with sink.lock:
                    sink.messages.append((str(message["To"]), str(message["Subject"])))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Targets:
    """What the clients act on, read from the database once."""
    event_slugs: dict[int, str]
    orders: list[tuple[str, str]]  # (event slug, code)
    approval: list[tuple[str, str]]
    customers: list[str]
    families: list[str]
    sale: Sale | None = None


@dataclass
class Sale:
    """A product with a small quota, sold through the API by every client at once."""
    event: str
    item: int
    quota: int
    token: str


def prepare_sale(app) -> Sale:
    """A new product and quota of SALE_QUOTA tickets in the demo organizer's first single event,
    and an API token of its all-permission team."""
    from sqlalchemy import select

    from backoffice.domain import api_tokens, items, quotas
    from backoffice.domain.audit import Actor
    from backoffice.domain.models import Event, Organizer, Team
    from backoffice.extensions import db
    with app.app_context():
        organizer = db.session.scalar(select(Organizer).where(Organizer.slug == ORG))
        event = db.session.scalars(select(Event).where(Event.organizer_id == organizer.id,
                                                       Event.has_subevents.is_(False)).order_by(Event.id)).first()
        team = db.session.scalars(select(Team).where(Team.organizer_id == organizer.id, Team.all_events.is_(True),
                                                     Team.can_change_orders.is_(True)).order_by(Team.id)).first()
        actor = Actor(label="soak")
        item = items.create_item(event, actor=actor, name="Soak: last tickets", default_price="10.00",
                                 admission=True)
        quota = quotas.create_quota(event, actor=actor, name="Soak: last tickets", size=str(SALE_QUOTA),
                                    items=[str(item.id)])
        _token, plain = api_tokens.create_token(team, name="soak", actor=actor)
        sale = Sale(event.slug, item.id, quota.id, plain)
        db.session.commit()
        db.session.remove()
    return sale


def read_targets(app) -> Targets:
    from sqlalchemy import select

    from backoffice.domain.models import Customer, Event, Order
    from backoffice.extensions import db
    with app.app_context():
        slugs = dict(db.session.execute(select(Event.id, Event.slug)).all())
        rows = db.session.execute(select(Order.event_id, Order.code, Order.require_approval, Order.status)).all()
        customers = list(db.session.scalars(select(Customer.identifier).where(Customer.anonymized_at.is_(None))))
        names = db.session.scalars(select(Customer.name_cached).limit(300))
        families = sorted({n.split()[-1] for n in names if n and len(n.split()[-1]) > 2})
        db.session.remove()
    return Targets(slugs, [(slugs[e], c) for e, c, _a, _s in rows],
                   [(slugs[e], c) for e, c, a, s in rows if a and s == "n"], customers, families or ["Smith"])


# --- the clients --------------------------------------------------------------------------------

@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float, path: str, body: str) -> None:
        with self.lock:
            self.times[kind].append(seconds)
            self.statuses[kind][status] += 1
            if status >= 500 or status in (400, 403, 404):
                self.errors.append(f"{kind}: {status} on {path}: {body[:300]!r}")


SEEN = re.compile(r'name="seen" value="([^"]*)"')
POSITION = re.compile(r'/positions/(\d+)/block"')


class Client:
    def __init__(self, ports: list[int], targets: Targets, tally: Tally, rng: random.Random):
        self.ports, self.targets, self.tally, self.rng = ports, targets, tally, rng
        self.browsers = {}
        for port in ports:
            browser = Browser(port)
            browser.login()
            page = browser.request("GET", f"/{ORG}/")
            self.browsers[port] = (browser, csrf_header(page.body))

    def call(self, kind: str, method: str, path: str, body: dict | None = None, htmx: bool = False):
        browser, token = self.browsers[self.rng.choice(self.ports)]
        headers = dict(HTMX, **{"X-CSRFToken": token}) if htmx or method == "POST" else {}
        started = time.perf_counter()
        response = browser.request(method, path, body=body, headers=headers)
        self.tally.add(kind, response.status, time.perf_counter() - started, path, response.body)
        return response

    # each returns nothing; statuses and times go to the tally

    def order_page(self, event: str, code: str):
        return self.call("order page", "GET", f"/{ORG}/events/{event}/orders/{code}/")

    def action(self, kind: str, name: str, fields: dict | None = None, orders=None):
        event, code = self.rng.choice(orders or self.targets.orders)
        page = self.order_page(event, code)
        seen = SEEN.search(page.body)
        if page.status != 200 or seen is None or f'/orders/{code}/{name}"' not in page.body:
            return  # the page does not offer this action for the order's state
        data = {"seen": seen.group(1), **(fields or {})}
        if name == "refunds/due":
            data.update(refund_due_fields(page.body))
        self.call(kind, "POST", f"/{ORG}/events/{event}/orders/{code}/{name}", data)

    def block(self):
        event, code = self.rng.choice(self.targets.orders)
        page = self.order_page(event, code)
        seen, position = SEEN.search(page.body), POSITION.search(page.body)
        if page.status != 200 or seen is None or position is None:
            return
        self.call("block/unblock ticket", "POST",
                  f"/{ORG}/events/{event}/orders/{code}/positions/{position.group(1)}/block",
                  {"seen": seen.group(1), "block": self.rng.choice(["add", "remove"])})

    def api_sale(self):
        """One ticket of the small quota through the API; once it is sold out, a 400 naming the quota."""
        sale = self.targets.sale
        body = {"email": f"soak{self.rng.randrange(10**6)}@example.org", "locale": "en", "payment_provider": "manual",
                "send_email": False, "positions": [{"item": sale.item}]}
        connection = http.client.HTTPConnection("127.0.0.1", self.rng.choice(self.ports), timeout=60)
        path = f"/api/v1/organizers/{ORG}/events/{sale.event}/orders/"
        started = time.perf_counter()
        try:
            connection.request("POST", path, body=json.dumps(body),
                               headers={"Authorization": f"Token {sale.token}", "Content-Type": "application/json"})
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        # sold out is the refusal a box office would get too
        sold_out = response.status == 400 and ("quota" in text.lower() or "available" in text.lower())
        status = 409 if sold_out else response.status
        self.tally.add(SALE_KIND, status, time.perf_counter() - started, path, text)

    def customer_edit(self):
        identifier = self.rng.choice(self.targets.customers)
        form = self.call("customer edit form", "GET", f"/{ORG}/customers/{identifier}/edit", htmx=True)
        if form.status != 200:
            return
        fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.body))
        fields.pop("csrf_token", None)
        fields["city"] = self.rng.choice(["Berlin", "Köln", "München", "Łódź"])
        self.call("customer edit", "POST", f"/{ORG}/customers/{identifier}/edit", fields)

    def step(self):
        r, t = self.rng, self.targets
        event, code = r.choice(t.orders)
        until = (dt.date.today() + dt.timedelta(days=r.randint(1, 30))).isoformat()
        choices = [
            (6, lambda: self.call("order list search", "GET", f"/{ORG}/orders/?q={quote(r.choice(t.families))}")),
            (4, lambda: self.call("quick search", "GET", f"/search?q={quote(code[:4])}", htmx=True)),
            (4, lambda: self.call("customer search", "GET", f"/{ORG}/customers/?q={quote(r.choice(t.families))}")),
            (6, lambda: self.order_page(event, code)),
            (3, lambda: self.call("customer page", "GET", f"/{ORG}/customers/{r.choice(t.customers)}/")),
            (3, lambda: self.action("mark paid", "mark_paid", {"send_email": "on"})),
            (2, lambda: self.action("cancel", "cancel", {"send_email": "on"})),
            (2, lambda: self.action("cancel with fee", "cancel", {"cancellation_fee": "5.00"})),
            (2, lambda: self.action("refund due", "refunds/due")),
            (2, lambda: self.action("extend", "extend", {"until": until})),
            (1, lambda: self.action("reactivate", "reactivate")),
            (2, lambda: self.action("approve", "approve", {"send_email": "on"}, t.approval)),
            (1, lambda: self.action("deny", "deny", {"send_email": "on", "comment": "Sold out"}, t.approval)),
            (3, self.block),
            (2, self.customer_edit),
            (2, self.api_sale),
            (1, lambda: self.call("anonymize customer", "POST",
                                  f"/{ORG}/customers/{r.choice(t.customers)}/anonymize", {})),
            (2, lambda: self.call("customer tag", "POST", f"/{ORG}/customers/{r.choice(t.customers)}/tags",
                                  {"tag": r.choice(["vip", "press", "staff"])})),
        ]
        weights = [w for w, _ in choices]
        r.choices([c for _, c in choices], weights)[0]()


def refund_due_fields(page: str) -> dict:
    match = re.search(r'name="expected" value="([^"]*)"', page)
    return {"expected": match.group(1)} if match else {}


# --- invariants -----------------------------------------------------------------------------------

def check_database(app, started: dt.datetime, mails: list[tuple[str, str]]) -> list[str]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import selectinload

    from backoffice.domain import orders as order_rules
    from backoffice.domain.availability import quota_used
    from backoffice.domain.models import (LogEntry, Order, OrderPosition, OrderStatus, OutboxEmail, OutboxStatus,
                                          Quota)
    from backoffice.extensions import db
    problems: list[str] = []
    with app.app_context():
        all_orders = db.session.scalars(select(Order).options(
            selectinload(Order.all_positions), selectinload(Order.all_fees), selectinload(Order.payments),
            selectinload(Order.refunds))).all()
        for order in all_orders:
            problems += money_problems(order, order_rules, OrderStatus)
        for quota in db.session.scalars(select(Quota).where(Quota.size.is_not(None))):
            used = quota_used(quota)
            if used > quota.size:
                problems.append(f"quota {quota.name} (event {quota.event_id}) oversold: {used} of {quota.size}")
        taken = db.session.execute(
            select(OrderPosition.seat_id, func.count()).join(Order)
            .where(OrderPosition.seat_id.is_not(None), OrderPosition.canceled.is_(False),
                   Order.status.in_([OrderStatus.PAID, OrderStatus.PENDING]))
            .group_by(OrderPosition.seat_id).having(func.count() > 1)).all()
        problems += [f"seat {seat} sold {n} times" for seat, n in taken]
        astray = db.session.scalars(select(OrderPosition.id).join(Order)
                                    .where(OrderPosition.event_id != Order.event_id)).all()
        problems += [f"ticket {pid} names another event than its order" for pid in astray]
        changed = db.session.scalars(select(Order.id).where(Order.last_modified >= started)).all()
        logged = set(db.session.scalars(select(LogEntry.object_id).where(
            LogEntry.object_type == "order", LogEntry.datetime >= started)))
        problems += [f"order {oid} changed without a history entry" for oid in changed if oid not in logged]
        sent = db.session.execute(select(OutboxEmail.to, OutboxEmail.subject)
                                  .where(OutboxEmail.status == OutboxStatus.SENT)).all()
        problems += mail_problems(Counter(tuple(m) for m in sent), Counter(mails))
        db.session.remove()
    return problems


def sale_problems(app, sale: Sale, tally: Tally) -> list[str]:
    """The small quota is never oversold, and a client was told "sold out" only when it was."""
    from backoffice.domain.availability import quota_used
    from backoffice.domain.models import Quota
    from backoffice.extensions import db
    with app.app_context():
        used = quota_used(db.session.get(Quota, sale.quota))
        db.session.remove()
    refused = tally.statuses[SALE_KIND][409]
    if used > SALE_QUOTA:
        return [f"the small quota of {SALE_QUOTA} holds {used} tickets"]
    if refused and used < SALE_QUOTA:
        return [f"{refused} sales refused as sold out while the small quota held {used} of {SALE_QUOTA}"]
    return []


def money_problems(order, rules, status) -> list[str]:
    problems = []
    live = [p.price for p in order.all_positions if not p.canceled]
    fees = [f.value for f in order.all_fees if not f.canceled]
    canceled_with_fee = rules.canceled_with_fee(order)
    if order.status != status.CANCELED and not canceled_with_fee and sum(live + fees) != order.total:
        problems.append(f"order {order.code}: total {order.total} but its lines add up to {sum(live + fees)}")
    for payment in order.payments:
        refunded = sum(r.amount for r in order.refunds if r.payment_id == payment.id
                       and r.state in rules.COUNTED_REFUND_STATES)
        if refunded > payment.amount:
            problems.append(f"order {order.code}: payment {payment.local_id} refunded {refunded} of {payment.amount}")
    t = rules.totals(order)
    if order.status == status.PAID and not canceled_with_fee and t.open > 0:
        problems.append(f"order {order.code} is paid but {t.open} is open")
    return problems


def mail_problems(outbox_sent: Counter, received: Counter) -> list[str]:
    problems = []
    for mail, n in received.items():
        if n > outbox_sent.get(mail, 0):
            problems.append(f"mail {mail} received {n} times, sent {outbox_sent.get(mail, 0)} times by the outbox")
    return problems


# --- report ------------------------------------------------------------------------------------

def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def report(tally: Tally, seconds: float, clients: int, orders: int, mails: int) -> None:
    total = sum(len(v) for v in tally.times.values())
    print(f"\n{total:,} requests in {seconds:.0f} s by {clients} clients on 2 servers (2 workers each), "
          f"{orders:,} demo orders, PostgreSQL; {mails} mails received by the SMTP server")
    print(f"{'request':<24}{'count':>7}{'refused':>9}{'5xx':>6}{'p50 ms':>9}{'p95 ms':>9}")
    for kind in sorted(tally.times):
        times, statuses = tally.times[kind], tally.statuses[kind]
        refused = sum(n for s, n in statuses.items() if s in REFUSALS)
        errors = sum(n for s, n in statuses.items() if s >= 500)
        print(f"{kind:<24}{len(times):>7}{refused:>9}{errors:>6}{statistics.median(times) * 1000:>9.1f}"
              f"{p95(times) * 1000:>9.1f}")


def main() -> int:
    args = parse_args()
    url = os.environ.get("SOAK_DATABASE_URL", DEFAULT_URL)
    fresh_database(url)
    sink = MailSink()
    env = dict(os.environ, FLASK_APP="app", DATABASE_URL=url, SECRET_KEY="soak-" + os.urandom(16).hex(),
               MAIL_SERVER="127.0.0.1", MAIL_PORT=str(sink.port), BASE_URL="http://soak.test",
               SLOW_REQUEST_MS="5000")
    logs = Path(os.environ.get("SOAK_LOG_DIR", "/tmp"))
    servers, periodic = [], None
    try:
        flask(env, "db", "upgrade")
        flask(env, "demo-data", "--orders", str(args.orders), "--customers", str(max(50, args.orders // 4)))
        from backoffice import create_app
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        targets = read_targets(app)
        targets.sale = prepare_sale(app)
        ports = [free_port(), free_port()]
        for port in ports:
            log = logs / f"backoffice-soak-{port}.log"
            servers.append((start_gunicorn(env, port, 2, log), port, log))
        for server, port, log in servers:
            wait_until_up(server, port, log)
        stop = threading.Event()
        periodic = threading.Thread(target=periodic_loop, args=(env, stop), daemon=True)
        started = dt.datetime.now(dt.timezone.utc)
        periodic.start()
        tally = Tally()
        rng = random.Random(args.seed)
        clients = [Client(ports, targets, tally, random.Random(rng.random())) for _ in range(args.clients)]
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=drive, args=(c, deadline, tally)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stop.set()
        periodic.join(60)
        for server, _port, _log in servers:
            stop_gunicorn(server)
        flask(env, "periodic")  # the last due mails
        time.sleep(1)
        with sink.lock:
            mails = list(sink.messages)
        report(tally, args.seconds, args.clients, args.orders, len(mails))
        problems = tally.errors + check_database(app, started, mails) + sale_problems(app, targets.sale, tally)
    finally:
        for server, _port, _log in servers:
            stop_gunicorn(server)
        sink.stop()
        if not args.keep:
            drop_database(url)
    if problems:
        print(f"\n{len(problems)} VIOLATION(S):")
        for problem in problems[:50]:
            print("  " + problem)
        return 1
    print("\nInvariants hold: money adds up on every order, no refund beyond its payment, no quota or seat "
          "oversold, every ticket in its order's event, every changed order has its history, no mail sent "
          "twice, no 5xx.")
    return 0


def periodic_loop(env: dict, stop: threading.Event) -> None:
    while not stop.is_set():
        subprocess.run([str(BIN / "flask"), "periodic"], cwd=ROOT, env=env, capture_output=True)
        stop.wait(5)


def drive(client: Client, deadline: float, tally: Tally) -> None:
    while time.monotonic() < deadline:
        try:
            client.step()
        except Exception as e:  # a client that crashes is a failure of the run, not of the server
            with tally.lock:
                tally.errors.append(f"client error: {type(e).__name__}: {e}")
            return


if __name__ == "__main__":
    sys.exit(main())
