"""Payments of an order (seed 003's payment operations): record, confirm, cancel, refund.

Money sums come from orders.totals(); what can still be given back on one payment comes from
refundable() alone. Every operation locks the order first (orders.begin_change), so that two
staff refunding the same payment at once are served one after the other: the second one sees
the first one's refund (or a stale page) and is refused. Functions flush, never commit.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..extensions import db
from . import audit, orders, parsing, providers
from .audit import Actor
from .availability import ensure_available, needs_of
from .errors import Invalid, NotFound
from .models import (Order, OrderPayment, OrderRefund, OrderStatus, PaymentState, RefundState, utcnow)
from .texts import T_

ZERO = orders.ZERO
#: the states a payment can be recorded in (a canceled or failed payment is not worth recording)
CREATE_STATES = (PaymentState.CREATED, PaymentState.PENDING, PaymentState.CONFIRMED)
#: providers through which nothing was paid, so nothing can be given back
NO_REFUND_PROVIDERS = frozenset({providers.FREE})
MAX_INFO = orders.MAX_TEXT


# --- reading -------------------------------------------------------------------------------------

def refundable(payment: OrderPayment) -> Decimal:
    """What can still be given back on `payment`: its amount minus its refunds that count
    (done, in transit or created). The one place this is computed."""
    if payment.state not in orders.PAID_PAYMENT_STATES:
        return ZERO
    refunded = sum((r.amount for r in payment.order.refunds
                    if r.payment_id == payment.id and r.state in orders.COUNTED_REFUND_STATES), ZERO)
    return max(payment.amount - refunded, ZERO)


def can_refund(payment: OrderPayment) -> bool:
    return (payment.state == PaymentState.CONFIRMED and payment.provider not in NO_REFUND_PROVIDERS
            and refundable(payment) > ZERO)


def parse_local_id(value: Any, what: str = "payment") -> int:
    """The order-local number of a payment or refund; NotFound for anything that is not one."""
    try:
        local_id = parsing.parse_id(value, label=f"{what} number")
    except Invalid:
        local_id = None
    if local_id is None:
        shown = repr(str(value)[:40])
        message = (T_("There is no payment %(value)s in this order.", value=shown) if what == "payment" else
                   T_("There is no refund %(value)s in this order.", value=shown) if what == "refund" else
                   T_("There is no %(what)s %(value)s in this order.", what=what, value=shown))
        raise NotFound(message, code=f"{what}_not_found")
    return local_id


def get_payment(order: Order, local_id: Any) -> OrderPayment:
    number = parse_local_id(local_id, "payment")
    payment = next((p for p in order.payments if p.local_id == number), None)
    if payment is None:
        raise NotFound(T_("Order %(code)s has no payment #%(number)s.",
                          code=order.code, number=number), code="payment_not_found")
    return payment


def suggested_refunds(order: Order) -> list[tuple[OrderPayment, Decimal]]:
    """How to give back what the order is due (Totals.to_refund): from the confirmed payments,
    newest first, each at most what is still refundable on it."""
    remaining = orders.totals(order).to_refund
    plan = []
    for payment in sorted(order.payments, key=lambda p: p.local_id, reverse=True):
        if remaining <= ZERO:
            break
        if not can_refund(payment):
            continue
        amount = min(refundable(payment), remaining)
        plan.append((payment, amount))
        remaining -= amount
    return plan


# --- shared steps --------------------------------------------------------------------------------

def begin(order: Order, seen_last_modified: str | None) -> Order:
    """orders.begin_change, and forget every payment and refund of the order read before the
    lock: their states are read again, as the lock holder left them."""
    order = orders.begin_change(order, seen_last_modified)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, (OrderPayment, OrderRefund)) and obj.order_id == order.id:
            db.session.expire(obj)
    return order


def _locked_payment(payment: OrderPayment, seen_last_modified: str | None) -> tuple[Order, OrderPayment]:
    order = begin(payment.order, seen_last_modified)
    return order, get_payment(order, payment.local_id)


def clean_amount(value: Any, *, label: str = T_("amount"), field: str = "amount") -> Decimal | None:
    amount = parsing.parse_amount(value, minimum=ZERO, label=label, field=field)
    if amount is not None and amount == ZERO:
        raise Invalid(T_("The %(label)s must be more than zero.", label=label), code="amount_out_of_range", field=field)
    return amount


def clean_provider(order: Order, provider: Any) -> str:
    """A provider of the registry that the order's event has enabled."""
    identifier = str(provider or "").strip()
    if not identifier:
        raise Invalid(T_("Choose the payment provider."), code="provider_missing", field="provider")
    if identifier not in providers.PROVIDERS:
        raise Invalid(T_("'%(identifier)s' is not a payment provider this back office knows.",
                         identifier=identifier[:40]),
                      code="provider_unknown", field="provider")
    if identifier not in (order.event.payment_providers or []):
        raise Invalid(T_("%(provider)s is not enabled for %(name)s.",
                         provider=providers.provider_name(identifier), name=order.event.name),
                      code="provider_disabled", field="provider")
    return identifier


