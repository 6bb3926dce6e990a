"""Order-level actions (seed 003's state operations) and the order's money totals.

Editing fields lives in order_fields.py, ticket secrets and blocks in secrets.py.

Every action follows the same steps: lock the order (and re-read it), refuse when the page
that asked showed an older state, check the rule, change, write the audit entry. Functions
flush but never commit: the caller owns the transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from ..extensions import db
from . import audit, parsing, providers
from .audit import Actor
from .availability import ensure_available, needs_of
from .changes import ensure_unchanged
from .errors import Invalid, NotFound
from .models import (Answer, Checkin, Event, Invoice, InvoiceAddress, Order, OrderFee,
                     OrderPayment, OrderPosition, OrderRefund, OrderStatus, PaymentState, RefundState,
                     RevokedSecret, answer_option, utcnow)
from .tx import lock
from .texts import T_

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# What counts as money received, and as money given back (or on its way back), as pretix counts it.
PAID_PAYMENT_STATES = (PaymentState.CONFIRMED, PaymentState.REFUNDED)
COUNTED_REFUND_STATES = (RefundState.DONE, RefundState.TRANSIT, RefundState.CREATED)
OPEN_PAYMENT_STATES = (PaymentState.CREATED, PaymentState.PENDING)

FEE_CANCELLATION = "cancellation"
MAX_TEXT = 10_000


# --- reading -----------------------------------------------------------------------------------

def get_order(event: Event, code: str) -> Order:
    """The order `code` of `event`; NotFound otherwise (also for other events' orders)."""
    order = db.session.scalar(select(Order).where(Order.event_id == event.id, Order.code == code.upper()))
    if order is None:
        raise NotFound(T_("There is no order %(code)s in this event.", code=code), code="order_not_found")
    return order


@dataclass(frozen=True)
class Totals:
    """Money of one order. owed - paid + refunded == open, always.

    `owed` is the total, except for a canceled order, which owes nothing: what was paid for it
    shows as a negative open amount, i.e. due for refund.
    """
    total: Decimal
    owed: Decimal
    paid: Decimal
    refunded: Decimal
    #: for an order canceled with a fee: that fee, which is then all the order owes
    cancellation_fee: Decimal | None = None

    @property
    def open(self) -> Decimal:
        return self.owed - self.paid + self.refunded

    @property
    def to_refund(self) -> Decimal:
        return -self.open if self.open < ZERO else ZERO

    @property
    def net_paid(self) -> Decimal:
        """What the organizer holds: paid minus refunded."""
        return self.paid - self.refunded


def owed_amount(status: str, total: Decimal) -> Decimal:
    return ZERO if status == OrderStatus.CANCELED else total


def canceled_with_fee(order: Order) -> bool:
    """Canceled with a cancellation fee: the order lives on (paid, pending or expired) for the
    fee alone. A cancellation without a fee leaves the order canceled instead."""
    return order.cancellation_date is not None and order.status != OrderStatus.CANCELED


def totals(order: Order) -> Totals:
    """The order's money from its loaded payments and refunds (money.totals_of: many orders)."""
    paid = sum((p.amount for p in order.payments if p.state in PAID_PAYMENT_STATES), ZERO)
    refunded = sum((r.amount for r in order.refunds if r.state in COUNTED_REFUND_STATES), ZERO)
    return totals_from(order, paid, refunded)


def totals_from(order: Order, paid: Decimal, refunded: Decimal) -> Totals:
    """Totals of `order` given what was paid and refunded (summed over the counted states)."""
    return Totals(total=order.total, owed=owed_amount(order.status, order.total), paid=paid, refunded=refunded,
                  cancellation_fee=order.total if canceled_with_fee(order) else None)


# What an order canceled with a fee is called, by the state of that fee.
FEE_STATUS_LABELS = {OrderStatus.PAID: "canceled, fee kept", OrderStatus.PENDING: "canceled, fee due",
                     OrderStatus.EXPIRED: "canceled, fee overdue"}


def status_label(order: Order) -> tuple[str, str]:
    """(label, style) of the order's status as every page shows it.

    An order canceled with a fee is paid or pending by its status code (as in the seeds), but
    reads as canceled, so that no "paid" badge sits beside "canceled".
    """
    if order.status == OrderStatus.PENDING and order.require_approval:
        return "awaiting approval", "approval"
    if canceled_with_fee(order):
        return FEE_STATUS_LABELS[order.status], "canceled"
    label = OrderStatus.LABELS[order.status]
    return label, label


def paid_in_full(order: Order, extra: Decimal = ZERO) -> bool:
    """The one rule by which money makes an order paid: a pending or expired order (not waiting
    for approval) whose payments, with `extra` about to be confirmed, cover what it owes. Some
    money must have come in: an order reduced to nothing is not "paid" by no payment."""
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED) or order.require_approval:
        return False
    t = totals(order)
    return t.net_paid + extra > ZERO and t.open - extra <= ZERO


