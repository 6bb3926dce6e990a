"""The final state of an order change: at least one ticket left, quotas and seats.

Only what the change adds is asked of quotas and seats: a quota is checked when the order holds
more of it afterwards than before, a seat when a ticket holds it afterwards that no ticket of the
order held before. So two attendees can swap seats, and a ticket moved from one product to
another only needs room in the new product's quota. Other orders' tickets count as
availability.py counts them; the quota and seat rows are locked (PostgreSQL) until commit.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..extensions import db
from .availability import Need, quota_ids_for, quota_used, seats_taken
from .errors import Invalid
from .models import Order, OrderPosition, Quota, Seat
from .order_change_parts import PartErrors
from .tx import lock_many
from .texts import T_, joined, lowercased


def _need(position: OrderPosition) -> Need:
    return Need(position.item_id, position.variation_id, position.subevent_id, position.seat_id)


@dataclass(frozen=True)
class Before:
    """What the order's tickets held before the change."""
    needs: dict
    seat_ids: frozenset

    @classmethod
    def of(cls, order: Order) -> "Before":
        needs = {p: _need(p) for p in order.positions}
        return cls(needs, frozenset(n.seat_id for n in needs.values() if n.seat_id is not None))


class _Quotas:
    """Quota ids per kind of ticket, read once per kind."""

    def __init__(self, event_id: int) -> None:
        self.event_id = event_id
        self.cache: dict[tuple, list[int]] = {}

    def of(self, need: Need) -> list[int]:
        key = (need.item_id, need.variation_id, need.subevent_id)
        if key not in self.cache:
            self.cache[key] = quota_ids_for(self.event_id, need)
        return self.cache[key]


def ensure_final_state(order: Order, before: Before, labels: dict, leaving: list[OrderPosition]) -> None:
    """Refuse the change when the order would keep no ticket, or when quotas or seats cannot
    take what it adds; every problem is named after the ticket(s) causing it."""
    db.session.flush()  # the changed tickets' ids (product, date, seat) as they will be stored
    final = list(order.positions)
    if not [p for p in final if p not in leaving]:
        raise Invalid(T_("This change leaves no ticket in order %(code)s: cancel the order instead, or keep "
                         "at least one ticket in it.", code=order.code), code="last_position", field="positions")
    errors = PartErrors()
    _check_quotas(order, before, final, labels, errors)
    _check_seats(order, before, final, labels, errors)
    errors.raise_if_any()


def _changed(before: Before, position: OrderPosition) -> bool:
    return before.needs.get(position) != _need(position)


def _names(labels: dict, positions: list[OrderPosition]) -> tuple[str, str]:
    """(error key, label) for the tickets behind one problem: 'Ticket 2 and new ticket 1'."""
    names = [labels[p][1] for p in positions]
    if len(names) == 1:
        return labels[positions[0]][0], names[0]
    label = T_("%(names)s and %(last)s", names=joined(names[:-1], ", "), last=lowercased(names[-1]))
    return labels[positions[0]][0], label


def _check_quotas(order: Order, before: Before, final: list[OrderPosition], labels: dict,
                  errors: PartErrors) -> None:
    quotas = _Quotas(order.event_id)
    had: Counter[int] = Counter()
    for need in before.needs.values():
        had.update(quotas.of(need))
    has: Counter[int] = Counter()
    causes: dict[int, list[OrderPosition]] = {}
    for position in final:
        for quota_id in quotas.of(_need(position)):
            has[quota_id] += 1
            if _changed(before, position):
                causes.setdefault(quota_id, []).append(position)
    grown = [q for q in has if has[q] > had[q]]
    for quota in lock_many(Quota, grown):
        if quota.size is None:
            continue
        others = quota_used(quota, exclude_order_id=order.id)
        if has[quota.id] <= quota.size - others:
            continue
        free = max(quota.size - others - had[quota.id], 0)
        wanted = has[quota.id] - had[quota.id]
        key, label = _names(labels, causes.get(quota.id) or final[:1])
        details = dict(free=free, name=quota.name, wanted=wanted)
        if quota.subevent is not None:
            message = (T_("only %(free)s ticket left in quota '%(name)s' for %(date)s, %(wanted)s more needed.",
                          date=quota.subevent.name, **details) if free == 1 else
                       T_("only %(free)s tickets left in quota '%(name)s' for %(date)s, %(wanted)s more needed.",
                          date=quota.subevent.name, **details))
        else:
            message = (T_("only %(free)s ticket left in quota '%(name)s', %(wanted)s more needed.", **details)
                       if free == 1 else
                       T_("only %(free)s tickets left in quota '%(name)s', %(wanted)s more needed.", **details))
        errors.add(f"{key}.item", label, message, "quota_exceeded")


def _check_seats(order: Order, before: Before, final: list[OrderPosition], labels: dict, errors: PartErrors) -> None:
    holders: dict[int, list[OrderPosition]] = {}
    for position in final:
        if position.seat_id is not None:
            holders.setdefault(position.seat_id, []).append(position)
    new_ids = [seat_id for seat_id in holders if seat_id not in before.seat_ids]
    locked = {seat.id: seat for seat in lock_many(Seat, list(holders))}
    taken = seats_taken(new_ids, exclude_order_id=order.id)
    for seat_id, positions in holders.items():
        seat = locked.get(seat_id)
        name = seat.name if seat is not None else str(seat_id)
        changed = [p for p in positions if _changed(before, p)] or positions
        key, label = _names(labels, changed)
        if len(positions) > 1:
            _key, all_label = _names(labels, positions)
            errors.add(f"{key}.seat", all_label, T_("seat %(name)s is given to more than one ticket.",
                                                    name=name), "seat_duplicate")
        elif seat_id in new_ids and seat is not None and seat.blocked:
            errors.add(f"{key}.seat", label, T_("seat %(name)s is blocked by the organizer.",
                                                name=name), "seat_blocked")
        elif seat_id in taken:
            errors.add(f"{key}.seat", label, T_("seat %(name)s is taken.", name=name), "seat_taken")
