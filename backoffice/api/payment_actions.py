"""Recording, confirming, canceling and refunding payments; refunds by hand (seed 003)."""
from __future__ import annotations

from typing import Any, Callable

from flask import jsonify

from ..domain import payments, refunds
from ..domain.models import Event, Order, OrderPayment, OrderRefund
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .order_actions import REFUSALS, order_of
from .orders import ONE_ORDER, event_of
from .params import body, body_data
from .payments import serialize_payment, serialize_refund
from .registry import route
from .schemas.changes import PaymentConfirm, PaymentCreate, PaymentRefund, RefundCreate, RefundProcess
from .schemas.orders import Payment, Refund

TAG = "Payments and refunds"
PAYMENT = ONE_ORDER + "payments/<local_id>/"
REFUND = ONE_ORDER + "refunds/<local_id>/"


def _amount(value: Any) -> str | None:
    return None if value is None else str(value)


def _in_order(organizer: str, event: str, code: str) -> tuple[Event, Order]:
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    return ev, order_of(ev, code)


def _reloaded(model, obj_id: int):
    db.session.expire_all()
    return db.session.get(model, obj_id)


@route(ONE_ORDER + "payments/", "POST", "Record a payment", tag=TAG, body=PaymentCreate, response=Payment,
       status=201, errors=REFUSALS)
def create_payment(organizer: str, event: str, code: str):
    """A confirmed payment that covers what is open makes the order paid. No provider is asked
    to do anything: this records money handled elsewhere."""
    _ev, order = _in_order(organizer, event, code)
    data = body(PaymentCreate)
    payment = payments.create_payment(order, actor=auth.actor(), amount=_amount(data.amount), provider=data.provider,
                                      state=data.state, payment_date=data.payment_date, info=data.info,
                                      send_email=data.send_email, force=data.force)
    db.session.commit()
    return jsonify(serialize_payment(_reloaded(OrderPayment, payment.id))), 201


def _on_payment(organizer: str, event: str, code: str, local_id: str, model, change: Callable) -> OrderPayment:
    _ev, order = _in_order(organizer, event, code)
    payment = payments.get_payment(order, local_id)
    data = body(model) if model is not None else body_data()
    return change(payment, data)


@route(PAYMENT + "confirm/", "POST", "Confirm a payment", tag=TAG, body=PaymentConfirm, response=Payment,
       errors=REFUSALS)
def confirm_payment(organizer: str, event: str, code: str, local_id: str):
    """Created or pending → confirmed."""
    payment = _on_payment(organizer, event, code, local_id, PaymentConfirm, lambda p, data: payments.confirm_payment(
        p, actor=auth.actor(), send_email=data.send_email, force=data.force))
    db.session.commit()
    return jsonify(serialize_payment(_reloaded(OrderPayment, payment.id)))


@route(PAYMENT + "cancel/", "POST", "Cancel a payment", tag=TAG, response=Payment, errors=REFUSALS)
def cancel_payment(organizer: str, event: str, code: str, local_id: str):
    """Created or pending → canceled."""
    payment = _on_payment(organizer, event, code, local_id, None, lambda p, _: payments.cancel_payment(
        p, actor=auth.actor()))
    db.session.commit()
    return jsonify(serialize_payment(_reloaded(OrderPayment, payment.id)))


@route(PAYMENT + "refund/", "POST", "Refund a payment", tag=TAG, body=PaymentRefund, response=Refund,
       errors=REFUSALS)
def refund_payment(organizer: str, event: str, code: str, local_id: str):
    """A confirmed payment, given back by hand (state done); answers the refund."""
    refund = _on_payment(organizer, event, code, local_id, PaymentRefund, lambda p, data: payments.refund_payment(
        p, actor=auth.actor(), amount=_amount(data.amount), mark_canceled=data.mark_canceled, comment=data.comment))
    db.session.commit()
    return jsonify(serialize_refund(_reloaded(OrderRefund, refund.id)))


@route(ONE_ORDER + "refunds/", "POST", "Record a refund", tag=TAG, body=RefundCreate, response=Refund,
       status=201, errors=REFUSALS)
def create_refund(organizer: str, event: str, code: str):
    """mark_canceled cancels the order (without an email); mark_pending sets a paid order back to pending.
    As in pretix, the amount is not checked against what was paid (the page's form does check it)."""
    _ev, order = _in_order(organizer, event, code)
    data = body(RefundCreate)
    refund = refunds.create_refund(order, actor=auth.actor(), amount=_amount(data.amount), state=data.state,
                                   source=data.source, payment=data.payment, execution_date=data.execution_date,
                                   comment=data.comment, provider=data.provider, mark_canceled=data.mark_canceled,
                                   mark_pending=data.mark_pending, allow_above_paid=True)
    db.session.commit()
    return jsonify(serialize_refund(_reloaded(OrderRefund, refund.id))), 201


def _on_refund(organizer: str, event: str, code: str, local_id: str, model, change: Callable) -> OrderRefund:
    _ev, order = _in_order(organizer, event, code)
    refund = refunds.get_refund(order, local_id)
    data = body(model) if model is not None else body_data()
    changed = change(refund, data)
    db.session.commit()
    return _reloaded(OrderRefund, changed.id)


@route(REFUND + "done/", "POST", "Mark a refund as done", tag=TAG, response=Refund, errors=REFUSALS)
def refund_done(organizer: str, event: str, code: str, local_id: str):
    """Created or in transit → done."""
    return jsonify(serialize_refund(_on_refund(organizer, event, code, local_id, None, lambda r, _: refunds.mark_refund_done(
        r, actor=auth.actor()))))


@route(REFUND + "process/", "POST", "Process an external refund", tag=TAG, body=RefundProcess, response=Refund,
       errors=REFUSALS)
def refund_process(organizer: str, event: str, code: str, local_id: str):
    """External → done; the order is canceled (mark_canceled) or, when no longer covered, pending."""
    return jsonify(serialize_refund(_on_refund(organizer, event, code, local_id, RefundProcess,
                                      lambda r, data: refunds.process_refund(r, actor=auth.actor(),
                                                                             mark_canceled=data.mark_canceled))))


@route(REFUND + "cancel/", "POST", "Cancel a refund", tag=TAG, response=Refund, errors=REFUSALS)
def refund_cancel(organizer: str, event: str, code: str, local_id: str):
    """Created, in transit or external → canceled."""
    return jsonify(serialize_refund(_on_refund(organizer, event, code, local_id, None, lambda r, _: refunds.cancel_refund(
        r, actor=auth.actor()))))
