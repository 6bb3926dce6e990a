"""Bookkeeping every change to an order needs: `last_modified` and stale-page detection.

`last_modified` is moved by a flush hook, not by each action, so that no change to an order or
anything inside it (positions, answers, fees, payments, refunds, invoice address, blocks,
secrets) can forget it and `modified_since` never misses one.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from .errors import STALE_MESSAGE, Conflict
from .models import (Answer, InvoiceAddress, Order, OrderFee, OrderPayment, OrderPosition,
                     OrderRefund, utcnow)

_PARTS = (OrderPosition, OrderFee, OrderPayment, OrderRefund, InvoiceAddress)


def touch_order(order: Order, now: datetime | None = None) -> None:
    """Move `last_modified` forward; strictly increasing, even within one microsecond."""
    now = now or utcnow()
    previous = order.last_modified
    if previous is not None and now <= previous:
        now = previous + timedelta(microseconds=1)
    order.last_modified = now


def ensure_unchanged(order: Order, seen: str | None) -> None:
    """Refuse when the page that sent an action showed an older state of the order.

    `seen` is the ISO timestamp of `last_modified` the page was rendered with (or None/"" when
    the client did not send one, e.g. the API).
    """
    if seen and seen != order.last_modified.isoformat():
        raise Conflict(STALE_MESSAGE, code="stale")


def _order_of(obj) -> Order | None:
    if isinstance(obj, Order):
        return obj
    if isinstance(obj, _PARTS):
        return obj.order
    if isinstance(obj, Answer):
        return obj.position.order if obj.position is not None else None
    return None


def _changed(session: Session, obj) -> bool:
    if obj in session.new or obj in session.deleted:
        return True
    state = inspect(obj)
    # Relationships count too: an answer's selected options live only in a link table, and a
    # relationship set before the flush has not reached its foreign key column yet.
    keys = [a.key for a in state.mapper.column_attrs] + [r.key for r in state.mapper.relationships]
    for key in keys:
        if key in ("last_modified", "search_text"):
            continue  # bookkeeping, not a change of the order
        if state.attrs[key].history.has_changes():
            return True
    return False


@event.listens_for(Session, "before_flush")
def _touch_changed_orders(session: Session, _context, _instances) -> None:
    orders: set[Order] = set()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        order = _order_of(obj)
        if order is None or order in session.deleted or not _changed(session, obj):
            continue
        orders.add(order)
    now = utcnow()
    for order in orders:
        if order in session.new and order.last_modified is not None:
            continue  # a new order keeps the time it was given
        touch_order(order, now)
