"""Refunds of an order: create by hand, mark done, process an external refund, cancel."""
from __future__ import annotations

from decimal import Decimal

import pytest

from backoffice.domain import orders, payments, refunds
from backoffice.domain.audit import Actor
from backoffice.domain.errors import Conflict, Invalid, NotFound
from backoffice.domain.models import OrderRefund, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.domain.test_payments import actions_logged, outbox, pay, refused, reload

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED
D = Decimal


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def add_refund(order, amount, state, payment=None, local_id=None):
    refund = OrderRefund(order=order, local_id=local_id or len(order.refunds) + 1, state=state, amount=D(amount),
                         provider="manual", payment=payment)
    db.session.add(refund)
    db.session.flush()
    return refund


# --- create ---------------------------------------------------------------------------------------

def test_create_refund_on_a_payment_defaults_to_its_provider(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = refunds.create_refund(order, actor=actor, amount="20", payment="1", comment="Goodwill")
    assert (refund.state, refund.source, refund.provider, refund.payment.local_id) == ("created", "admin", "manual", 1)
    order = reload(order)
    assert orders.totals(order).refunded == D("20.00") and order.status == P  # unchanged unless asked
    assert actions_logged(order) == ["order.refund_created"]


def test_create_refund_mark_pending_and_mark_canceled(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refunds.create_refund(order, actor=actor, amount="20", payment=1, mark_pending=True)
    order = reload(order)
    assert order.status == N and actions_logged(order)[-1] == "order.marked_pending"
    refunds.create_refund(order, actor=actor, amount="30", payment=1, state="done", mark_canceled=True)
    order = reload(order)
    assert order.status == C and outbox() == [] and orders.totals(order).open == 0


def test_create_refund_refuses_both_order_changes(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refused(refunds.create_refund, order, order, actor=actor, amount="1", payment=1, mark_pending=True,
            mark_canceled=True)


def test_create_refund_never_exceeds_the_payment_or_what_the_order_holds(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    add_refund(order, "45", "transit", payment=order.payments[0])
    db.session.commit()
    error = refused(refunds.create_refund, order, order, actor=actor, amount="5.01", payment=1)
    assert error.code == "amount_too_high" and "4.99" not in error.message and "5.00" in error.message
    error = refused(refunds.create_refund, order, order, actor=actor, amount="5.01", provider="manual")
    assert error.code == "amount_too_high"


@pytest.mark.parametrize("kwargs, field", [
    (dict(amount="1e999"), "amount"), (dict(amount="NaN"), "amount"), (dict(amount="-5"), "amount"),
    (dict(amount="0.001"), "amount"), (dict(amount="9" * 30), "amount"), (dict(amount=""), "amount"),
    (dict(amount="5", state="failed"), "state"), (dict(amount="5", source="robot"), "source"),
    (dict(amount="5", payment="9" * 30), "payment"), (dict(amount="5", payment="7"), "payment"),
    (dict(amount="5", provider="paypal"), "provider"), (dict(amount="5", comment="x" * 10_001), "comment"),
])
def test_create_refund_refuses_bad_values(world, actor, kwargs, field):
    order = factories.order(world.event, [world.ticket], status=P)
    kwargs.setdefault("payment", "1")
    assert refused(refunds.create_refund, order, order, actor=actor, **kwargs).field == field


def test_refund_on_a_payment_that_is_not_confirmed_is_refused(world, actor):
    order = factories.order(world.event, [world.ticket])
    pay(order, "50", "pending")
    db.session.commit()
    assert refused(refunds.create_refund, order, order, actor=actor, amount="5", payment="1").code == "amount_too_high"


# --- done, process, cancel --------------------------------------------------------------------------

@pytest.mark.parametrize("state", ["created", "transit"])
def test_mark_done(world, actor, state):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = add_refund(order, "10", state, payment=order.payments[0])
    refunds.mark_refund_done(refund, actor=actor)
    refund = reload(order).refunds[0]
    assert refund.state == "done" and refund.execution_date is not None
    assert actions_logged(order) == ["order.refund_done"]


@pytest.mark.parametrize("state", ["external", "done", "canceled", "failed"])
def test_mark_done_refused_in_other_states(world, actor, state):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = add_refund(order, "10", state)
    db.session.commit()
    assert refused(refunds.mark_refund_done, refund, order, actor=actor).code == "wrong_refund_state"


def test_process_external_refund_makes_a_no_longer_covered_order_pending(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = add_refund(order, "50", "external", payment=order.payments[0])
    assert orders.totals(order).refunded == 0  # external does not count until processed
    refunds.process_refund(refund, actor=actor)
    order = reload(order)
    assert order.refunds[0].state == "done" and order.status == N and orders.totals(order).open == D("50.00")


def test_process_external_refund_can_cancel_the_order(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = add_refund(order, "50", "external", payment=order.payments[0])
    refunds.process_refund(refund, actor=actor, mark_canceled=True)
    order = reload(order)
    assert order.status == C and orders.totals(order).open == 0
    assert actions_logged(order) == ["order.refund_processed", "order.canceled"]


def test_process_refused_unless_external_or_when_it_would_exceed_the_payment(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    add_refund(order, "10", "created", payment=order.payments[0])
    add_refund(order, "45", "external", payment=order.payments[0])
    db.session.commit()
    assert refused(refunds.process_refund, order.refunds[0], order, actor=actor).code == "wrong_refund_state"
    assert refused(refunds.process_refund, reload(order).refunds[1], order, actor=actor).code == "amount_too_high"


@pytest.mark.parametrize("state, allowed", [("created", True), ("transit", True), ("external", True),
                                            ("done", False), ("canceled", False), ("failed", False)])
def test_cancel_refund(world, actor, state, allowed):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = add_refund(order, "10", state)
    db.session.commit()
    if allowed:
        refunds.cancel_refund(refund, actor=actor)
        assert reload(order).refunds[0].state == "canceled"
        assert actions_logged(order) == ["order.refund_canceled"]
    else:
        assert refused(refunds.cancel_refund, refund, order, actor=actor).code == "wrong_refund_state"


def test_canceling_a_refund_frees_the_amount_on_its_payment(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = refunds.create_refund(order, actor=actor, amount="50", payment="1")
    assert payments.refundable(reload(order).payments[0]) == 0
    refunds.cancel_refund(reload(order).refunds[0], actor=actor)
    assert payments.refundable(reload(order).payments[0]) == D("50.00")
    assert refund.local_id == 1


def test_stale_page_is_refused(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = add_refund(order, "10", "created")
    db.session.commit()
    seen = order.last_modified.isoformat()
    refunds.mark_refund_done(refund, actor=actor, seen_last_modified=seen)
    db.session.commit()
    refused(refunds.cancel_refund, reload(order).refunds[0], order, Conflict, actor=actor, seen_last_modified=seen)


def test_get_refund(world):
    order = factories.order(world.event, [world.ticket], status=P)
    add_refund(order, "10", "created")
    assert refunds.get_refund(order, "1").local_id == 1
    for bad in ["2", "9" * 30, "0", "abc"]:
        with pytest.raises(NotFound):
            refunds.get_refund(order, bad)


def test_refused_errors_are_invalid_kind(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    with pytest.raises(Invalid):
        refunds.create_refund(order, actor=actor, amount="100", payment="1")
