"""Changing, adding and canceling order positions (seed 003's PATCH, POST, DELETE of orderpositions)."""
from __future__ import annotations

from flask import jsonify

from ..domain import order_change, position_fields, positions
from ..domain.errors import DomainError, Invalid
from ..domain.models import OrderPosition
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .errors import ApiError
from .order_actions import order_of
from .order_output import serialize_position
from .orders import event_of
from .params import body, present
from .position_actions import REFUSALS, position_of
from .positions import ONE_POSITION, POSITIONS
from .registry import route
from .schemas.changes import AttendeeFields, PositionCreate, PositionPatch, ProductFields
from .schemas.orders import Position

TAG = "Order positions"
ATTENDEE = set(AttendeeFields.model_fields)
PRODUCT = set(ProductFields.model_fields)


def _answered(position_id: int):
    db.session.expire_all()
    return jsonify(serialize_position(db.session.get(OrderPosition, position_id)))


@route(ONE_POSITION, "PATCH", "Change a position", tag=TAG, body=PositionPatch, response=Position,
       errors=REFUSALS)
def patch_position(organizer: str, event: str, id: int):
    """Attendee fields and answers (answers replace all answers), and product, date, seat, price,
    tax rule and validity (as a change of the order, without a new invoice)."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    position = position_of(ev, id)
    data = body(PositionPatch)
    sent = present(data)
    attendee = data.model_dump(include=sent & ATTENDEE, exclude_none=False)
    product = data.model_dump(include=sent & PRODUCT)
    if "price" in product and product["price"] is not None:
        product["price"] = str(product["price"])
    actor = auth.actor()
    if attendee:
        position_fields.update_position(position, actor=actor, **attendee)
    if product:
        order_change.change_order(position.order, actor=actor, reissue_invoice=False,
                                  patch_positions=[{"position": position.positionid, "body": product}])
    db.session.commit()
    return _answered(id)


@route(POSITIONS, "POST", "Add a position to an order", tag=TAG, body=PositionCreate, response=Position,
       status=201, errors=REFUSALS)
def create_position(organizer: str, event: str):
    """Quota and seat are checked; the order total follows (a paid order that now owes money is
    pending again). No new invoice is issued."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    data = body(PositionCreate)
    try:
        order = order_of(ev, data.order)
    except (DomainError, ApiError):  # the order is a field of the body here, not the URL
        raise Invalid("There is no order with this code in this event.", code="order_not_found",
                      field="order") from None
    attendee = data.model_dump(include=present(data) & ATTENDEE)
    price = None if data.price is None else str(data.price)
    position = positions.add_position(order, actor=auth.actor(), item=data.item, variation=data.variation,
                                      subevent=data.subevent, seat=data.seat, price=price, addon_to=data.addon_to,
                                      **attendee)
    db.session.commit()
    return _answered(position.id), 201


@route(ONE_POSITION, "DELETE", "Cancel a position", tag=TAG, status=204, errors=REFUSALS)
def delete_position(organizer: str, event: str, id: int):
    """Cancels the ticket and its add-ons; never the order's last ticket (cancel the order instead)."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    positions.cancel_position(position_of(ev, id), actor=auth.actor())
    db.session.commit()
    return "", 204
