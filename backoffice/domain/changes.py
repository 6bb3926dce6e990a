"""Bookkeeping every change to an order needs."""
from __future__ import annotations

from datetime import datetime, timedelta

from .models import Order, utcnow


def touch_order(order: Order, now: datetime | None = None) -> None:
    """Move `last_modified` forward whenever the order or anything in it changes.

    Strictly increasing, so `modified_since` can never miss two changes in the same microsecond.
    """
    now = now or utcnow()
    previous = order.last_modified
    if previous is not None and now <= previous:
        now = previous + timedelta(microseconds=1)
    order.last_modified = now