def _clean_info(info: Any) -> dict:
    if info is None or info == "":
        return {}
    if isinstance(info, dict):
        return info
    text = str(info).strip()
    if len(text) > MAX_INFO:
        raise Invalid(T_("The payment information may be at most %(max_info)s characters long.",
                         max_info=f"{MAX_INFO:,}"),
                      code="too_long", field="info")
    if "\x00" in text:
        raise Invalid(T_("The payment information contains a NUL character."), code="text_invalid", field="info")
    return {"info": text} if text else {}


def _settle(order: Order, extra: Decimal, force: bool) -> str | None:
    """Before `extra` is confirmed: the status the order gets from it (None: unchanged).

    Refuses (nothing changed yet) when an expired order would be paid but its tickets no
    longer fit in quotas and seats, unless `force`.
    """
    if not orders.paid_in_full(order, extra):
        return None
    if order.status == OrderStatus.EXPIRED:
        ensure_available(order.event_id, needs_of(order), force=force, exclude_order_id=order.id)
    return OrderStatus.PAID


def _payment_data(payment: OrderPayment) -> dict:
    return {"payment": payment.local_id, "amount": payment.amount, "provider": payment.provider}


# --- operations ----------------------------------------------------------------------------------

def create_payment(order: Order, *, actor: Actor, amount: Any, provider: Any, state: str = PaymentState.CONFIRMED,
                   payment_date: Any = None, info: Any = None, send_email: bool = False, force: bool = False,
                   seen_last_modified: str | None = None, now: datetime | None = None) -> OrderPayment:
    """Record a payment received outside the shop (a partial one is normal).

    A confirmed payment that covers the open amount of a pending or expired order makes it paid
    (an expired one only while quota and seats allow, or with `force`); `send_email` then sends
    the payment confirmation.
    """
    now = now or utcnow()
    amount = clean_amount(amount)
    if amount is None:
        raise Invalid(T_("Enter the amount received."), code="amount_missing", field="amount")
    if state not in CREATE_STATES:
        raise Invalid(T_("A payment can be recorded as created, pending or confirmed, not as %(state)s.",
                         state=f"{str(state)[:20]!r}"),
                      code="state_invalid", field="state")
    details = _clean_info(info)
    order = begin(order, seen_last_modified)
    provider = clean_provider(order, provider)
    when = parsing.parse_moment(payment_date, order.event.timezone, label=T_("payment date"), field="payment_date")
    if when is not None and when > now:
        raise Invalid(T_("The payment date cannot be in the future."), code="date_in_future", field="payment_date")
    confirmed = state == PaymentState.CONFIRMED
    new_status = _settle(order, amount, force) if confirmed else None
    payment = OrderPayment(order=order, local_id=orders.next_payment_id(order), state=state, amount=amount,
                           provider=provider, created=now, details=details,
                           payment_date=(when or now) if confirmed else when)
    db.session.add(payment)
    previous = _apply_status(order, new_status)
    audit.log(actor, order, "order.payment_recorded", data={
        **_payment_data(payment), "state": state, "payment_date": payment.payment_date,
        **_status_data(previous, new_status, force, send_email, order)})
    if new_status == OrderStatus.PAID and send_email:
        orders.queue_order_mail(order, "order_paid")
    return payment


def confirm_payment(payment: OrderPayment, *, actor: Actor, force: bool = False, send_email: bool = True,
                    seen_last_modified: str | None = None, now: datetime | None = None) -> OrderPayment:
    """Created or pending → confirmed; a pending or expired order that is then fully paid
    becomes paid (quota checked for an expired order unless `force`)."""
    now = now or utcnow()
    order, payment = _locked_payment(payment, seen_last_modified)
    if payment.state not in orders.OPEN_PAYMENT_STATES:
        raise Invalid(T_("Payment #%(local_id)s cannot be confirmed: it is %(state)s. "
                         "Only created or pending payments can be.",
                         local_id=payment.local_id, state=T_(payment.state)), code="wrong_payment_state")
    new_status = _settle(order, payment.amount, force)
    payment.state = PaymentState.CONFIRMED
    payment.payment_date = now
    previous = _apply_status(order, new_status)
    audit.log(actor, order, "order.payment_confirmed", data={
        **_payment_data(payment), **_status_data(previous, new_status, force, send_email, order)})
    if new_status == OrderStatus.PAID and send_email:
        orders.queue_order_mail(order, "order_paid")
    return payment


def _apply_status(order: Order, new_status: str | None) -> str:
    previous = order.status
    if new_status is not None:
        order.status = new_status
    return previous


def _status_data(previous: str, new_status: str | None, force: bool, send_email: bool, order: Order) -> dict:
    if new_status is None:
        return {}
    return {"previous_status": previous, "status": new_status,
            "overbooked": bool(force and previous == OrderStatus.EXPIRED),
            "email_sent": bool(send_email and order.email)}


