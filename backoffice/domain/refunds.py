"""Refunds of an order (seed 003's refund operations): create by hand, done, process, cancel.

A refund on a payment never gives back more than payments.refundable() says; one on no payment
never more than the order holds (Totals.net_paid), unless its creator asks for no cap
(`allow_above_paid`: the JSON API, as seed 003 records refunds unchecked). Every operation locks
the order first (payments.begin). Functions flush, never commit.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..extensions import db
from . import audit, orders, parsing
from .audit import Actor
from .errors import Invalid, NotFound
from .texts import T_
from .models import Order, OrderPayment, OrderRefund, OrderStatus, RefundState, utcnow
from .payments import ZERO, begin, clean_amount, clean_provider, get_payment, next_refund_id, parse_local_id, refundable

CREATE_STATES = (RefundState.CREATED, RefundState.TRANSIT, RefundState.EXTERNAL, RefundState.DONE)
SOURCES = ("admin", "buyer", "external")
STATE_LABELS = {RefundState.CREATED: T_("created"), RefundState.TRANSIT: T_("in transit"),
                RefundState.EXTERNAL: T_("external"), RefundState.CANCELED: T_("canceled"),
                RefundState.FAILED: T_("failed"), RefundState.DONE: T_("done")}


def get_refund(order: Order, local_id: Any) -> OrderRefund:
    number = parse_local_id(local_id, "refund")
    refund = next((r for r in order.refunds if r.local_id == number), None)
    if refund is None:
        raise NotFound(T_("Order %(code)s has no refund #%(number)s.", code=order.code, number=number),
                       code="refund_not_found")
    return refund


def _locked_refund(refund: OrderRefund, seen_last_modified: str | None) -> tuple[Order, OrderRefund]:
    order = begin(refund.order, seen_last_modified)
    return order, get_refund(order, refund.local_id)


def _ensure_within(order: Order, payment: OrderPayment | None, amount: Decimal, what: str) -> None:
    """Refuse a refund of `amount` that would give back more than was received."""
    if payment is not None:
        available = refundable(payment)
        if amount > available:
            raise Invalid(T_("%(what)s of %(amount)s is more than the %(available)s still refundable on payment "
                             "#%(number)s (%(state)s, %(paid)s paid).", what=what, amount=amount, available=available,
                             number=payment.local_id, state=T_(payment.state), paid=payment.amount),
                          code="amount_too_high", field="amount")
        return
    held = orders.totals(order).net_paid
    if amount > held:
        raise Invalid(T_("%(what)s of %(amount)s is more than the %(held)s order %(code)s holds "
                         "(paid minus refunded).", what=what, amount=amount, held=max(held, ZERO), code=order.code),
                      code="amount_too_high", field="amount")


def _refuse_state(refund: OrderRefund, action: str, allowed: str) -> Invalid:
    state = STATE_LABELS.get(refund.state, refund.state)
    return Invalid(T_("Refund #%(number)s cannot be %(action)s: it is %(state)s. Only %(allowed)s refunds can be.",
                      number=refund.local_id, action=action, state=state, allowed=allowed),
                   code="wrong_refund_state")


def _clean_choice(value: Any, choices: tuple[str, ...], what: str, field: str) -> str:
    text = str(value or "").strip()
    if text not in choices:
        raise Invalid(T_("The %(what)s must be one of %(choices)s; '%(text)s' is not.", what=what,
                         choices=', '.join(choices), text=text[:20]),
                      code=f"{field}_invalid", field=field)
    return text


def create_refund(order: Order, *, actor: Actor, amount: Any, state: str = RefundState.CREATED, source: str = "admin",
                  payment: Any = None, execution_date: Any = None, comment: str | None = None,
                  provider: Any = None, mark_canceled: bool = False, mark_pending: bool = False,
                  seen_last_modified: str | None = None, now: datetime | None = None,
                  allow_above_paid: bool = False) -> OrderRefund:
    """Record a refund by hand. `payment` is the order-local number of the payment it gives back
    (optional); the provider defaults to that payment's. `mark_canceled` cancels the order,
    `mark_pending` sets a paid order back to pending. `allow_above_paid` records an amount beyond
    what was received (the amount is still a positive amount within the money bound)."""
    now = now or utcnow()
    amount = clean_amount(amount)
    if amount is None:
        raise Invalid(T_("Enter the amount to refund."), code="amount_missing", field="amount")
    state = _clean_choice(state, CREATE_STATES, T_("refund state"), "state")
    source = _clean_choice(source, SOURCES, T_("refund source"), "source")
    comment = orders.clean_comment(comment)
    if mark_canceled and mark_pending:
        raise Invalid(T_("Choose either to cancel the order or to mark it as pending, not both."),
                      code="conflicting_choices", field="mark_pending")
    order = begin(order, seen_last_modified)
    paid_by = None if payment in (None, "") else _payment_of(order, payment)
    if provider in (None, "") and paid_by is not None:
        provider = paid_by.provider
    else:
        provider = clean_provider(order, provider)
    when = parsing.parse_moment(execution_date, order.event.timezone, label=T_("execution date"),
                                field="execution_date")
    # also an external refund: processing it later makes it count
    if not allow_above_paid:
        _ensure_within(order, paid_by, amount, T_("A refund"))
    refund = OrderRefund(order=order, local_id=next_refund_id(order), state=state, source=source, amount=amount,
                         provider=provider, payment=paid_by, payment_id=paid_by.id if paid_by else None,
                         created=now, comment=comment or None,
                         execution_date=when or (now if state == RefundState.DONE else None))
    db.session.add(refund)
    audit.log(actor, order, "order.refund_created", data={
        "refund_number": refund.local_id, "state": state, "source": source, "amount": amount, "provider": provider,
        "payment": paid_by.local_id if paid_by else None, "comment": comment})
    _after_refund(order, actor=actor, mark_canceled=mark_canceled, mark_pending=mark_pending, now=now)
    return refund


def _payment_of(order: Order, local_id: Any) -> OrderPayment:
    try:
        return get_payment(order, local_id)
    except NotFound as e:
        raise Invalid(e.message, code="payment_not_found", field="payment") from None


def _after_refund(order: Order, *, actor: Actor, mark_canceled: bool, mark_pending: bool, now: datetime) -> None:
    """What the order becomes after money went back, when asked: canceled (without an email),
    or, from paid, pending with a new deadline."""
    if mark_canceled:
        if order.status != OrderStatus.CANCELED:
            orders.cancel_order(order, actor=actor, send_email=False, now=now)
        return
    if mark_pending and order.status == OrderStatus.PAID:
        order.status = OrderStatus.PENDING
        order.expires = orders.new_deadline(order, now)
        audit.log(actor, order, "order.marked_pending", data={"reason": "refund", "expires": order.expires})


def mark_refund_done(refund: OrderRefund, *, actor: Actor, seen_last_modified: str | None = None,
                     now: datetime | None = None) -> OrderRefund:
    """Created or in transit → done: the money has arrived with the buyer."""
    now = now or utcnow()
    order, refund = _locked_refund(refund, seen_last_modified)
    if refund.state not in (RefundState.CREATED, RefundState.TRANSIT):
        raise _refuse_state(refund, T_("marked as done"), T_("created or in-transit"))
    refund.state = RefundState.DONE
    refund.execution_date = refund.execution_date or now
    audit.log(actor, order, "order.refund_done", data={"refund_number": refund.local_id, "amount": refund.amount})
    return refund


def process_refund(refund: OrderRefund, *, actor: Actor, mark_canceled: bool = False,
                   seen_last_modified: str | None = None, now: datetime | None = None) -> OrderRefund:
    """External → done (money given back outside the back office, e.g. a chargeback); the order
    is then canceled (`mark_canceled`) or, when it was paid and is no longer covered, pending."""
    now = now or utcnow()
    order, refund = _locked_refund(refund, seen_last_modified)
    if refund.state != RefundState.EXTERNAL:
        raise _refuse_state(refund, T_("processed"), T_("external"))
    _ensure_within(order, refund.payment, refund.amount, T_("Refund #%(number)s", number=refund.local_id))
    refund.state = RefundState.DONE
    refund.execution_date = refund.execution_date or now
    audit.log(actor, order, "order.refund_processed", data={
        "refund_number": refund.local_id, "amount": refund.amount, "mark_canceled": bool(mark_canceled)})
    # as pretix: a paid order the money no longer covers is pending again
    uncovered = orders.totals(order).open > ZERO
    _after_refund(order, actor=actor, mark_canceled=mark_canceled, mark_pending=uncovered, now=now)
    return refund


def cancel_refund(refund: OrderRefund, *, actor: Actor, seen_last_modified: str | None = None) -> OrderRefund:
    """Created, in transit or external → canceled: the money was not (and will not be) given back."""
    order, refund = _locked_refund(refund, seen_last_modified)
    if refund.state not in (RefundState.CREATED, RefundState.TRANSIT, RefundState.EXTERNAL):
        raise _refuse_state(refund, T_("canceled"), T_("created, in-transit or external"))
    refund.state = RefundState.CANCELED
    audit.log(actor, order, "order.refund_canceled", data={"refund_number": refund.local_id, "amount": refund.amount})
    return refund
