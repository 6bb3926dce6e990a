"""Time the order pages on a big database and count their SQL statements.

    BACKOFFICE_INSTANCE=/tmp/orderbench FLASK_APP=app .venv/bin/flask db upgrade
    BACKOFFICE_INSTANCE=/tmp/orderbench FLASK_APP=app .venv/bin/flask demo-data --orders 100000 --customers 20000
    BACKOFFICE_INSTANCE=/tmp/orderbench .venv/bin/python scripts/measure_orders.py [--runs 5]

Uses the app's own configuration (DATABASE_URL or the instance's SQLite file) and logs in as
the first staff user of the biggest event's organizer through the test client.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event as sa_event, func, select  # noqa: E402

from backoffice import create_app  # noqa: E402
from backoffice.domain.models import Event, Order, OrderPosition, Organizer, Team, User, team_member  # noqa: E402
from backoffice.extensions import db  # noqa: E402


def pick(app):
    with app.app_context():
        event_id, _ = db.session.execute(select(Order.event_id, func.count()).group_by(Order.event_id)
                                         .order_by(func.count().desc()).limit(1)).one()
        event = db.session.get(Event, event_id)
        organizer = db.session.get(Organizer, event.organizer_id)
        user = db.session.scalars(select(User).join(team_member, team_member.c.user_id == User.id)
                                  .join(Team, Team.id == team_member.c.team_id)
                                  .where(Team.organizer_id == organizer.id, Team.can_change_orders.is_(True))).first()
        # the order with the most positions, to show the detail page does not grow with them
        big_order = db.session.execute(
            select(Order.code, func.count(OrderPosition.id)).join(OrderPosition, OrderPosition.order_id == Order.id)
            .where(Order.event_id == event.id).group_by(Order.id, Order.code)
            .order_by(func.count(OrderPosition.id).desc()).limit(1)).one()
        sample = db.session.scalars(select(Order).where(Order.event_id == event.id, Order.email.is_not(None))
                                    .order_by(Order.id.desc()).limit(1)).first()
        secret = db.session.scalar(select(OrderPosition.secret).where(OrderPosition.order_id == sample.id).limit(1))
        return dict(org=organizer.slug, event=event.slug, event_orders=_count(event.id), email=user.email,
                    big_code=big_order[0], big_positions=big_order[1], code=sample.code,
                    email_prefix=sample.email.split("@")[0][:6], secret=secret[:8])


def _count(event_id):
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.event_id == event_id))


def measure(app, client, url, runs, headers=None):
    statements = []

    def before(conn, cursor, statement, *args):
        if not statement.startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)
    times = []
    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", before)
    try:
        for _ in range(runs):
            statements.clear()
            start = time.perf_counter()
            response = client.get(url, headers=headers or {})
            times.append(time.perf_counter() - start)
            assert response.status_code in (200, 303), (url, response.status_code)
    finally:
        sa_event.remove(engine, "before_cursor_execute", before)
    return statistics.median(times) * 1000, min(times) * 1000, len(statements)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--password", default="demo-admin")
    args = parser.parse_args()
    app = create_app({"WTF_CSRF_ENABLED": False})
    info = pick(app)
    client = app.test_client()
    response = client.post("/login", data={"email": info["email"], "password": args.password})
    assert response.status_code == 302, "login failed: pass --password"
    base = f"/{info['org']}/events/{info['event']}/orders/"
    htmx = {"HX-Request": "true"}
    pages = [
        ("event order list, first page", base, None),
        ("event order list, search 'smith'", base + "?search=smith", None),
        (f"event order list, search '{info['email_prefix']}' (email prefix)", base + f"?search={info['email_prefix']}", None),
        ("event order list, status paid, sorted by total", base + "?status=p&sort=-total", None),
        ("event order list, page 1000", base + "?page=1000", None),
        ("organizer order list, first page", f"/{info['org']}/orders/", None),
        (f"quick search, order code {info['code']}", f"/search?q={info['code']}", htmx),
        ("quick search, 'smith'", "/search?q=smith", htmx),
        (f"quick search, email prefix '{info['email_prefix']}'", f"/search?q={info['email_prefix']}", htmx),
        ("quick search, ticket secret prefix", f"/search?q={info['secret']}", htmx),
        ("quick search, phone '0151 23'", "/search?q=0151%2023", htmx),
        (f"order detail ({info['big_positions']} positions)", base + f"{info['big_code']}/", None),
        ("order detail (1 position)", base + f"{info['code']}/", None),
    ]
    engine_name = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"{engine_name}, event with {info['event_orders']:,} orders, median of {args.runs} runs")
    print(f"{'page':62} {'median ms':>10} {'min ms':>8} {'queries':>8}")
    for label, url, headers in pages:
        median, best, queries = measure(app, client, url, args.runs, headers)
        print(f"{label:62} {median:10.1f} {best:8.1f} {queries:8d}")


if __name__ == "__main__":
    main()
