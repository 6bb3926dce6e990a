"""Creating an order (seed 003's POST …/orders/), through order_create.create_order.

What this back office does with 003's fields it has no counterpart for: `consume_carts` takes
only an empty list (there are no carts); `voucher`, `requested_valid_from` and
`use_reusable_medium` of a position are refused, not dropped; `send_email: null` means no mail,
as when it is missing; `send_mail` is read when `send_email` is not given.
"""
from __future__ import annotations

from flask import jsonify

from ..domain import order_create
from ..domain.errors import Invalid
from ..domain.models import Order
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .order_output import serialize_order
from .orders import EVENT_ORDERS, event_of, fresh_order
from .params import body
from .registry import route
from .schemas.order_create import OrderCreate
from .schemas.orders import Order as OrderSchema


def _send_email(data: OrderCreate) -> bool:
    if "send_email" in data.model_fields_set and data.send_email is not None:
        return data.send_email
    return bool(data.send_mail)


def _positions(data: OrderCreate) -> list[dict]:
    # only what was sent: "valid_from missing" and "valid_from null" differ (003)
    return [p.model_dump(exclude_unset=True) for p in data.positions]


def _fees(data: OrderCreate) -> list[dict]:
    return [f.model_dump(exclude_unset=True, by_alias=True) for f in data.fees]


@route(EVENT_ORDERS, "POST", "Create an order", tag="Orders", body=OrderCreate, response=OrderSchema, status=201,
       errors=(400, 401, 403, 409))
def create_order(organizer: str, event: str):
    """Pending unless free (then paid, through the free provider); a paid order that costs something
    needs payment_provider. Prices default to the product's; add-ons follow their ticket."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    data = body(OrderCreate)
    if data.consume_carts:
        raise Invalid("There are no carts in this back office: consume_carts can only be empty.",
                      code="unsupported", field="consume_carts")
    address = data.invoice_address.model_dump() if data.invoice_address is not None else None
    order = order_create.create_order(
        ev, actor=auth.actor(), positions=_positions(data), email=data.email, phone=data.phone, locale=data.locale,
        customer=data.customer, invoice_address=address, fees=_fees(data), status=data.status,
        payment_provider=data.payment_provider, payment_date=data.payment_date, payment_info=data.payment_info,
        send_email=_send_email(data), comment=data.comment, sales_channel=data.sales_channel,
        testmode=data.testmode, require_approval=data.require_approval, valid_if_pending=data.valid_if_pending,
        checkin_attention=data.checkin_attention, checkin_text=data.checkin_text,
        custom_followup_at=data.custom_followup_at, code=data.code, force=data.force, simulate=data.simulate)
    if data.simulate:
        preview = _preview(order)
        db.session.rollback()
        return jsonify(preview), 201
    code = order.code
    db.session.commit()
    return jsonify(fresh_order(ev, code)), 201


def _preview(order: Order) -> dict:
    """003: a dry run's ids are zero (nothing was created)."""
    preview = serialize_order(order)
    for part in preview["positions"] + preview["fees"]:
        part["id"] = 0
    for position in preview["positions"]:
        position["addon_to"] = 0 if position["addon_to"] is not None else None
    return preview
