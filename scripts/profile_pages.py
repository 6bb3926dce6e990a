"""Where does a page's time go? The statements each page of `make bench` sends, with their times.

    .venv/bin/python scripts/profile_pages.py                     # SQLite in /tmp/backoffice-bench-100000
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python scripts/profile_pages.py
    .venv/bin/python scripts/profile_pages.py --runs 20 --show 'customer detail'

Requests go through the Flask test client in this process (no HTTP, no gunicorn), so the
numbers are the application's and the database's work only. Per page it prints the median wall
time of a request and its 10th percentile (on a busy machine closer to what the request costs
than the median), its CPU time in this process (on SQLite that includes the database), the
number of statements, and the median of their summed wall time as the application sees it
(the time from sending a statement until its cursor returns: on PostgreSQL the round trip and
the server's work). The last page is the order page's htmx "extend deadline" action, a write
(each run moves the deadline of the event's newest pending order again and adds to its
history, as `make bench` does). `--cprofile TEXT` shows where the Python time of those pages
goes. `--show TEXT` prints every statement of one request of the pages whose label contains
TEXT, with its time. `--engine-options JSON` replaces the engine options (e.g.
'{"pool_pre_ping": false}'), to compare settings in one run; `--pages TEXT` keeps only the pages
whose label contains TEXT.
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="which bench database (SQLite folder)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--show", default=None, help="print the statements of pages whose label holds this")
    parser.add_argument("--pages", default=None, help="only pages whose label holds this")
    parser.add_argument("--engine-options", default=None, help="engine options as JSON")
    parser.add_argument("--cprofile", default=None,
                        help="profile the timed requests of pages whose label holds this; print where the "
                             "Python time goes (by own time)")
    parser.add_argument("--sort", default="tottime",
                        help="with --cprofile, the pstats order: tottime (own time) or cumulative")
    parser.add_argument("--lines", type=int, default=30, help="with --cprofile, how many functions to list")
    parser.add_argument("--explain", action="store_true",
                        help="with --show, EXPLAIN ANALYZE each SELECT shown (PostgreSQL): planner cost, "
                             "planning and execution time, JIT")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["BACKOFFICE_INSTANCE"] = f"/tmp/backoffice-bench-{args.orders}"
    from sqlalchemy import event, func, select

    from backoffice import create_app
    from bench import api_token as bench_api_token
    from backoffice.domain.models import Customer, Event, InvoiceAddress, Order, OrderStatus, Organizer, User
    from backoffice.extensions import db

    overrides = {"TESTING": True}
    if args.engine_options:
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = json.loads(args.engine_options)
    app = create_app(overrides)
    with app.app_context():
        # the same picks as scripts/bench.py
        event_id = db.session.execute(select(Order.event_id, func.count()).group_by(Order.event_id)
                                      .order_by(func.count().desc()).limit(1)).first()[0]
        ev = db.session.get(Event, event_id)
        organizer = db.session.get(Organizer, ev.organizer_id)
        order = db.session.scalars(
            select(Order).join(InvoiceAddress, InvoiceAddress.order_id == Order.id)
            .where(Order.event_id == ev.id, Order.email.is_not(None), InvoiceAddress.name_cached.is_not(None))
            .order_by(Order.id.desc()).limit(1)).first()
        n_customers = db.session.scalar(select(func.count()).select_from(Customer)
                                        .where(Customer.organizer_id == organizer.id))
        customer = db.session.scalars(
            select(Customer).where(Customer.organizer_id == organizer.id, Customer.email.is_not(None),
                                   Customer.name_cached.is_not(None))
            .order_by(Customer.id).offset(n_customers // 2).limit(1)).first()
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
        # the pending order whose deadline bench.py's htmx action moves
        pending = db.session.scalar(select(Order.code).order_by(Order.id.desc()).limit(1)
                                    .where(Order.event_id == ev.id, Order.status == OrderStatus.PENDING))
        org, slug, code = organizer.slug, ev.slug, order.code
        family = order.invoice_address.name_cached.split()[-1]
        email_part = order.email.split("@")[0][:6]
        c_family = customer.name_cached.split()[-1]
        c_email = customer.email.split("@")[0][:6]
        c_id = customer.identifier
        admin_id = admin.get_id()
        api_auth = {"Authorization": f"Token {bench_api_token(organizer)}", "Accept": "application/json"}
        engine = db.engine
        dialect = engine.dialect.name
        db.session.remove()

    orders = f"/{org}/events/{slug}/orders/"
    customers = f"/{org}/customers/"
    tickets = f"/{org}/events/{slug}/tickets/"
    htmx = {"HX-Request": "true"}
    pages = [
        ("event order list, first page", orders, None),
        (f"order list, search last name '{family}'", f"{orders}?search={quote(family)}", None),
        (f"order list, search email part '{email_part}'", f"{orders}?search={quote(email_part)}", None),
        ("organizer order list, first page", f"/{org}/orders/", None),
        (f"order detail {code}", f"{orders}{code}/", None),
        ("customer list, first page", customers, None),
        (f"customer search, last name '{c_family}'", f"{customers}?q={quote(c_family)}", None),
        (f"customer search, email part '{c_email}'", f"{customers}?q={quote(c_email)}", None),
        (f"customer detail {c_id}", f"{customers}{c_id}/", None),
        (f"quick search, order code {code}", f"/search?q={quote(code)}", htmx),
        (f"quick search, last name '{family}'", f"/search?q={quote(family)}", htmx),
        (f"quick search, email part '{email_part}'", f"/search?q={quote(email_part)}", htmx),
        ("event ticket list, first page", tickets, None),
        (f"ticket list, search last name '{family}'", f"{tickets}?search={quote(family)}", None),
        ("API event order list, page 1", f"/api/v1/organizers/{org}/events/{slug}/orders/", api_auth),
        ("API organizer order list, page 1", f"/api/v1/organizers/{org}/orders/", api_auth),
        (f"API order detail {code}", f"/api/v1/organizers/{org}/events/{slug}/orders/{code}/", api_auth),
        ("API event position list, page 1", f"/api/v1/organizers/{org}/events/{slug}/orderpositions/", api_auth),
        ("API customer list, page 1", f"/api/v1/organizers/{org}/customers/", api_auth),
    ]
    if pending:
        pages.append((f"htmx: extend deadline of {pending}", Extend(f"{orders}{pending}/"), htmx))
    if args.pages:
        pages = [p for p in pages if args.pages.lower() in p[0].lower()]

    statements: list[list] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        statements.append([statement, parameters, time.perf_counter(), None])

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        statements[-1][3] = time.perf_counter()

    client = app.test_client()
    api_client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = admin_id
        session["_fresh"] = True

    print(f"{dialect}, engine options {app.config.get('SQLALCHEMY_ENGINE_OPTIONS')}; "
          f"{args.warmup} warm-up + {args.runs} runs; load average {os.getloadavg()[0]:.2f}")
    print(f"{'page':46} {'wall ms':>8} {'p10':>6} {'CPU ms':>7} {'stmts':>6} {'db ms':>6}")
    for label, url, headers in pages:
        walls, cpus, dbs, counts = [], [], [], []
        profiler = cProfile.Profile() if args.cprofile and args.cprofile.lower() in label.lower() else None
        for i in range(args.warmup + args.runs):
            if profiler is not None and i == args.warmup:
                profiler.enable()
            statements.clear()
            start, cpu = time.perf_counter(), time.process_time()
            if isinstance(url, Extend):
                response = url.send(client, headers)
            else:
                # API clients send their token, no session cookie (which would load the user too)
                response = (api_client if url.startswith("/api/") else client).get(url, headers=headers)
            response.get_data()
            wall, cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            if i >= args.warmup:
                walls.append(wall)
                cpus.append(cpu)
                counts.append(len(statements))
                dbs.append(sum((s[3] - s[2]) * 1000 for s in statements if s[3]))
        if profiler is not None:
            profiler.disable()
        p10 = sorted(walls)[len(walls) // 10]
        print(f"{label[:46]:46} {statistics.median(walls):8.1f} {p10:6.1f} {statistics.median(cpus):7.1f} "
              f"{statistics.median(counts):6.0f} {statistics.median(dbs):6.1f}", flush=True)
        if profiler is not None:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
        if args.show and args.show.lower() in label.lower():
            shown = list(statements)
            for statement, parameters, begun, ended in shown:
                took = (ended - begun) * 1000 if ended else float("nan")
                text = " ".join(statement.split())
                print(f"    {took:6.2f} ms  {text[:300]}  {str(parameters)[:120]}")
                if args.explain and dialect == "postgresql" and text.startswith(("SELECT", "WITH")):
                    print("             " + explain(engine, statement, parameters))


class Extend:
    """The order page's "Extend deadline" form as htmx posts it (bench.ExtendAction), with the
    `seen` of the last answer: a write, its history entry and the fragment it renders."""

    def __init__(self, order_url: str):
        self.order_url = order_url
        self.token = self.seen = None

    def send(self, client, headers):
        from bench import csrf_header, form_value
        if self.seen is None:
            page = client.get(self.order_url).get_data(as_text=True)
            self.token, self.seen = csrf_header(page), form_value(page, "seen")
        until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        response = client.post(self.order_url + "extend", data={"until": until, "seen": self.seen},
                               headers={**headers, "X-CSRFToken": self.token, "HX-Target": "order-summary"})
        if response.status_code == 200:
            self.seen = form_value(response.get_data(as_text=True), "seen")
        return response


def explain(engine, statement: str, parameters) -> str:
    """One line about the plan of a statement as it ran: cost, times, JIT."""
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        plan = cursor.fetchone()[0][0]
        conn.rollback()
    jit = plan.get("JIT")
    jit_ms = sum(v for v in jit["Timing"].values() if isinstance(v, (int, float))) if jit else 0
    return (f"cost {plan['Plan']['Total Cost']:.0f}, planning {plan['Planning Time']:.2f} ms, "
            f"execution {plan['Execution Time']:.2f} ms" + (f", JIT {jit_ms:.1f} ms" if jit else ""))


if __name__ == "__main__":
    main()
