"""Changing an order's fields (PATCH), deleting a test-mode order, new secrets (seed 003)."""
from __future__ import annotations

from datetime import date, datetime

from flask import jsonify

from ..domain import order_fields, orders, secrets
from ..domain.errors import Invalid
from ..domain.models import Order
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .errors import ApiError
from .order_actions import REFUSALS, order_of
from .orders import ONE_ORDER, event_of, fresh_order
from .params import body, body_data, present
from .registry import route
from .schemas.changes import OrderPatch
from .schemas.orders import Order as OrderSchema

TAG = "Orders"


def _deadline(text: str) -> date | datetime:
    """003's expires: a day, or a moment with its zone (the domain refuses one without)."""
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise Invalid("Give the payment deadline as a date (YYYY-MM-DD) or a date and time with a zone.",
                      code="date_invalid", field="expires") from None


def _address(order: Order, data: OrderPatch) -> None:
    actor = auth.actor()
    try:
        if data.invoice_address is None:
            if order.invoice_address is not None:
                order_fields.remove_invoice_address(order, actor=actor)
            return
        order_fields.set_invoice_address(order, actor=actor, data=data.invoice_address.model_dump())
    except Invalid as e:
        # the address's fields under the one field the client sent
        raise ApiError(400, {"invoice_address": [f"{k}: {v}" for k, v in (e.errors or {"": e.message}).items()]})


@route(ONE_ORDER, "PATCH", "Change an order's fields", tag=TAG, body=OrderPatch, response=OrderSchema,
       errors=REFUSALS)
def patch_order(organizer: str, event: str, code: str):
    """email, phone, checkin_attention, checkin_text, locale, comment, api_meta, custom_followup_at,
    invoice_address (the whole object, or null to remove it), valid_if_pending, expires."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    order = order_of(ev, code)
    data = body(OrderPatch)
    sent = present(data)
    fields = data.model_dump(include=sent & set(order_fields.EDITABLE_FIELDS))
    if "expires" in fields:
        fields["expires"] = _deadline(data.expires)
    if fields:
        order = order_fields.update_order_fields(order, actor=auth.actor(), **fields)
    if "invoice_address" in sent:
        _address(order, data)
    db.session.commit()
    return jsonify(fresh_order(ev, code))


@route(ONE_ORDER, "DELETE", "Delete a test-mode order", tag=TAG, status=204, errors=REFUSALS)
def delete_order(organizer: str, event: str, code: str):
    """Only orders made in test mode can be deleted."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    orders.delete_order(order_of(ev, code), actor=auth.actor())
    db.session.commit()
    return "", 204


@route(ONE_ORDER + "regenerate_secrets/", "POST", "New secrets for an order and its tickets", tag=TAG,
       response=OrderSchema, errors=REFUSALS)
def regenerate_order_secrets(organizer: str, event: str, code: str):
    """The old order link stops working; the old ticket secrets join the revoked secrets."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    body_data()
    secrets.regenerate_secrets(order_of(ev, code), actor=auth.actor())
    db.session.commit()
    return jsonify(fresh_order(ev, code))