def payment_refund_sum(order: Order) -> Decimal:
    t = totals(order)
    return t.paid - t.refunded


def public_order_path(order: Order) -> str:
    """Path of the customer-facing order page (served by the `public` blueprint)."""
    return f"/{order.event.organizer.slug}/{order.event.slug}/order/{order.code}/{order.secret}/"


def order_url(order: Order) -> str:
    from ..mail import absolute_url
    return absolute_url(public_order_path(order))


# Which actions the current state allows: the UI shows these buttons, the actions check the same rules.
def allowed_actions(order: Order) -> list[str]:
    s = order.status
    actions = []
    if s == OrderStatus.PENDING and order.require_approval:
        actions += ["approve", "deny"]
    if s in (OrderStatus.PENDING, OrderStatus.EXPIRED) and not (s == OrderStatus.PENDING and order.require_approval):
        actions.append("mark_paid")
    if s in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        actions.append("extend")
    if s == OrderStatus.PENDING:
        actions.append("mark_expired")
    if s == OrderStatus.PAID:
        actions.append("mark_pending")
    if s == OrderStatus.CANCELED:
        actions.append("reactivate")
    if s in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED):
        actions.append("cancel")
    if order.email:
        actions.append("resend_link")
    actions.append("regenerate_secrets")
    if order.testmode:
        actions.append("delete")
    return actions


def likely_action(order: Order) -> str | None:
    """The one action staff most probably want next: shown as the primary button."""
    if order.status == OrderStatus.PENDING and order.require_approval:
        return "approve"
    if order.status == OrderStatus.PENDING:
        return "mark_paid"
    if order.status == OrderStatus.EXPIRED:
        return "extend"
    if order.status == OrderStatus.CANCELED:
        return "reactivate"
    return None


# --- shared steps ------------------------------------------------------------------------------

def begin_change(order: Order, seen_last_modified: str | None) -> Order:
    """Lock the order row, re-read it, and refuse when the caller saw an older state."""
    locked = lock(Order, order.id)
    if locked is None:
        raise NotFound(T_("This order does not exist any more."), code="order_not_found")
    # Collections read before the lock may be stale: read them again on next use.
    db.session.expire(locked, ["all_positions", "all_fees", "payments", "refunds", "invoice_address"])
    ensure_unchanged(locked, seen_last_modified)
    return locked


def _refuse(order: Order, action: str) -> Invalid:
    label, _style = status_label(order)
    return Invalid(T_("Order %(code)s cannot be %(action)s: it is %(status)s.", code=order.code, action=action,
                      status=T_(label)), code="wrong_status")


def end_of_day(day: dt.date, tz: str) -> datetime:
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(tz)).astimezone(dt.timezone.utc)


def new_deadline(order: Order, now: datetime) -> datetime:
    """Payment deadline from the event's payment term: the end of that day in the event's zone."""
    zone = ZoneInfo(order.event.timezone)
    day = (now.astimezone(zone) + timedelta(days=order.event.payment_term_days)).date()
    return end_of_day(day, order.event.timezone)


def next_payment_id(order: Order) -> int:
    return max((p.local_id for p in order.payments), default=0) + 1


def _confirmed_payment(order: Order, amount: Decimal, provider: str, now: datetime) -> OrderPayment:
    payment = OrderPayment(order=order, local_id=next_payment_id(order), state=PaymentState.CONFIRMED,
                           amount=amount, provider=provider, created=now, payment_date=now)
    db.session.add(payment)
    return payment


def _open_manual_payment(order: Order, amount: Decimal) -> OrderPayment | None:
    return next((p for p in order.payments if p.state in OPEN_PAYMENT_STATES
                 and p.provider == providers.MANUAL and p.amount == amount), None)


