"""Splitting tickets of an order into a new order, as pretix does it (part of 003's `change`).

The tickets (with their add-ons, chosen by the caller) move to a new order with a new code and
secret, the same contact, customer and invoice address; their secrets are renewed (the old ones
are revoked). What the old order holds beyond its new total, up to the new order's total, moves
along: per payment a done refund on the old order (on that payment's provider, source admin,
"split into …") and a confirmed payment on the new one, so that both orders' paid and open
amounts stay true. Fees stay with the old order. Both histories say where the tickets went.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..extensions import db
from . import audit, codes, orders, providers
from .audit import Actor
from .models import (InvoiceAddress, Order, OrderPayment, OrderPosition, OrderRefund, OrderStatus, PaymentState,
                     RefundState, RevokedSecret)
from .order_change_parts import new_order_code
from .orders import ZERO, payment_refund_sum
from .payments import can_refund, next_refund_id, refundable
from .positions import recompute_total

ADDRESS_FIELDS = ("is_business", "company", "name_parts", "name_cached", "street", "zipcode", "city", "country",
                  "state", "internal_reference", "custom_field", "vat_id", "vat_id_validated")


@dataclass
class Split:
    order: Order
    moved: Decimal

    @property
    def code(self) -> str:
        return self.order.code


def split_off(order: Order, positions: list[OrderPosition], *, actor: Actor, now: datetime) -> Split:
    """Move `positions` of the locked `order` to a new order; the caller recomputes the old
    order's status."""
    new = Order(event=order.event, code=new_order_code(order.event_id), secret=codes.order_secret(),
                status=OrderStatus.PENDING, testmode=order.testmode, email=order.email, phone=order.phone,
                customer_id=order.customer_id, locale=order.locale, sales_channel=order.sales_channel, datetime=now,
                expires=order.expires if order.expires > now else orders.new_deadline(order, now), total=ZERO,
                comment=order.comment, require_approval=order.require_approval,
                valid_if_pending=order.valid_if_pending, last_modified=now)
    db.session.add(new)
    if order.invoice_address is not None:
        db.session.add(InvoiceAddress(order=new, last_modified=now,
                                      **{k: _copy(getattr(order.invoice_address, k)) for k in ADDRESS_FIELDS}))
    for position in positions:
        db.session.add(RevokedSecret(event_id=order.event_id, position_id=position.id, secret=position.secret,
                                     created=now))
        position.secret = codes.position_secret()
        position.order = new
    db.session.flush()
    remaining = recompute_total(order)
    recompute_total(new)
    moved = _move_money(order, new, min(max(ZERO, payment_refund_sum(order) - remaining), new.total), now)
    if new.total == ZERO or moved >= new.total:
        if new.total == ZERO:
            db.session.add(OrderPayment(order=new, local_id=1, state=PaymentState.CONFIRMED, amount=ZERO,
                                        provider=providers.FREE, created=now, payment_date=now))
        new.status = OrderStatus.PAID
    numbers = [p.positionid for p in positions]
    audit.log(actor, order, "order.split", data={"positions": numbers, "new_order": new.code, "amount_moved": moved},
              now=now)
    audit.log(actor, new, "order.split_from", data={"positions": numbers, "original_order": order.code,
                                                    "amount_moved": moved, "total": new.total}, now=now)
    return Split(new, moved)


def _copy(value):
    return dict(value) if isinstance(value, dict) else value


def _move_money(order: Order, new: Order, amount: Decimal, now: datetime) -> Decimal:
    """Move `amount` of what `order` holds to `new`: per payment (newest first, at most what is
    refundable on it) a done refund on `order` and a confirmed payment on `new`."""
    moved, remaining = ZERO, amount
    for payment in sorted(order.payments, key=lambda p: p.local_id, reverse=True):
        if remaining <= ZERO:
            break
        if not can_refund(payment):
            continue
        part = min(refundable(payment), remaining)
        db.session.add(OrderRefund(order=order, local_id=next_refund_id(order), state=RefundState.DONE,
                                   source="admin", amount=part, provider=payment.provider, payment=payment,
                                   payment_id=payment.id, created=now, execution_date=now,
                                   comment=f"split into {new.code}", details={"split_into": new.code}))
        db.session.add(OrderPayment(order=new, local_id=len(new.payments) + 1, state=PaymentState.CONFIRMED,
                                    amount=part, provider=payment.provider, created=now, payment_date=now,
                                    details={"split_from": order.code, "payment": payment.local_id}))
        db.session.flush()
        moved += part
        remaining -= part
    return moved
