"""One POST route per state operation of an order."""
from __future__ import annotations

from flask import flash, redirect, request, url_for

from ...domain import orders, secrets
from ...domain.errors import DomainError
from ...domain.models import OrderStatus
from ...extensions import db
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
        return f"Order {order.code} marked as paid{email_note(order, send)}."
    return run_action(event, code, "mark_paid", "summary", change)


@action_route("cancel")
def cancel(organizer, event, code):
    send = checked("send_email")

    def change(order):
        order = orders.cancel_order(order, actor=current_actor(), send_email=send,
                                    comment=request.form.get("comment"),
                                    cancellation_fee=(request.form.get("cancellation_fee") or "").strip() or None,
                                    seen_last_modified=seen_state())
        return f"Order {order.code} {_cancel_outcome(order)}{email_note(order, send)}."
    return run_action(event, code, "cancel", "summary", change)


def _cancel_outcome(order) -> str:
    """What canceling did to the money, in the words of the summary panel."""
    t = orders.totals(order)
    currency = order.event.currency
    if t.cancellation_fee is None:
        what = "canceled"
    elif t.open > 0:
        return (f"canceled with a cancellation fee of {money(t.cancellation_fee, currency)}: "
                f"{money(t.open, currency)} of it remains due")
    else:
        what = f"canceled, keeping the cancellation fee of {money(t.cancellation_fee, currency)}"
    return f"{what}; {money(t.to_refund, currency)} is due for refund" if t.to_refund else what


@action_route("reactivate")
def reactivate(organizer, event, code):
    def change(order):
        order = orders.reactivate_order(order, actor=current_actor(), seen_last_modified=seen_state())
        return f"Order {order.code} reactivated: it is {OrderStatus.LABELS[order.status]} now."
    return run_action(event, code, "reactivate", "summary", change)


@action_route("mark_pending")
def mark_pending(organizer, event, code):
    def change(order):
        order = orders.mark_pending(order, actor=current_actor(), seen_last_modified=seen_state())
        return f"Order {order.code} marked as pending."
    return run_action(event, code, "mark_pending", "summary", change)


@action_route("mark_expired")
def mark_expired(organizer, event, code):
    def change(order):
        order = orders.mark_expired(order, actor=current_actor(), seen_last_modified=seen_state())
        return f"Order {order.code} marked as expired."
    return run_action(event, code, "mark_expired", "summary", change)


@action_route("extend")
def extend(organizer, event, code):
    def change(order):
        until = date_field("until", "new payment deadline")
        order = orders.extend_order(order, until=until, force=checked("force"), actor=current_actor(),
                                    seen_last_modified=seen_state())
        return f"Payment deadline of order {order.code} set to {until.isoformat()} (end of day)."
    return run_action(event, code, "extend", "summary", change)


@action_route("approve")
def approve(organizer, event, code):
    send = checked("send_email")

    def change(order):
        order = orders.approve_order(order, actor=current_actor(), send_email=send, seen_last_modified=seen_state())
        return f"Order {order.code} approved{email_note(order, send)}."
    return run_action(event, code, "approve", "summary", change)


@action_route("deny")
def deny(organizer, event, code):
    send = checked("send_email")

    def change(order):
        order = orders.deny_order(order, actor=current_actor(), send_email=send, comment=request.form.get("comment"),
                                  seen_last_modified=seen_state())
        return f"Order {order.code} denied{email_note(order, send)}."
    return run_action(event, code, "deny", "summary", change)


@action_route("regenerate_secrets")
def regenerate_secrets(organizer, event, code):
    def change(order):
        order = secrets.regenerate_secrets(order, actor=current_actor(), seen_last_modified=seen_state())
        return f"New order link and ticket secrets for {order.code}; the old ones no longer work."
    return run_action(event, code, "regenerate_secrets", "summary", change)


@action_route("resend_link")
def resend_link(organizer, event, code):
    def change(order):
        orders.resend_link(order, actor=current_actor())
        return f"Order link sent to {order.email}."
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
    flash(f"Test-mode order {code} deleted.", "success")
    target = url_for("orders.event_list", organizer=organizer.slug, event=event.slug)
    if is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target, 303)