def _settle_open_payments(order: Order, amount: Decimal,
                          now: datetime) -> tuple[OrderPayment, bool, list[int]]:
    """The confirmed payment of `amount` for mark paid, whether it is a new one, and the local
    ids of the payments canceled.

    As pretix: an open manual payment of exactly `amount` is the one that arrived and is
    confirmed; otherwise the open payments will never arrive: they are canceled and a new
    confirmed payment records the money.
    """
    payment = _open_manual_payment(order, amount)
    if payment is not None:
        payment.state = PaymentState.CONFIRMED
        payment.payment_date = now
        return payment, False, []
    canceled = _cancel_open_payments(order)
    provider = providers.FREE if order.total == ZERO else providers.MANUAL
    return _confirmed_payment(order, amount, provider, now), True, canceled


def _cancel_open_payments(order: Order) -> list[int]:
    canceled = []
    for payment in order.payments:
        if payment.state in OPEN_PAYMENT_STATES:
            payment.state = PaymentState.CANCELED
            canceled.append(payment.local_id)
    return canceled


def queue_order_mail(order: Order, template: str, **context) -> None:
    from ..mail import queue_mail
    if not order.email:
        return
    queue_mail(to=order.email, template=template, organizer_id=order.event.organizer_id, obj=order,
               context=dict(order=order, event=order.event, url=order_url(order), totals=totals(order), **context))


def clean_comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_TEXT:
        raise Invalid(T_("The comment may be at most %(max_text)s characters long.",
                         max_text=f"{MAX_TEXT:,}"), code="too_long", field="comment")
    return comment


# --- state operations ----------------------------------------------------------------------------

def mark_paid(order: Order, *, actor: Actor, send_email: bool = True, force: bool = False,
              seen_last_modified: str | None = None, now: datetime | None = None) -> Order:
    """Pending or expired → paid, with a confirmed payment of the open amount.

    An expired order's tickets were released: they need free quota and seats again, unless
    `force` (the UI's "overbook anyway") says to overbook.
    """
    now = now or utcnow()
    order = begin_change(order, seen_last_modified)
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        raise _refuse(order, T_("marked as paid"))
    if order.status == OrderStatus.PENDING and order.require_approval:
        raise Invalid(T_("Order %(code)s is awaiting approval: approve it before marking it as paid.",
                         code=order.code),
                      code="approval_pending")
    if order.status == OrderStatus.EXPIRED:
        ensure_available(order.event_id, needs_of(order), force=force, exclude_order_id=order.id)
    previous = order.status
    amount = max(totals(order).open, ZERO)
    payment, recorded, canceled = _settle_open_payments(order, amount, now)
    order.status = OrderStatus.PAID
    audit.log(actor, order, "order.marked_paid", data={
        "previous_status": previous, "amount": amount, "provider": payment.provider, "payment": payment.local_id,
        "payment_recorded": recorded, "payments_canceled": canceled,
        "overbooked": bool(force and previous == OrderStatus.EXPIRED), "email_sent": bool(send_email and order.email)})
    if send_email:
        queue_order_mail(order, "order_paid")
    return order


def cancel_order(order: Order, *, actor: Actor, send_email: bool = True, comment: str | None = None,
                 cancellation_fee: Decimal | str | None = None, seen_last_modified: str | None = None,
                 now: datetime | None = None) -> Order:
    """Pending, expired or paid → canceled; with a cancellation fee the fee becomes the order.

    Without a fee only the order's status changes (its positions stay as they are). With a fee,
    every position and fee is marked canceled and one `cancellation` fee is the order's only
    component; the order is then paid if what was paid covers the fee, else pending again.
    """
    now = now or utcnow()
    comment = clean_comment(comment)
    fee = _clean_fee(cancellation_fee)
    order = begin_change(order, seen_last_modified)
    if order.status not in (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED):
        raise _refuse(order, T_("canceled"))
    if fee is not None and fee > order.total:
        raise Invalid(T_("The cancellation fee (%(fee)s) cannot be higher than the order total (%(total)s).",
                         fee=fee, total=order.total),
                      code="fee_too_high", field="cancellation_fee")
    previous = order.status
    canceled_positions = len(order.positions)
    canceled_payments = _cancel_open_payments(order)
    if fee:
        _replace_with_fee(order, fee, now)
    else:
        order.status = OrderStatus.CANCELED
    order.cancellation_date = now
    audit.log(actor, order, "order.canceled", data={
        "previous_status": previous, "cancellation_fee": fee, "comment": comment,
        "positions": canceled_positions, "payments_canceled": canceled_payments,
        "email_sent": bool(send_email and order.email)})
    if send_email:
        queue_order_mail(order, "order_canceled", comment=comment, fee=fee)
    return order


