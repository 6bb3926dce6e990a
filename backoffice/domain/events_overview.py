"""The numbers of an event's overview page: per quota what is taken and free, orders by status,
money received, orders waiting for approval.

Taken and free tickets come from availability.py, counted as the actions count before they sell,
so the page and the actions never disagree. Money follows the rules of orders.totals(): payments in the
paid states minus refunds in the counted states (net paid), summed over the event's orders,
test-mode orders left out (their money is not real). A fixed number of queries however many
quotas and orders the event has.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from .availability import QuotaUsage, quota_usages
from .models import Event, Order, OrderPayment, OrderRefund, OrderStatus, Quota
from .orders import COUNTED_REFUND_STATES, PAID_PAYMENT_STATES, ZERO

CENT = Decimal("0.01")


@dataclass
class QuotaLine:
    quota: Quota
    usage: QuotaUsage

    @property
    def taken(self) -> int:
        return self.usage.used

    @property
    def free(self) -> int | None:  # None: unlimited
        return self.usage.free

    @property
    def item_ids(self) -> list[int]:
        return [item.id for item in self.quota.items]


@dataclass
class Overview:
    quotas: list[QuotaLine]
    by_status: dict[str, int] = field(default_factory=dict)
    awaiting_approval: int = 0
    received: Decimal = ZERO
    orders: int = 0


def overview(event: Event) -> Overview:
    stmt = (select(Quota).where(Quota.event_id == event.id)
            .options(selectinload(Quota.items), joinedload(Quota.subevent))
            .order_by(Quota.subevent_id.is_not(None), Quota.subevent_id, Quota.name, Quota.id))
    quotas = list(db.session.scalars(stmt).unique())
    usages = quota_usages(quotas)
    result = Overview(quotas=[QuotaLine(quota, usages[quota.id]) for quota in quotas])
    rows = db.session.execute(
        select(Order.status, Order.require_approval, func.count(Order.id))
        .where(Order.event_id == event.id).group_by(Order.status, Order.require_approval))
    for status, approval, count in rows:
        result.by_status[status] = result.by_status.get(status, 0) + count
        result.orders += count
        if approval and status == OrderStatus.PENDING:
            result.awaiting_approval += count
    result.received = _received(event)
    return result


def _received(event: Event) -> Decimal:
    real = and_(Order.event_id == event.id, Order.testmode.is_(False))
    paid = (select(func.coalesce(func.sum(OrderPayment.amount), 0)).join(Order, Order.id == OrderPayment.order_id)
            .where(real, OrderPayment.state.in_(PAID_PAYMENT_STATES)).scalar_subquery())
    refunded = (select(func.coalesce(func.sum(OrderRefund.amount), 0)).join(Order, Order.id == OrderRefund.order_id)
                .where(real, OrderRefund.state.in_(COUNTED_REFUND_STATES)).scalar_subquery())
    paid_sum, refunded_sum = db.session.execute(select(paid, refunded)).one()
    # SQLite sums NUMERIC columns as floating point: round back to cents
    return (Decimal(str(paid_sum)) - Decimal(str(refunded_sum))).quantize(CENT)
