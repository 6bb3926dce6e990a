"""Time the event's ticket list next to the event's order list, on a big database.

    mkdir -p /tmp/tl
    DATABASE_URL=sqlite:////tmp/tl/bench.sqlite3 FLASK_APP=app .venv/bin/flask db upgrade
    DATABASE_URL=sqlite:////tmp/tl/bench.sqlite3 FLASK_APP=app .venv/bin/flask demo-data \
        --orders 100000 --customers 50000
    DATABASE_URL=sqlite:////tmp/tl/bench.sqlite3 .venv/bin/python scripts/bench_tickets.py [--runs 15]

100,000 demo orders hold about 271,000 tickets, 168,000 of them in the biggest event. Each row
renders the list view (queries and template, the HTML page as a browser gets it; login and
permission checks left out, as they cost the same for every page) `--runs` times after two
warm-up runs, and prints the median and p95 of the time taken and the median CPU time of this
process (SQLite runs inside it, so on a shared machine the CPU time is the steadier number).
The machine's load is printed too: compare rows of the same run, not runs. The last row exports the whole ticket list as
CSV once.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import g  # noqa: E402
from sqlalchemy import event as sa_event, func, select  # noqa: E402

from backoffice import create_app  # noqa: E402
from backoffice.domain.models import Event, InvoiceAddress, Order, OrderPosition, Organizer  # noqa: E402
from backoffice.extensions import db  # noqa: E402


def pick() -> dict:
    """The biggest event by tickets; the last name of its latest order's invoice name (as
    scripts/bench.py picks it) and the beginning of one of its ticket secrets."""
    event_id, tickets = db.session.execute(
        select(Order.event_id, func.count(OrderPosition.id)).join(OrderPosition, OrderPosition.order_id == Order.id)
        .group_by(Order.event_id).order_by(func.count(OrderPosition.id).desc()).limit(1)).one()
    event = db.session.get(Event, event_id)
    name = db.session.scalar(select(InvoiceAddress.name_cached).join(Order, Order.id == InvoiceAddress.order_id)
                             .where(Order.event_id == event_id, InvoiceAddress.name_cached.is_not(None))
                             .order_by(Order.id.desc()).limit(1))
    secret = db.session.scalar(select(OrderPosition.secret).join(Order, Order.id == OrderPosition.order_id)
                               .where(Order.event_id == event_id).order_by(OrderPosition.id.desc()).limit(1))
    return dict(event=event, organizer=db.session.get(Organizer, event.organizer_id), tickets=tickets,
                orders=db.session.scalar(select(func.count()).select_from(Order).where(Order.event_id == event_id)),
                family=name.split()[-1], secret=secret[:8])


def rows(sample: dict) -> list[tuple[str, str, str]]:
    family, secret = sample["family"], sample["secret"]
    return [
        ("order list, first page", "orders", ""),
        ("ticket list, first page", "tickets", ""),
        (f"order list, search '{family}'", "orders", f"search={family}"),
        (f"ticket list, search '{family}'", "tickets", f"search={family}"),
        (f"ticket list, search secret '{secret}'", "tickets", f"search={secret}"),
        ("ticket list, page 20", "tickets", "page=20"),
        ("ticket list, newest first", "tickets", "sort=-datetime"),
        ("ticket list, by order code", "tickets", "sort=code"),
        ("ticket list, by position id", "tickets", "sort=positionid"),
        ("ticket list, by attendee name", "tickets", "sort=attendee_name"),
        ("ticket list, by order status, descending", "tickets", "sort=-status"),
        ("ticket list, paid and checked in", "tickets", "status=p&has_checkin=true"),
        ("ticket list, not checked in", "tickets", "has_checkin=false"),
        (f"ticket list, search '{family}' by attendee name", "tickets", f"search={family}&sort=attendee_name"),
        ("order list, search 'anna'", "orders", "search=anna"),
        ("ticket list, search 'anna' (many matches)", "tickets", "search=anna"),
    ]


def view_of(kind: str):
    from backoffice.web import tickets
    from backoffice.web.orders import lists
    # the undecorated view: login and permission checks are the same for every page
    return (tickets.ticket_list if kind == "tickets" else lists.event_list).__wrapped__


def render(app, sample: dict, kind: str, query: str) -> tuple[float, float, int]:
    organizer, event = sample["organizer"], sample["event"]
    path = f"/{organizer.slug}/events/{event.slug}/{kind}/"
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)
    with app.test_request_context(f"{path}?{query}"):
        g.organizer, g.event, g.teams = organizer, event, []
        sa_event.listen(db.engine, "before_cursor_execute", count)
        started, cpu = time.perf_counter(), time.process_time()
        view_of(kind)(organizer=organizer, event=event)
        elapsed, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        sa_event.remove(db.engine, "before_cursor_execute", count)
        db.session.expunge_all()
        db.session.add_all([organizer, event])
    return elapsed, cpu, len(statements)


def time_export(app, sample: dict) -> tuple[float, int]:
    from backoffice.domain import position_queries
    started = time.perf_counter()
    lines = sum(1 for _ in position_queries.csv_rows(sample["event"].id, position_queries.PositionFilters(),
                                                     position_queries.DEFAULT_ORDERING))
    return (time.perf_counter() - started) * 1000, lines - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        sample = pick()
        print(f"Event '{sample['event'].slug}': {sample['orders']:,} orders, {sample['tickets']:,} tickets "
              f"({db.engine.url.render_as_string(hide_password=True).rsplit('@', 1)[-1]}); "
              f"load average {os.getloadavg()[0]:.2f}")
        print(f"| {'page':<52} | median ms | p95 ms | CPU ms | queries |")
        print(f"|{'-' * 54}|----------:|-------:|-------:|--------:|")
        for label, kind, query in rows(sample):
            for _ in range(args.warmup):
                render(app, sample, kind, query)
            times, cpu_times = [], []
            for _ in range(args.runs):
                elapsed, cpu, statements = render(app, sample, kind, query)
                times.append(elapsed)
                cpu_times.append(cpu)
            p95 = sorted(times)[max(0, round(len(times) * 0.95) - 1)]
            print(f"| {label:<52} | {statistics.median(times):9.1f} | {p95:6.1f} | {statistics.median(cpu_times):6.1f} "
                  f"| {statements:7d} |", flush=True)
        if not args.no_export:
            elapsed, lines = time_export(app, sample)
            print(f"CSV export of all {lines:,} tickets: {elapsed / 1000:.1f} s")
        print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
