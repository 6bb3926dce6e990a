"""The state operations of an order (seed 003), each one domain function in one transaction."""
from __future__ import annotations

from typing import Callable, TypeVar

from pydantic import BaseModel

from flask import jsonify

from ..domain import orders
from ..domain.models import Event, Order
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .errors import api_field_names, detail
from .orders import ONE_ORDER, event_of, fresh_order
from .params import body, body_data
from .registry import route
from .schemas.orders import ApproveBody, DenyBody, ExtendBody, MarkCanceledBody, MarkPaidBody
from .schemas.orders import Order as OrderSchema

TAG = "Order actions"
REFUSALS = (400, 401, 403, 404, 409)
B = TypeVar("B", bound=BaseModel)


def order_of(event: Event, code: str) -> Order:
    if len(code) > 16:
        raise detail(404, "There is no such order in this event.")
    return orders.get_order(event, code)


def _act(organizer: str, event: str, code: str, model: type[B] | None, change: Callable[[Order, B | None], object]):
    """Check the token's rights, read the body, run one change of the order, commit, answer
    with the order as it is now."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    if model is None:
        body_data()  # operations without fields still refuse a body that is not JSON
        data = None
    else:
        data = body(model)
    change(order_of(ev, code), data)
    db.session.commit()
    return jsonify(fresh_order(ev, code))


@route(ONE_ORDER + "mark_paid/", "POST", "Mark an order as paid", tag=TAG, body=MarkPaidBody,
       response=OrderSchema, errors=REFUSALS)
def mark_paid(organizer: str, event: str, code: str):
    """Pending or expired → paid, with a confirmed payment of the open amount."""
    return _act(organizer, event, code, MarkPaidBody, lambda order, data: orders.mark_paid(
        order, actor=auth.actor(), send_email=data.send_email, force=data.force))


@route(ONE_ORDER + "mark_canceled/", "POST", "Cancel an order", tag=TAG, body=MarkCanceledBody,
       response=OrderSchema, errors=REFUSALS)
def mark_canceled(organizer: str, event: str, code: str):
    """send_email defaults to true; with a cancellation_fee the fee stays as the order's only component."""
    return _act(organizer, event, code, MarkCanceledBody, lambda order, data: orders.cancel_order(
        order, actor=auth.actor(), send_email=data.send_email, comment=data.comment,
        cancellation_fee=None if data.cancellation_fee is None else str(data.cancellation_fee)))


@route(ONE_ORDER + "reactivate/", "POST", "Reactivate a canceled order", tag=TAG, response=OrderSchema,
       errors=REFUSALS)
def reactivate(organizer: str, event: str, code: str):
    """Canceled → pending or paid, while its products are still available."""
    return _act(organizer, event, code, None, lambda order, _: orders.reactivate_order(order, actor=auth.actor()))


@route(ONE_ORDER + "mark_pending/", "POST", "Mark a paid order as unpaid", tag=TAG, response=OrderSchema,
       errors=REFUSALS)
def mark_pending(organizer: str, event: str, code: str):
    return _act(organizer, event, code, None, lambda order, _: orders.mark_pending(order, actor=auth.actor()))


@route(ONE_ORDER + "mark_expired/", "POST", "Mark a pending order as expired", tag=TAG, response=OrderSchema,
       errors=REFUSALS)
def mark_expired(organizer: str, event: str, code: str):
    return _act(organizer, event, code, None, lambda order, _: orders.mark_expired(order, actor=auth.actor()))


@route(ONE_ORDER + "extend/", "POST", "Extend the payment deadline", tag=TAG, body=ExtendBody,
       response=OrderSchema, errors=REFUSALS)
def extend(organizer: str, event: str, code: str):
    """A new deadline for a pending order; an expired one becomes pending again (quota allowing, or force)."""
    with api_field_names({"until": "expires"}):
        return _act(organizer, event, code, ExtendBody, lambda order, data: orders.extend_order(
            order, until=data.expires, force=data.force, actor=auth.actor()))


@route(ONE_ORDER + "approve/", "POST", "Approve an order", tag=TAG, body=ApproveBody, response=OrderSchema,
       errors=REFUSALS)
def approve(organizer: str, event: str, code: str):
    return _act(organizer, event, code, ApproveBody, lambda order, data: orders.approve_order(
        order, actor=auth.actor(), send_email=data.send_email))


@route(ONE_ORDER + "deny/", "POST", "Deny an order", tag=TAG, body=DenyBody, response=OrderSchema, errors=REFUSALS)
def deny(organizer: str, event: str, code: str):
    return _act(organizer, event, code, DenyBody, lambda order, data: orders.deny_order(
        order, actor=auth.actor(), send_email=data.send_email, comment=data.comment))


@route(ONE_ORDER + "resend_link/", "POST", "Email the buyer the link to the order", tag=TAG, status=204,
       errors=(400, 401, 403, 404))
def resend_link(organizer: str, event: str, code: str):
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    body_data()
    orders.resend_link(order_of(ev, code), actor=auth.actor())
    db.session.commit()
    return "", 204
