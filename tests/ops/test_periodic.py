"""`flask periodic`: overdue orders expire once, links are forgotten, on several servers at once."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backoffice.domain import orders, periodic
from backoffice.domain.availability import quota_available
from backoffice.domain.audit import Actor
from backoffice.domain.models import Customer, LogEntry, Order, OrderStatus, OutboxEmail, User, utcnow
from backoffice.extensions import db
from tests import factories
from tests.web.test_orders_concurrency import at_once

P, N, E = OrderStatus.PAID, OrderStatus.PENDING, OrderStatus.EXPIRED


def overdue(world, hours=1, status=N, **kw) -> Order:
    order = factories.order(world.event, [world.ticket], status=status, **kw)
    order.expires = utcnow() - timedelta(hours=hours)
    return order


def fresh(order_id: int) -> Order:
    db.session.rollback()
    return db.session.get(Order, order_id)


def history(order_id: int) -> list[LogEntry]:
    return list(db.session.scalars(select(LogEntry).where(LogEntry.object_type == "order",
                                                          LogEntry.object_id == order_id).order_by(LogEntry.id)))


def test_an_overdue_order_expires_frees_its_quota_and_says_who_did_it(world):
    world.quota.size = 1
    order = overdue(world)
    db.session.commit()
    assert quota_available(world.quota) == 0
    mails_before = db.session.query(OutboxEmail).count()

    assert periodic.run().expired == 1

    order = fresh(order.id)
    assert order.status == E
    assert quota_available(world.quota) == 1
    entry = history(order.id)[-1]
    assert entry.action_type == "order.marked_expired" and entry.user_id is None
    assert "payment deadline passed" in periodic.PERIODIC.name
    assert db.session.query(OutboxEmail).count() == mails_before  # no mail: the event never asked for one


def test_orders_not_due_paid_or_awaiting_approval_are_left_alone(world):
    not_yet = factories.order(world.event, [world.ticket], status=N)
    not_yet.expires = utcnow() + timedelta(minutes=5)
    paid = overdue(world, status=P)
    waiting = overdue(world, require_approval=True)
    db.session.commit()
    ids = not_yet.id, paid.id, waiting.id
    assert periodic.expire_overdue_orders() == 0
    assert [fresh(i).status for i in ids] == [N, P, N]
    assert all(history(i) == [] for i in ids)


def test_an_order_extended_after_it_was_listed_is_not_expired(world):
    order = overdue(world)
    db.session.commit()
    now = utcnow()
    listed = periodic.overdue_order_ids(now)
    assert listed == [order.id]
    db.session.rollback()
    orders.extend_order(db.session.get(Order, order.id), until=(now + timedelta(days=3)).date(),
                        actor=Actor(user=world.admin))
    db.session.commit()
    assert periodic.expire_if_overdue(order.id, now) is False
    assert fresh(order.id).status == N


def test_a_batch_limit_leaves_the_rest_for_the_next_run(world):
    ids = [overdue(world, hours=h).id for h in (3, 2, 1)]
    db.session.commit()
    assert periodic.expire_overdue_orders(limit=2) == 2
    assert [fresh(i).status for i in ids] == [E, E, N]  # the longest overdue first
    assert periodic.expire_overdue_orders(limit=2) == 1
    assert fresh(ids[2]).status == E


def test_two_servers_running_at_once_expire_every_order_exactly_once(app, world):
    ids = [overdue(world, hours=1 + i).id for i in range(12)]
    db.session.commit()
    db.session.rollback()

    def one_server():
        with app.app_context():
            try:
                return periodic.expire_overdue_orders()
            finally:
                db.session.remove()

    first, second = at_once(one_server, one_server)
    assert first + second == 12
    assert all(fresh(i).status == E for i in ids)
    assert all([e.action_type for e in history(i)] == ["order.marked_expired"] for i in ids)


def test_expired_password_links_are_forgotten_and_live_ones_kept(world):
    now = utcnow()
    old_staff = factories.user("old@example.org", org=world.organizer)
    old_staff.password_token_hash, old_staff.password_token_expires = "a" * 64, now - timedelta(minutes=1)
    live_staff = factories.user("live@example.org", org=world.organizer)
    live_staff.password_token_hash, live_staff.password_token_expires = "b" * 64, now + timedelta(days=1)
    customer = factories.customer(world.organizer, "c@example.org", "Cem Öztürk")
    customer.password_token_hash, customer.password_token_expires = "c" * 64, now - timedelta(days=2)
    db.session.commit()
    assert periodic.purge_password_links(now) == 2
    assert periodic.purge_password_links(now) == 0  # a second server finds nothing left
    db.session.rollback()
    assert db.session.get(User, old_staff.id).password_token_hash is None
    assert db.session.get(User, live_staff.id).password_token_hash == "b" * 64
    assert db.session.get(Customer, customer.id).password_token_expires is None


def test_the_cron_command_reports_what_it_did(app, world):
    overdue(world)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["periodic"])
    assert result.exit_code == 0, result.output
    assert "1 order(s) expired, 0 password link(s) purged, mail delivery off (no MAIL_SERVER)." in result.output
    again = app.test_cli_runner().invoke(args=["periodic"])
    assert "0 order(s) expired" in again.output


def test_periodic_merges_the_search_index_and_searches_stay_right(world):
    """SQLite: each commit that changes a search text adds a segment to the FTS5 index, merged by
    the periodic job rather than during the commit (migration 0008); searches find the same
    orders before and after. PostgreSQL has nothing to merge."""
    from backoffice.domain.quick_search import quick_search
    from tests.conftest import DB_KIND
    changed = [factories.order(world.event, [world.ticket], email=f"merge{i}@example.org") for i in range(6)]
    db.session.commit()
    for i, order in enumerate(changed):  # one commit each, as order actions come
        order.email = f"renamed{i}@example.org"
        db.session.commit()

    def found(text):
        return sorted(o.id for o in quick_search(text, [world.event.id], [], limit=100).orders)
    assert found("renamed") == sorted(o.id for o in changed) and found("merge1") == []

    assert (periodic.run().index_merges >= 1) == (DB_KIND == "sqlite")
    assert found("renamed") == sorted(o.id for o in changed) and found("merge1") == []
    assert found("renamed3") == [changed[3].id]
    assert periodic.run().index_merges == 0  # nothing left to merge
