"""Blocking a ticket and giving it a new secret (seed 003)."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from ..domain import secrets
from ..domain.models import Event, Order, OrderPosition
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .errors import api_field_names, detail
from .order_output import serialize_position
from .orders import event_of
from .params import body, body_data
from .positions import ONE_POSITION
from .registry import route
from .schemas.changes import BlockBody
from .schemas.common import MAX_ROW_ID
from .schemas.orders import Position

TAG = "Order positions"
REFUSALS = (400, 401, 403, 404, 409)


def position_of(event: Event, position_id: int) -> OrderPosition:
    if position_id > MAX_ROW_ID:  # no row has such an id (and PostgreSQL would refuse the comparison)
        raise detail(404, "There is no such position in this event.")
    position = db.session.scalar(select(OrderPosition).join(Order, Order.id == OrderPosition.order_id)
                                 .where(Order.event_id == event.id, OrderPosition.id == position_id))
    if position is None or position.canceled:
        raise detail(404, "There is no such position in this event.")
    return position


def _answer(position_id: int):
    db.session.expire_all()
    return jsonify(serialize_position(db.session.get(OrderPosition, position_id)))


@route(ONE_POSITION + "add_block/", "POST", "Block a ticket", tag=TAG, body=BlockBody, response=Position,
       errors=REFUSALS)
def add_block(organizer: str, event: str, id: int):
    """Scanners refuse a blocked ticket; adding a block it has already changes nothing."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    position = position_of(ev, id)
    data = body(BlockBody)
    with api_field_names({"block": "name"}):
        secrets.add_block(position, actor=auth.actor(), block=data.name)
    db.session.commit()
    return _answer(id)


@route(ONE_POSITION + "remove_block/", "POST", "Lift a block of a ticket", tag=TAG, body=BlockBody,
       response=Position, errors=REFUSALS)
def remove_block(organizer: str, event: str, id: int):
    """`blocked` is null again once the last block is lifted."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    position = position_of(ev, id)
    data = body(BlockBody)
    with api_field_names({"block": "name"}):
        secrets.remove_block(position, actor=auth.actor(), block=data.name)
    db.session.commit()
    return _answer(id)


@route(ONE_POSITION + "regenerate_secrets/", "POST", "A new secret for one ticket", tag=TAG, response=Position,
       errors=REFUSALS)
def regenerate_position_secret(organizer: str, event: str, id: int):
    """The old secret joins the event's revoked secrets."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    position = position_of(ev, id)
    body_data()
    secrets.regenerate_position_secret(position, actor=auth.actor())
    db.session.commit()
    return _answer(id)
