"""Quotas and seats: what is still free, and the check before tickets come back into play.

A quota counts the non-canceled positions of pending and paid orders for its items/variations
(and its sub-event, when it has one); size None is unlimited. A seat is taken by a
non-canceled position of a pending or paid order.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from ..extensions import db
from .errors import Invalid
from .models import (Order, OrderPosition, OrderStatus, Quota, Seat, quota_item, quota_variation)
from .tx import lock_many
from .texts import T_, joined

COUNTING_STATUSES = (OrderStatus.PENDING, OrderStatus.PAID)


@dataclass(frozen=True)
class Need:
    """One ticket that wants to count against quotas and hold a seat."""
    item_id: int
    variation_id: int | None
    subevent_id: int | None
    seat_id: int | None = None


def quota_ids_for(event_id: int, need: Need) -> list[int]:
    stmt = (select(Quota.id)
            .join(quota_item, quota_item.c.quota_id == Quota.id)
            .where(Quota.event_id == event_id, quota_item.c.item_id == need.item_id))
    if need.subevent_id is None:
        stmt = stmt.where(Quota.subevent_id.is_(None))
    else:
        stmt = stmt.where(Quota.subevent_id == need.subevent_id)
    if need.variation_id is not None:
        stmt = stmt.where(Quota.id.in_(
            select(quota_variation.c.quota_id).where(quota_variation.c.variation_id == need.variation_id)))
    return list(db.session.scalars(stmt))


def _counted_positions(quota_ids: list[int], exclude_order_id: int | None = None):
    """(quota id, order status, tickets) of the positions counted against these quotas right now.

    The one definition of what a quota counts: the single-quota check of the order actions and
    the quota list both read it.
    """
    counted_variation = or_(OrderPosition.variation_id.is_(None), OrderPosition.variation_id.in_(
        select(quota_variation.c.variation_id).where(quota_variation.c.quota_id == Quota.id)))
    same_date = or_(and_(Quota.subevent_id.is_(None), OrderPosition.subevent_id.is_(None)),
                    OrderPosition.subevent_id == Quota.subevent_id)
    stmt = (select(Quota.id, Order.status, func.count(OrderPosition.id))
            .join(quota_item, quota_item.c.quota_id == Quota.id)
            .join(OrderPosition, OrderPosition.item_id == quota_item.c.item_id)
            .join(Order, Order.id == OrderPosition.order_id)
            .where(Quota.id.in_(quota_ids), Order.event_id == Quota.event_id,
                   Order.status.in_(COUNTING_STATUSES), OrderPosition.canceled.is_(False),
                   counted_variation, same_date)
            .group_by(Quota.id, Order.status))
    if exclude_order_id is not None:
        stmt = stmt.where(Order.id != exclude_order_id)
    return db.session.execute(stmt).all()


def quota_used(quota: Quota, exclude_order_id: int | None = None) -> int:
    """Tickets counted against this quota right now."""
    return sum(n for _, _, n in _counted_positions([quota.id], exclude_order_id))


@dataclass(frozen=True)
class QuotaUsage:
    """A quota right now: tickets of paid and of pending orders, and what is free (None: unlimited)."""
    paid: int
    pending: int
    free: int | None

    @property
    def used(self) -> int:
        return self.paid + self.pending


def quota_usages(quotas: list[Quota]) -> dict[int, QuotaUsage]:
    """{quota id: QuotaUsage} for several quotas in one query, counted as `quota_used` counts."""
    if not quotas:
        return {}
    counts: dict[int, Counter] = {q.id: Counter() for q in quotas}
    for quota_id, status, number in _counted_positions([q.id for q in quotas]):
        counts[quota_id][status] += number
    result = {}
    for quota in quotas:
        paid, pending = counts[quota.id][OrderStatus.PAID], counts[quota.id][OrderStatus.PENDING]
        free = None if quota.size is None else max(quota.size - paid - pending, 0)
        result[quota.id] = QuotaUsage(paid, pending, free)
    return result


def quota_available(quota: Quota) -> int | None:
    """Free tickets; None means unlimited."""
    if quota.size is None:
        return None
    return max(quota.size - quota_used(quota), 0)


def seats_taken(seat_ids: list[int], exclude_order_id: int | None = None) -> set[int]:
    if not seat_ids:
        return set()
    stmt = (select(OrderPosition.seat_id)
            .join(Order, Order.id == OrderPosition.order_id)
            .where(OrderPosition.seat_id.in_(seat_ids), OrderPosition.canceled.is_(False),
                   Order.status.in_(COUNTING_STATUSES)))
    if exclude_order_id is not None:
        stmt = stmt.where(Order.id != exclude_order_id)
    return set(db.session.scalars(stmt))


def needs_of(order: Order) -> list[Need]:
    return [Need(p.item_id, p.variation_id, p.subevent_id, p.seat_id) for p in order.positions]


def shortages(event_id: int, needs: list[Need], exclude_order_id: int | None = None) -> list[str]:
    """Sentences describing every quota or seat that cannot take `needs`; empty when all fit.

    Locks the quota and seat rows involved (PostgreSQL) so that the answer stays true until commit.
    """
    per_quota: Counter[int] = Counter()
    for need in needs:
        for quota_id in quota_ids_for(event_id, need):
            per_quota[quota_id] += 1
    problems = []
    for quota in lock_many(Quota, list(per_quota)):
        if quota.size is None:
            continue
        free = max(quota.size - quota_used(quota, exclude_order_id), 0)
        if per_quota[quota.id] > free:
            problems.append(_quota_message(quota, free, per_quota[quota.id]))
    seat_ids = [n.seat_id for n in needs if n.seat_id is not None]
    seats = lock_many(Seat, seat_ids)
    taken = seats_taken(seat_ids, exclude_order_id)
    for seat in seats:
        if seat.blocked:
            problems.append(T_("Seat %(name)s is blocked by the organizer and cannot be sold.", name=seat.name))
        elif seat.id in taken:
            problems.append(T_("Seat %(name)s is no longer available.", name=seat.name))
    duplicates = [s for s, n in Counter(seat_ids).items() if n > 1]
    if duplicates:
        problems.append(T_("The same seat is assigned to more than one ticket."))
    return problems


def _quota_message(quota: Quota, free: int, wanted: int) -> str:
    if quota.subevent is not None:
        if free == 1:
            return T_("Only %(free)s ticket left in quota '%(name)s' for %(date)s, %(wanted)s needed.",
                      free=free, name=quota.name, date=quota.subevent.name, wanted=wanted)
        return T_("Only %(free)s tickets left in quota '%(name)s' for %(date)s, %(wanted)s needed.",
                  free=free, name=quota.name, date=quota.subevent.name, wanted=wanted)
    if free == 1:
        return T_("Only %(free)s ticket left in quota '%(name)s', %(wanted)s needed.",
                  free=free, name=quota.name, wanted=wanted)
    return T_("Only %(free)s tickets left in quota '%(name)s', %(wanted)s needed.",
              free=free, name=quota.name, wanted=wanted)


def ensure_available(event_id: int, needs: list[Need], *, force: bool = False,
                     exclude_order_id: int | None = None) -> None:
    """Refuse when quotas or seats are short, unless `force` overbooks anyway.

    A shortage is a refusal of what was asked (invalid, as in the seeds), not a conflict: a
    conflict is a lock or a stale page, which trying again can cure.
    """
    problems = shortages(event_id, needs, exclude_order_id)
    if problems and not force:
        raise Invalid(joined(problems), code="quota_exceeded")
