"""Payments and refunds of an order: one POST route per operation, answering with the payments
region (and, out of band, the refreshed totals and the rest of the page)."""
from __future__ import annotations

from flask import abort, request

from ...domain import payments, refunds
from ...domain.errors import Invalid, NotFound
from ...domain.models import OrderStatus
from ...domain.providers import PROVIDERS
from ...domain.texts import T_, Text
from ..access import current_actor
from ...i18n import translated
from ..templating import money
from . import bp
from .detail import action_route, checked, email_note, get_or_404, run_action, seen_state

REGION = "payments"


@bp.app_template_global("suggested_refunds")
def _suggested_refunds(order):
    return payments.suggested_refunds(order)


@bp.app_template_global("refundable")
def _refundable(payment):
    return payments.refundable(payment)


@bp.app_template_global("can_refund_payment")
def _can_refund_payment(payment) -> bool:
    return payments.can_refund(payment)


@bp.app_template_global("enabled_providers")
def _enabled_providers(event) -> list:
    """The event's payment providers that the registry knows, in the event's order."""
    return [PROVIDERS[p] for p in (event.payment_providers or []) if p in PROVIDERS]


def _form(name: str) -> str | None:
    return request.form.get(name)


def _existing(event, code: str, local_id: str, get) -> int:
    """The order-local number from the URL; 404 when the order has no such payment/refund."""
    order = get_or_404(event, code)
    try:
        return get(order, local_id).local_id
    except NotFound:
        abort(404)


def _paid_note(order) -> str:
    """Part of a payment's message (it continues the sentence)."""
    return T_("; order %(code)s is paid now", code=order.code) if order.status == OrderStatus.PAID else ""


# --- payments ------------------------------------------------------------------------------------

@action_route("payments/")
def payment_create(organizer, event, code):
    send = checked("send_email")

    def change(order):
        was = order.status
        payment = payments.create_payment(
            order, actor=current_actor(), amount=_form("amount"), provider=_form("provider"),
            state=_form("state") or "confirmed", payment_date=_form("payment_date"), info=_form("info"),
            send_email=send, force=checked("force"), seen_last_modified=seen_state())
        became_paid = was != OrderStatus.PAID and payment.order.status == OrderStatus.PAID
        return T_("Payment #%(number)s of %(amount)s recorded as %(state)s%(paid)s%(email)s.",
                  number=payment.local_id, amount=money(payment.amount, event.currency), state=Text(payment.state),
                  paid=_paid_note(payment.order) if became_paid else "",
                  email=email_note(payment.order, send and became_paid))
    return run_action(event, code, "payment_create", REGION, change)


@action_route("payments/<local_id>/confirm")
def payment_confirm(organizer, event, code, local_id):
    number = _existing(event, code, local_id, payments.get_payment)
    send = checked("send_email")

    def change(order):
        was = order.status
        payment = payments.confirm_payment(payments.get_payment(order, number), actor=current_actor(),
                                           force=checked("force"), send_email=send, seen_last_modified=seen_state())
        became_paid = was != OrderStatus.PAID and payment.order.status == OrderStatus.PAID
        return T_("Payment #%(number)s of %(amount)s confirmed%(paid)s%(email)s.", number=number,
                  amount=money(payment.amount, event.currency), paid=_paid_note(payment.order) if became_paid else "",
                  email=email_note(payment.order, send and became_paid))
    return run_action(event, code, f"payment_confirm-{number}", REGION, change)


@action_route("payments/<local_id>/cancel")
def payment_cancel(organizer, event, code, local_id):
    number = _existing(event, code, local_id, payments.get_payment)

    def change(order):
        payments.cancel_payment(payments.get_payment(order, number), actor=current_actor(),
                                seen_last_modified=seen_state())
        return T_("Payment #%(number)s canceled.", number=number)
    return run_action(event, code, f"payment_cancel-{number}", REGION, change)


