"""One POST route per state operation of an order."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from ...domain import orders, secrets
from ...domain.errors import DomainError
from ...domain.models import OrderStatus
from ...domain.texts import T_, Text
from ...extensions import db
from ...i18n import N_, translated
from ..access import current_actor
from ..errors import is_htmx
from ..templating import money
from .detail import action_route, checked, date_field, email_note, get_or_404, respond, run_action, seen_state


@action_route("mark_paid")
def mark_paid(organizer, event, code):
    send = checked("send_email")

    def change(order):
        order = orders.mark_paid(order, actor=current_actor(), send_email=send, force=checked("force"),
                                 seen_last_modified=seen_state())
        return T_("Order %(code)s marked as paid%(email)s.", code=order.code, email=email_note(order, send))
    return run_action(event, code, "mark_paid", "summary", change)


@action_route("cancel")
def cancel(organizer, event, code):
    send = checked("send_email")

    def change(order):
        order = orders.cancel_order(order, actor=current_actor(), send_email=send,
                                    comment=request.form.get("comment"),
                                    cancellation_fee=(request.form.get("cancellation_fee") or "").strip() or None,
                                    seen_last_modified=seen_state())
        return _canceled_message(order, email_note(order, send))
    return run_action(event, code, "cancel", "summary", change)


def _canceled_message(order, email) -> str:
    """What canceling did to the money, in the words of the summary panel."""
    t = orders.totals(order)
    currency = order.event.currency
    amounts = dict(code=order.code, email=email, fee=money(t.cancellation_fee, currency),
                   due=money(t.open, currency), refund=money(t.to_refund, currency))
    if t.cancellation_fee is None:
        if t.to_refund:
            return T_("Order %(code)s canceled; %(refund)s is due for refund%(email)s.", **amounts)
        return T_("Order %(code)s canceled%(email)s.", **amounts)
    if t.open > 0:
        return T_("Order %(code)s canceled with a cancellation fee of %(fee)s: %(due)s of it remains due%(email)s.",
                  **amounts)
    if t.to_refund:
        return T_("Order %(code)s canceled, keeping the cancellation fee of %(fee)s; %(refund)s is due for "
                  "refund%(email)s.", **amounts)
    return T_("Order %(code)s canceled, keeping the cancellation fee of %(fee)s%(email)s.", **amounts)


@action_route("reactivate")
def reactivate(organizer, event, code):
    def change(order):
        order = orders.reactivate_order(order, actor=current_actor(), seen_last_modified=seen_state())
        return T_("Order %(code)s reactivated: it is %(status)s now.", code=order.code,
                  status=Text(OrderStatus.LABELS[order.status]))
    return run_action(event, code, "reactivate", "summary", change)


@action_route("mark_pending")
def mark_pending(organizer, event, code):
    def change(order):
        order = orders.mark_pending(order, actor=current_actor(), seen_last_modified=seen_state())
        return T_("Order %(code)s marked as pending.", code=order.code)
    return run_action(event, code, "mark_pending", "summary", change)


@action_route("mark_expired")
def mark_expired(organizer, event, code):
    def change(order):
        order = orders.mark_expired(order, actor=current_actor(), seen_last_modified=seen_state())
        return T_("Order %(code)s marked as expired.", code=order.code)
    return run_action(event, code, "mark_expired", "summary", change)


@action_route("extend")
def extend(organizer, event, code):
    def change(order):
        until = date_field("until", N_("new payment deadline"))
        order = orders.extend_order(order, until=until, force=checked("force"), actor=current_actor(),
                                    seen_last_modified=seen_state())
        return T_("Payment deadline of order %(code)s set to %(date)s (end of day).", code=order.code,
                  date=until.isoformat())
    return run_action(event, code, "extend", "summary", change)


@action_route("approve")
def approve(organizer, event, code):
    send = checked("send_email")

    def change(order):
        order = orders.approve_order(order, actor=current_actor(), send_email=send, seen_last_modified=seen_state())
        return T_("Order %(code)s approved%(email)s.", code=order.code, email=email_note(order, send))
    return run_action(event, code, "approve", "summary", change)


@action_route("deny")
def deny(organizer, event, code):
    send = checked("send_email")

    def change(order):
        order = orders.deny_order(order, actor=current_actor(), send_email=send, comment=request.form.get("comment"),
                                  seen_last_modified=seen_state())
        return T_("Order %(code)s denied%(email)s.", code=order.code, email=email_note(order, send))
    return run_action(event, code, "deny", "summary", change)


@action_route("regenerate_secrets")
def regenerate_secrets(organizer, event, code):
    def change(order):
        order = secrets.regenerate_secrets(order, actor=current_actor(), seen_last_modified=seen_state())
        return T_("New order link and ticket secrets for %(code)s; the old ones no longer work.", code=order.code)
    return run_action(event, code, "regenerate_secrets", "summary", change)


@action_route("resend_link")
def resend_link(organizer, event, code):
    def change(order):
        orders.resend_link(order, actor=current_actor())
        return T_("Order link sent to %(email)s.", email=order.email)
    return run_action(event, code, "resend_link", "summary", change)


@action_route("delete")
def delete(organizer, event, code):
    order = get_or_404(event, code)
    try:
        orders.delete_order(order, actor=current_actor(), seen_last_modified=seen_state())
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        return respond(event, code, "summary", action="delete", error=e)
    flash(translated(T_("Test-mode order %(code)s deleted.", code=code)), "success")
    target = url_for("orders.event_list", organizer=organizer.slug, event=event.slug)
    if is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target, 303)