def _clean_fee(value: Decimal | str | None) -> Decimal | None:
    fee = parsing.parse_amount(value, minimum=ZERO, label=T_("cancellation fee"), field="cancellation_fee")
    return fee if fee else None


def _replace_with_fee(order: Order, fee: Decimal, now: datetime) -> None:
    for position in order.positions:
        position.canceled = True
    for existing in order.fees:
        existing.canceled = True
    db.session.add(OrderFee(order=order, fee_type=FEE_CANCELLATION, value=fee, description="Cancellation fee"))
    order.total = fee
    if payment_refund_sum(order) >= fee:
        order.status = OrderStatus.PAID
    else:
        order.status = OrderStatus.PENDING
        order.expires = new_deadline(order, now)


def reactivate_order(order: Order, *, actor: Actor, seen_last_modified: str | None = None,
                     now: datetime | None = None) -> Order:
    """Canceled → paid (when what was paid covers the total) or pending, while quota and seats allow.

    A denied order (canceled, still requiring approval) goes back to awaiting approval, as in
    pretix: reactivating never approves it, whatever was paid.
    """
    now = now or utcnow()
    order = begin_change(order, seen_last_modified)
    if order.status != OrderStatus.CANCELED:
        raise Invalid(T_("Order %(code)s is not canceled, so it cannot be reactivated.",
                         code=order.code), code="wrong_status")
    ensure_available(order.event_id, needs_of(order), exclude_order_id=order.id)
    covered = payment_refund_sum(order) >= order.total
    order.status = OrderStatus.PAID if covered and not order.require_approval else OrderStatus.PENDING
    order.cancellation_date = None
    order.expires = new_deadline(order, now)
    audit.log(actor, order, "order.reactivated", data={
        "status": order.status, "expires": order.expires, "awaiting_approval": order.require_approval})
    return order


def mark_pending(order: Order, *, actor: Actor, seen_last_modified: str | None = None) -> Order:
    """Paid → pending (unpaid)."""
    order = begin_change(order, seen_last_modified)
    if order.status != OrderStatus.PAID:
        raise _refuse(order, T_("marked as pending"))
    order.status = OrderStatus.PENDING
    audit.log(actor, order, "order.marked_pending")
    return order


def mark_expired(order: Order, *, actor: Actor, seen_last_modified: str | None = None) -> Order:
    """Pending → expired: its tickets no longer count against quotas and seats."""
    order = begin_change(order, seen_last_modified)
    if order.status != OrderStatus.PENDING:
        raise _refuse(order, T_("marked as expired"))
    order.status = OrderStatus.EXPIRED
    audit.log(actor, order, "order.marked_expired")
    return order


def extend_order(order: Order, *, until: dt.date, actor: Actor, force: bool = False,
                 seen_last_modified: str | None = None, now: datetime | None = None) -> Order:
    """New payment deadline at the end of `until` in the event's time zone.

    A pending order only gets the new deadline; an expired one becomes pending again, which
    needs free quota and seats (or `force`).
    """
    now = now or utcnow()
    until = parsing.parse_date(until, label=T_("new payment deadline"), field="until")
    if until is None:
        raise Invalid(T_("Give the new payment deadline as a date."), code="date_invalid", field="until")
    order = begin_change(order, seen_last_modified)
    deadline = end_of_day(until, order.event.timezone)
    if deadline < now:
        raise Invalid(T_("The new payment deadline (%(until)s) must not be in the past.", until=until.isoformat()),
                      code="date_in_past", field="until")
    if order.status not in (OrderStatus.PENDING, OrderStatus.EXPIRED):
        raise _refuse(order, T_("extended"))
    was_expired = order.status == OrderStatus.EXPIRED
    if was_expired:
        ensure_available(order.event_id, needs_of(order), force=force, exclude_order_id=order.id)
        order.status = OrderStatus.PENDING
    previous = order.expires
    order.expires = deadline
    audit.log(actor, order, "order.extended", data={
        "previous_expires": previous, "expires": deadline, "state_change": was_expired,
        "overbooked": bool(force and was_expired)})
    return order