@action_route("payments/<local_id>/refund")
def payment_refund(organizer, event, code, local_id):
    number = _existing(event, code, local_id, payments.get_payment)

    def change(order):
        refund = payments.refund_payment(payments.get_payment(order, number), actor=current_actor(),
                                         amount=_form("amount"), mark_canceled=checked("mark_canceled"),
                                         comment=_form("comment"), seen_last_modified=seen_state())
        if checked("mark_canceled"):
            return T_("%(amount)s refunded on payment #%(number)s and order canceled.",
                      amount=money(refund.amount, event.currency), number=number)
        return T_("%(amount)s refunded on payment #%(number)s.", amount=money(refund.amount, event.currency),
                  number=number)
    return run_action(event, code, f"payment_refund-{number}", REGION, change)


@action_route("refunds/due")
def refund_due(organizer, event, code):
    def change(order):
        done = payments.refund_due(order, actor=current_actor(), expected=_form("expected"),
                                   seen_last_modified=seen_state())
        parts = ", ".join(translated(T_("%(amount)s on payment #%(number)s", amount=money(r.amount, event.currency),
                                        number=r.payment.local_id)) for r in done)
        total = sum(r.amount for r in done)
        return T_("%(total)s refunded: %(parts)s.", total=money(total, event.currency), parts=parts)
    return run_action(event, code, "refund_due", REGION, change)


# --- refunds -------------------------------------------------------------------------------------

ORDER_EFFECTS = {"keep": (False, False), "cancel": (True, False), "pending": (False, True)}


@action_route("refunds/")
def refund_create(organizer, event, code):
    def change(order):
        effect = _form("order_effect") or "keep"
        if effect not in ORDER_EFFECTS:
            # an unknown choice is not quietly read as "keep": the person meant something else
            raise Invalid(T_("Choose what happens to the order: keep it, cancel it or set it to pending."),
                          code="invalid_choice", field="order_effect")
        mark_canceled, mark_pending = ORDER_EFFECTS[effect]
        refund = refunds.create_refund(
            order, actor=current_actor(), amount=_form("amount"), state=_form("state") or "created",
            source=_form("source") or "admin", payment=_form("payment") or None, comment=_form("comment"),
            provider=_form("provider") or None, execution_date=_form("execution_date"),
            mark_canceled=mark_canceled or checked("mark_canceled"),
            mark_pending=mark_pending or checked("mark_pending"),
            seen_last_modified=seen_state())
        return T_("Refund #%(number)s of %(amount)s created (%(state)s).", number=refund.local_id,
                  amount=money(refund.amount, event.currency), state=Text(refund.state))
    return run_action(event, code, "refund_create", REGION, change)


@action_route("refunds/<local_id>/done")
def refund_done(organizer, event, code, local_id):
    number = _existing(event, code, local_id, refunds.get_refund)

    def change(order):
        refunds.mark_refund_done(refunds.get_refund(order, number), actor=current_actor(),
                                 seen_last_modified=seen_state())
        return T_("Refund #%(number)s marked as done.", number=number)
    return run_action(event, code, f"refund_done-{number}", REGION, change)


@action_route("refunds/<local_id>/process")
def refund_process(organizer, event, code, local_id):
    number = _existing(event, code, local_id, refunds.get_refund)

    def change(order):
        refund = refunds.process_refund(refunds.get_refund(order, number), actor=current_actor(),
                                        mark_canceled=checked("mark_canceled"), seen_last_modified=seen_state())
        return T_("External refund #%(number)s processed: order %(code)s is %(status)s.", number=number,
                  code=refund.order.code, status=Text(OrderStatus.LABELS[refund.order.status]))
    return run_action(event, code, f"refund_process-{number}", REGION, change)


@action_route("refunds/<local_id>/cancel")
def refund_cancel(organizer, event, code, local_id):
    number = _existing(event, code, local_id, refunds.get_refund)

    def change(order):
        refunds.cancel_refund(refunds.get_refund(order, number), actor=current_actor(),
                              seen_last_modified=seen_state())
        return T_("Refund #%(number)s canceled.", number=number)
    return run_action(event, code, f"refund_cancel-{number}", REGION, change)
