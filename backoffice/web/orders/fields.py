"""Editing an order's details and invoice address."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import request

from ...domain import order_fields
from ...domain.errors import FieldErrors
from ...domain.texts import T_
from ...i18n import N_
from ..access import current_actor
from .detail import action_route, checked, date_field, run_action, seen_state


def _local_date(moment, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


@action_route("fields", partial="details")
def edit_fields(organizer, event, code):
    def change(order):
        form = request.form
        followup = (form.get("custom_followup_at") or "").strip()
        fields = {}
        errors = FieldErrors()  # bad dates are reported together with the domain's refusals
        with errors.check("expires"):
            expires = date_field("expires", N_("payment deadline"))
            if expires != _local_date(order.expires, event.timezone):
                fields["expires"] = expires  # a date means the end of that day, as for extend
        with errors.check("custom_followup_at"):
            fields["custom_followup_at"] = date_field("custom_followup_at", N_("follow-up date")) if followup else None
        with errors.check("fields"):
            order_fields.update_order_fields(
                order, actor=current_actor(), seen_last_modified=seen_state(),
                email=form.get("email", ""), phone=form.get("phone", ""), locale=form.get("locale", order.locale),
                comment=form.get("comment", ""), checkin_attention=checked("checkin_attention"),
                checkin_text=form.get("checkin_text", ""), valid_if_pending=checked("valid_if_pending"),
                **fields)
        errors.raise_if_any()  # the transaction is rolled back: nothing of a refused form is saved
        return T_("Order details saved.")
    return run_action(event, code, "fields", "details", change)


@action_route("invoice_address", partial="invoice_address")
def edit_invoice_address(organizer, event, code):
    def change(order):
        form = request.form
        data = {name: form.get(name, "") for name in order_fields.ADDRESS_FIELDS}
        data["is_business"] = checked("is_business")
        data["name_parts"] = {key[len("name_"):]: value for key, value in form.items()
                              if key.startswith("name_") and key != "name_parts"}
        order_fields.set_invoice_address(order, actor=current_actor(), data=data, seen_last_modified=seen_state())
        return T_("Invoice address saved.")
    return run_action(event, code, "invoice_address", "invoice_address", change)


@action_route("invoice_address/remove", partial="invoice_address")
def remove_invoice_address(organizer, event, code):
    def change(order):
        order_fields.remove_invoice_address(order, actor=current_actor(), seen_last_modified=seen_state())
        return T_("Invoice address removed.")
    return run_action(event, code, "remove_invoice_address", "invoice_address", change)
