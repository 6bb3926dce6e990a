"""An order's money for many orders at once, counted exactly as `orders.totals()` counts one.

Lists, the customer's orders and exports read totals of dozens or thousands of orders; loading
every payment and refund for that would be slow, so the sums come from one query. The
states that count and the Totals built from them are the same as for one order, so every page
shows the same numbers.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from ..extensions import db
from .models import Order, OrderPayment, OrderRefund
from .orders import COUNTED_REFUND_STATES, PAID_PAYMENT_STATES, ZERO, Totals, totals_from

CENT = Decimal("0.01")


def totals_of(orders: list[Order]) -> dict[int, Totals]:
    """{order id: Totals} for `orders`, equal to `orders.totals(order)` for each of them; one query."""
    if not orders:
        return {}
    rows = db.session.execute(select(Order.id, *sum_columns()).where(Order.id.in_([o.id for o in orders])))
    sums = {order_id: (p, r) for order_id, p, r in rows}
    return {o.id: totals_from_sums(o, *sums[o.id]) for o in orders}


def sum_columns() -> tuple:
    """An order's paid and refunded sums, as columns of a select of orders: a page that reads its
    orders anyway gets their money in the same query (totals_from_sums turns them into Totals)."""
    return (_sum(OrderPayment, OrderPayment.state.in_(PAID_PAYMENT_STATES)),
            _sum(OrderRefund, OrderRefund.state.in_(COUNTED_REFUND_STATES)))


def totals_from_sums(order: Order, paid, refunded) -> Totals:
    return totals_from(order, _money(paid), _money(refunded))


def _sum(model, condition):
    return (select(func.sum(model.amount)).where(model.order_id == Order.id, condition)
            .correlate(Order).scalar_subquery())


def _money(value) -> Decimal:
    # SQLite sums NUMERIC columns as floating point: round back to cents
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT)
