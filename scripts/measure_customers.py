"""How fast are the customer pages on a big database, and how many SQL queries do they issue?

Build a scratch database first, then run this against it:

    BACKOFFICE_INSTANCE=/tmp/custbench FLASK_APP=app .venv/bin/flask db upgrade
    BACKOFFICE_INSTANCE=/tmp/custbench FLASK_APP=app .venv/bin/flask demo-data --orders 2000 --customers 50000
    BACKOFFICE_INSTANCE=/tmp/custbench .venv/bin/python scripts/measure_customers.py

(or DATABASE_URL=postgresql+psycopg://… for PostgreSQL). Requests go through the Flask test
client, so the times include routing, permission checks, queries and template rendering, but
no network. Each URL is requested a few times; the median and the slowest are reported.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, select  # noqa: E402

from backoffice import create_app  # noqa: E402
from backoffice.domain.models import Customer, Order, Organizer, User  # noqa: E402
from backoffice.extensions import db  # noqa: E402

RUNS = 5


def count_statements(engine):
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
            statements.append(statement)
    event.listen(engine, "before_cursor_execute", before)
    return statements


def measure(client, url: str, statements: list[str]) -> tuple[float, float, int, int]:
    """(median ms, max ms, queries of one request, response bytes)"""
    times = []
    queries = size = 0
    for _ in range(RUNS):
        statements.clear()
        start = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        queries, size = len(statements), len(body)
    return statistics.median(times), max(times), queries, size


def main() -> None:
    app = create_app({"TESTING": True})
    with app.app_context():
        organizer = db.session.scalar(
            select(Organizer).join(Customer, Customer.organizer_id == Organizer.id)
            .group_by(Organizer.id).order_by(func.count(Customer.id).desc()).limit(1))
        if organizer is None:
            raise SystemExit("No customers in this database; run `flask demo-data --customers 50000` first.")
        total = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.organizer_id == organizer.id))
        admin = db.session.scalar(select(User).where(User.email == "admin@example.org")) or db.session.scalar(select(User))
        sample = db.session.scalar(select(Customer).where(Customer.organizer_id == organizer.id, Customer.phone.is_not(None))
                                   .order_by(Customer.id).offset(total // 2).limit(1))
        with_orders = db.session.scalar(
            select(Customer).join(Order, Order.customer_id == Customer.id)
            .where(Customer.organizer_id == organizer.id).group_by(Customer.id)
            .order_by(func.count(Order.id).desc()).limit(1))
        family = (sample.name or "x").split()[-1]
        email_part = (sample.email or "x@example.org").split("@")[0][:6]
        phone_part = sample.phone[-6:] if sample.phone else "0160"
        slug = organizer.slug
        admin_session_id = admin.get_id()  # the user id with their session version
        sample_id = sample.identifier
        orders_id = with_orders.identifier if with_orders else sample_id
        engine = db.engine
        dialect = engine.dialect.name

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = admin_session_id
        session["_fresh"] = True

    base = f"/{slug}/customers/"
    urls = [
        ("list, first page", base),
        (f"search '{family}' (family name)", f"{base}?q={family}"),
        (f"search '{email_part}' (part of an email)", f"{base}?q={email_part}"),
        (f"search '{phone_part}' (end of a phone number)", f"{base}?q={phone_part}"),
        ("search 'zzzz' (no match)", f"{base}?q=zzzz"),
        ("search fragment (htmx)", f"{base}?q={family}"),
        ("tag filter + sort by name", f"{base}?tag=vip&sort=name"),
        ("has orders in a date range", f"{base}?booking_date_from=2000-01-01"),
        ("birth month + consent", f"{base}?dob_month=3&consent=in"),
        ("sort by tags", f"{base}?sort=tags"),
        ("page 500", f"{base}?page=500"),
        ("detail page", f"{base}{sample_id}/"),
        ("detail page, customer with most orders", f"{base}{orders_id}/"),
    ]
    statements = count_statements(engine)
    print(f"{dialect}: {total:,} customers of organizer '{slug}', {RUNS} runs each\n")
    print(f"{'request':48} {'median ms':>10} {'max ms':>8} {'queries':>8} {'KiB':>6}")
    for label, url in urls:
        if "htmx" in label:
            client.environ_base.update(HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results")
        median, slowest, queries, size = measure(client, url, statements)
        client.environ_base.pop("HTTP_HX_REQUEST", None)
        client.environ_base.pop("HTTP_HX_TARGET", None)
        print(f"{label:48} {median:10.1f} {slowest:8.1f} {queries:8d} {size / 1024:6.0f}")

    start = time.perf_counter()
    response = client.get(f"{base}export.csv")
    body = response.get_data()
    print(f"\nCSV export of all {total:,} customers: {(time.perf_counter() - start):.2f} s, "
          f"{len(body) / 1024 / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