def cancel_payment(payment: OrderPayment, *, actor: Actor, seen_last_modified: str | None = None) -> OrderPayment:
    """Created or pending → canceled: the money will not arrive."""
    order, payment = _locked_payment(payment, seen_last_modified)
    if payment.state not in orders.OPEN_PAYMENT_STATES:
        raise Invalid(T_("Payment #%(local_id)s cannot be canceled: it is %(state)s. "
                         "Only created or pending payments can be.",
                         local_id=payment.local_id, state=T_(payment.state)), code="wrong_payment_state")
    payment.state = PaymentState.CANCELED
    audit.log(actor, order, "order.payment_canceled", data=_payment_data(payment))
    return payment


def refund_payment(payment: OrderPayment, *, actor: Actor, amount: Any = None, mark_canceled: bool = False,
                   comment: str | None = None, seen_last_modified: str | None = None,
                   now: datetime | None = None) -> OrderRefund:
    """Give back (part of) a confirmed payment; `amount` defaults to all that is refundable.

    No provider here pays back by itself: the refund is recorded as done by staff (source
    `admin`), i.e. the money was given back by hand. `mark_canceled` also cancels the order.
    """
    now = now or utcnow()
    wanted = clean_amount(amount)
    comment = orders.clean_comment(comment)
    order, payment = _locked_payment(payment, seen_last_modified)
    refund = _refund(order, payment, wanted, actor=actor, comment=comment, now=now)
    if mark_canceled and order.status != OrderStatus.CANCELED:
        orders.cancel_order(order, actor=actor, send_email=False, now=now)
    return refund


def _refund(order: Order, payment: OrderPayment, amount: Decimal | None, *, actor: Actor, comment: str,
            now: datetime) -> OrderRefund:
    """The refund of `amount` (None: all) on a payment of the locked order, done by staff."""
    ensure_refundable(payment)
    available = refundable(payment)
    amount = available if amount is None else amount
    if amount > available:
        raise Invalid(T_("At most %(available)s can be refunded on payment #%(local_id)s "
                         "(%(paid)s paid, %(refunded)s already refunded); %(amount)s is too much.",
                         available=available, local_id=payment.local_id, paid=payment.amount,
                         refunded=payment.amount - available, amount=amount),
                      code="amount_too_high", field="amount")
    refund = OrderRefund(order=order, local_id=next_refund_id(order), state=RefundState.DONE, source="admin",
                         amount=amount, provider=payment.provider, payment=payment, payment_id=payment.id,
                         created=now, execution_date=now, comment=comment or None,
                         details={"by_hand": not _can_refund_online(payment.provider)})
    db.session.add(refund)
    audit.log(actor, order, "order.payment_refunded", data={
        "payment": payment.local_id, "refund_number": refund.local_id, "amount": amount, "provider": payment.provider,
        "comment": comment})
    return refund


def _can_refund_online(identifier: str) -> bool:
    provider = providers.get_provider(identifier)
    return bool(provider and provider.can_refund)


def ensure_refundable(payment: OrderPayment) -> None:
    if payment.state != PaymentState.CONFIRMED:
        raise Invalid(T_("Payment #%(local_id)s cannot be refunded: it is %(state)s. "
                         "Only confirmed payments can be.",
                         local_id=payment.local_id, state=T_(payment.state)), code="wrong_payment_state")
    if payment.provider in NO_REFUND_PROVIDERS:
        raise Invalid(T_("Payment #%(local_id)s (%(provider)s) cannot be refunded: "
                         "the %(provider)s provider does not support refunds.",
                         local_id=payment.local_id, provider=providers.provider_name(payment.provider)),
                      code="refund_unsupported")
    if refundable(payment) <= ZERO:
        raise Invalid(T_("Payment #%(local_id)s has been refunded in full already.",
                         local_id=payment.local_id), code="amount_too_high",
                      field="amount")


def next_refund_id(order: Order) -> int:
    return max((r.local_id for r in order.refunds), default=0) + 1


def refund_due(order: Order, *, actor: Actor, expected: Any = None, seen_last_modified: str | None = None,
               now: datetime | None = None) -> list[OrderRefund]:
    """Give back what the order is due (Totals.to_refund), split as suggested_refunds() says,
    all in the caller's one transaction. `expected` is the total the page promised: when the
    plan now differs, nothing is done."""
    now = now or utcnow()
    promised = parsing.parse_amount(expected, minimum=ZERO, label=T_("amount to refund"), field="expected")
    order = begin(order, seen_last_modified)
    plan = suggested_refunds(order)
    total = sum((amount for _p, amount in plan), ZERO)
    if not plan:
        raise Invalid(T_("Order %(code)s has nothing due for refund that a payment could give back.",
                         code=order.code),
                      code="nothing_to_refund")
    if promised is not None and promised != total:
        raise Invalid(T_("The amount due for refund is %(total)s now, not %(promised)s. Check it and try again.",
                         total=total, promised=promised),
                      code="amount_changed")
    return [_refund(order, payment, amount, actor=actor, comment="", now=now) for payment, amount in plan]
