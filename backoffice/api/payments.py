"""Payments and refunds of an order (seed 003): lists and details."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import payments, refunds
from ..domain.models import OrderPayment, OrderRefund
from ..domain.permissions import Permission
from .order_output import payment_data, refund_data
from .orders import ONE_ORDER, event_of
from .order_actions import order_of
from .paging import paginated
from .params import query
from .registry import route
from .schemas.orders import PageQuery, Payment, Refund

TAG = "Payments and refunds"


def serialize_payment(payment: OrderPayment) -> dict:
    return Payment.model_validate(payment_data(payment)).model_dump(mode="json")


def serialize_refund(refund: OrderRefund) -> dict:
    return Refund.model_validate(refund_data(refund)).model_dump(mode="json")


@route(ONE_ORDER + "payments/", "GET", "List the payments of an order", tag=TAG, query=PageQuery,
       response=Payment, many=True, errors=(400, 401, 403, 404))
def list_payments(organizer: str, event: str, code: str):
    order = order_of(event_of(organizer, event, Permission.VIEW_ORDERS), code)
    args = query(PageQuery)
    stmt = select(OrderPayment).where(OrderPayment.order_id == order.id).order_by(OrderPayment.local_id)
    return jsonify(paginated(stmt, args.page, lambda rows: [serialize_payment(p) for p in rows]))


@route(ONE_ORDER + "payments/<local_id>/", "GET", "Show a payment", tag=TAG, response=Payment,
       errors=(401, 403, 404))
def show_payment(organizer: str, event: str, code: str, local_id: str):
    order = order_of(event_of(organizer, event, Permission.VIEW_ORDERS), code)
    return jsonify(serialize_payment(payments.get_payment(order, local_id)))


@route(ONE_ORDER + "refunds/", "GET", "List the refunds of an order", tag=TAG, query=PageQuery,
       response=Refund, many=True, errors=(400, 401, 403, 404))
def list_refunds(organizer: str, event: str, code: str):
    order = order_of(event_of(organizer, event, Permission.VIEW_ORDERS), code)
    args = query(PageQuery)
    stmt = (select(OrderRefund).where(OrderRefund.order_id == order.id).options(joinedload(OrderRefund.payment))
            .order_by(OrderRefund.local_id))
    return jsonify(paginated(stmt, args.page, lambda rows: [serialize_refund(r) for r in rows]))


@route(ONE_ORDER + "refunds/<local_id>/", "GET", "Show a refund", tag=TAG, response=Refund,
       errors=(401, 403, 404))
def show_refund(organizer: str, event: str, code: str, local_id: str):
    order = order_of(event_of(organizer, event, Permission.VIEW_ORDERS), code)
    return jsonify(serialize_refund(refunds.get_refund(order, local_id)))
