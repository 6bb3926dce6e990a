"""Work nobody clicks for: overdue orders expire, used-up password links are forgotten, the
search index's segments are merged (SQLite, search_index.merge_segments).

Safe to run on several servers at once (cron on each): every order is expired in its own
transaction that locks the order and checks again that it is still pending and overdue, so two
runs never expire one order twice; purging links is a single idempotent UPDATE. Mail delivery
(retries with back-off) is mail.deliver, which claims each mail before sending it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from ..extensions import db
from . import orders, search_index
from .audit import Actor
from .errors import DomainError
from .models import Customer, Order, OrderStatus, User, utcnow
from .tx import immediate, lock

#: the actor of changes made by the periodic job, as the order history names it
PERIODIC = Actor(label="automatic (payment deadline passed)")
#: orders expired per batch; the next run continues where this one stopped
BATCH = 500


@dataclass
class PeriodicResult:
    expired: int = 0
    links_purged: int = 0
    index_merges: int = 0


def overdue_order_ids(now: datetime, limit: int = BATCH) -> list[int]:
    """Pending orders past their payment deadline. Orders waiting for approval do not expire:
    staff have not decided yet whether the customer may pay at all."""
    stmt = (select(Order.id)
            .where(Order.status == OrderStatus.PENDING, Order.expires < now, Order.require_approval.is_(False))
            .order_by(Order.expires, Order.id).limit(limit))
    return list(db.session.scalars(stmt))


def expire_if_overdue(order_id: int, now: datetime) -> bool:
    """Expire one order if it still is pending and overdue once locked; True when it was."""
    with immediate():
        try:
            order = lock(Order, order_id)
            if (order is None or order.status != OrderStatus.PENDING or order.require_approval
                    or order.expires is None or order.expires >= now):
                db.session.rollback()
                return False
            orders.mark_expired(order, actor=PERIODIC)
            db.session.commit()
            return True
        except DomainError:
            db.session.rollback()
            return False


def expire_overdue_orders(now: datetime | None = None, limit: int = BATCH) -> int:
    now = now or utcnow()
    ids = overdue_order_ids(now, limit)
    db.session.rollback()  # the list was a read; each order gets its own short write
    return sum(expire_if_overdue(order_id, now) for order_id in ids)


def purge_password_links(now: datetime | None = None) -> int:
    """Forget the hashes of one-time links that expired: staff invitations and customers'
    password links. A used link is already forgotten when it is used."""
    now = now or utcnow()
    purged = 0
    with immediate():
        for model in (User, Customer):
            result = db.session.execute(
                update(model)
                .where(model.password_token_expires < now,
                       or_(model.password_token_hash.is_not(None), model.password_token_expires.is_not(None)))
                .values(password_token_hash=None, password_token_expires=None))
            purged += result.rowcount or 0
        db.session.commit()
    return purged


def run(now: datetime | None = None) -> PeriodicResult:
    now = now or utcnow()
    return PeriodicResult(expired=expire_overdue_orders(now), links_purged=purge_password_links(now),
                          index_merges=search_index.merge_segments())