def approve_order(order: Order, *, actor: Actor, send_email: bool = True, seen_last_modified: str | None = None,
                  now: datetime | None = None) -> Order:
    """Pending + awaiting approval → approved with a new deadline; a free order becomes paid."""
    now = now or utcnow()
    order = begin_change(order, seen_last_modified)
    if order.status != OrderStatus.PENDING or not order.require_approval:
        raise Invalid(T_("Order %(code)s is not awaiting approval.", code=order.code), code="not_awaiting_approval")
    order.require_approval = False
    order.expires = new_deadline(order, now)
    became_paid = order.total == ZERO
    if became_paid:
        _confirmed_payment(order, ZERO, providers.FREE, now)
        order.status = OrderStatus.PAID
    audit.log(actor, order, "order.approved", data={
        "expires": order.expires, "paid": became_paid, "email_sent": bool(send_email and order.email)})
    if send_email:
        queue_order_mail(order, "order_approved")
    return order


def deny_order(order: Order, *, actor: Actor, send_email: bool = True, comment: str | None = None,
               seen_last_modified: str | None = None, now: datetime | None = None) -> Order:
    """Pending + awaiting approval → canceled; require_approval stays true (that is what 'denied' means)."""
    now = now or utcnow()
    comment = clean_comment(comment)
    order = begin_change(order, seen_last_modified)
    if order.status != OrderStatus.PENDING or not order.require_approval:
        raise Invalid(T_("Order %(code)s is not awaiting approval.", code=order.code), code="not_awaiting_approval")
    order.status = OrderStatus.CANCELED
    order.cancellation_date = now
    canceled_payments = _cancel_open_payments(order)
    audit.log(actor, order, "order.denied", data={
        "comment": comment, "payments_canceled": canceled_payments, "email_sent": bool(send_email and order.email)})
    if send_email:
        queue_order_mail(order, "order_denied", comment=comment)
    return order


def delete_order(order: Order, *, actor: Actor, seen_last_modified: str | None = None) -> None:
    """Delete a test-mode order with everything in it; real orders are never deleted."""
    order = begin_change(order, seen_last_modified)
    if not order.testmode:
        raise Invalid(T_("Order %(code)s is not a test-mode order. Only test-mode orders can be deleted.",
                         code=order.code),
                      code="not_testmode")
    audit.log(actor, order.event, "order.deleted", data={
        "code": order.code, "total": order.total, "positions": len(order.all_positions), "email": order.email})
    position_ids = select(OrderPosition.id).where(OrderPosition.order_id == order.id)
    answer_ids = select(Answer.id).where(Answer.position_id.in_(position_ids))
    db.session.execute(delete(answer_option).where(answer_option.c.answer_id.in_(answer_ids)))
    db.session.execute(delete(Answer).where(Answer.position_id.in_(position_ids)))
    db.session.execute(delete(Checkin).where(Checkin.position_id.in_(position_ids)))
    db.session.execute(RevokedSecret.__table__.update()
                       .where(RevokedSecret.position_id.in_(position_ids)).values(position_id=None))
    db.session.execute(OrderPosition.__table__.update()
                       .where(OrderPosition.order_id == order.id).values(addon_to_id=None))
    db.session.execute(delete(OrderRefund).where(OrderRefund.order_id == order.id))
    for model in (OrderPosition, OrderFee, OrderPayment, InvoiceAddress):
        db.session.execute(delete(model).where(model.order_id == order.id))
    db.session.execute(Invoice.__table__.update().where(Invoice.order_id == order.id).values(refers_id=None))
    db.session.execute(delete(Invoice).where(Invoice.order_id == order.id))
    db.session.execute(delete(Order).where(Order.id == order.id))
    db.session.expunge(order)


def resend_link(order: Order, *, actor: Actor) -> Order:
    """Email the buyer the link to their order page."""
    if not order.email:
        raise Invalid(T_("Order %(code)s has no email address to send the link to.",
                         code=order.code), code="no_email")
    queue_order_mail(order, "order_link")
    audit.log(actor, order, "order.link_resent", data={"to": order.email})
    return order
