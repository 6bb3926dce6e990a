"""Payments of an order: record, confirm, cancel, refund, and giving back what a canceled order is due."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from backoffice.domain import orders, payments
from backoffice.domain.audit import Actor
from backoffice.domain.errors import Conflict, Invalid, NotFound
from backoffice.domain.models import (LogEntry, Order, OrderPayment, OrderRefund, OrderStatus, OutboxEmail,
                                      utcnow)
from backoffice.extensions import db
from tests import factories

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED
D = Decimal


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def reload(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def snapshot(order: Order) -> dict:
    order = reload(order)
    return {"status": order.status, "last_modified": order.last_modified, "expires": order.expires,
            "payments": [(p.local_id, p.state, p.amount, p.provider) for p in order.payments],
            "refunds": [(r.local_id, r.state, r.amount, r.payment_id) for r in order.refunds],
            "log": len(actions_logged(order)), "mails": len(outbox())}


def actions_logged(order: Order) -> list[str]:
    return list(db.session.scalars(select(LogEntry.action_type).where(
        LogEntry.object_type == "order", LogEntry.object_id == order.id).order_by(LogEntry.id)))


def outbox() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def refused(action, target, order, exc=Invalid, **kwargs):
    """Run an action that must be refused; nothing about the order changed (checked in the DB)."""
    db.session.commit()  # what the test set up stays; only the action is rolled back
    before = snapshot(order)
    with pytest.raises(exc) as info:
        action(target, **kwargs)
    db.session.rollback()
    assert snapshot(order) == before
    return info.value


def pay(order, amount, state="created", provider="banktransfer", local_id=None):
    payment = OrderPayment(order=order, local_id=local_id or len(order.payments) + 1, state=state,
                           amount=D(amount), provider=provider, payment_date=utcnow() if state == "confirmed" else None)
    db.session.add(payment)
    db.session.flush()
    return payment


# --- record -------------------------------------------------------------------------------------

def test_partial_payment_then_the_rest_makes_the_order_paid(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])  # 100.00
    first = payments.create_payment(order, actor=actor, amount="40", provider="banktransfer")
    assert (first.local_id, first.state, first.amount) == (1, "confirmed", D("40.00"))
    assert reload(order).status == N and orders.totals(order).open == D("60.00")
    payments.create_payment(reload(order), actor=actor, amount="60.00", provider="boxoffice", send_email=True)
    order = reload(order)
    assert order.status == P and orders.totals(order).open == 0
    assert actions_logged(order) == ["order.payment_recorded", "order.payment_recorded"]
    assert [m.template for m in outbox()] == ["order_paid"]


def test_recorded_payment_moves_last_modified_and_keeps_info_and_date(world, actor):
    order = factories.order(world.event, [world.ticket], when=utcnow() - timedelta(days=3))
    before = order.last_modified
    payment = payments.create_payment(order, actor=actor, amount="50", provider="manual", state="pending",
                                      payment_date="2020-02-03", info="Ref 123")
    db.session.commit()
    assert reload(order).last_modified > before
    assert payment.details == {"info": "Ref 123"} and payment.payment_date.year == 2020
    assert reload(order).status == N  # a pending payment is no money yet


def test_send_email_default_is_false_for_a_recorded_payment(world, actor):
    order = factories.order(world.event, [world.ticket])
    payments.create_payment(order, actor=actor, amount="50", provider="manual")
    assert reload(order).status == P and outbox() == []


@pytest.mark.parametrize("amount", ["1e999", "NaN", "-5", "0.001", "9" * 30, "0", "", "Infinity", "abc"])
def test_hostile_amounts_are_refused(world, actor, amount):
    order = factories.order(world.event, [world.ticket])
    error = refused(payments.create_payment, order, order, actor=actor, amount=amount, provider="manual")
    assert error.field == "amount"


@pytest.mark.parametrize("provider, code", [("paypal", "provider_unknown"), ("", "provider_missing"),
                                            ("boxoffice", "provider_disabled")])
def test_provider_must_be_known_and_enabled_for_the_event(world, actor, provider, code):
    world.event.payment_providers = ["manual", "banktransfer"]
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert refused(payments.create_payment, order, order, actor=actor, amount="5", provider=provider).code == code


@pytest.mark.parametrize("state", ["canceled", "refunded", "bogus"])
def test_payment_can_only_be_recorded_as_created_pending_or_confirmed(world, actor, state):
    order = factories.order(world.event, [world.ticket])
    refused(payments.create_payment, order, order, actor=actor, amount="5", provider="manual", state=state)


def test_payment_date_in_the_future_or_out_of_range_is_refused(world, actor):
    order = factories.order(world.event, [world.ticket])
    for day in ["2999-12-31", "0001-01-01", "9999-12-31T23:59:59-14:00", "tomorrow"]:
        assert refused(payments.create_payment, order, order, actor=actor, amount="5", provider="manual",
                       payment_date=day).field == "payment_date"


def test_confirmed_payment_on_expired_order_needs_quota_unless_forced(world, actor):
    world.quota.size = 1
    order = factories.order(world.event, [world.ticket], status=E)
    factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    assert refused(payments.create_payment, order, order, actor=actor, amount="50",
                   provider="manual").code == "quota_exceeded"
    payments.create_payment(reload(order), actor=actor, amount="50", provider="manual", force=True)
    assert reload(order).status == P


def test_stale_page_is_refused(world, actor):
    order = factories.order(world.event, [world.ticket])
    seen = order.last_modified.isoformat()
    payments.create_payment(order, actor=actor, amount="10", provider="manual")
    db.session.commit()
    assert refused(payments.create_payment, order, order, Conflict, actor=actor, amount="10", provider="manual",
                   seen_last_modified=seen).code == "stale"


# --- confirm and cancel ---------------------------------------------------------------------------

def test_confirm_pays_the_order_when_fully_paid_and_mails(world, actor):
    order = factories.order(world.event, [world.ticket])
    payment = pay(order, "50.00", "pending")
    db.session.commit()
    payments.confirm_payment(payment, actor=actor)
    order = reload(order)
    assert order.payments[0].state == "confirmed" and order.status == P
    assert [m.template for m in outbox()] == ["order_paid"]
    assert actions_logged(order) == ["order.payment_confirmed"]


def test_confirm_of_a_partial_payment_leaves_the_order_pending(world, actor):
    order = factories.order(world.event, [world.ticket])
    payment = pay(order, "20.00")
    payments.confirm_payment(payment, actor=actor)
    assert reload(order).status == N and outbox() == []


def test_confirm_of_expired_order_checks_quota_unless_forced(world, actor):
    world.quota.size = 1
    order = factories.order(world.event, [world.ticket], status=E)
    factories.order(world.event, [world.ticket], status=P)
    payment = pay(order, "50.00")
    db.session.commit()
    error = refused(payments.confirm_payment, payment, order, actor=actor)
    assert error.code == "quota_exceeded"
    payments.confirm_payment(reload(order).payments[0], actor=actor, force=True, send_email=False)
    assert reload(order).status == P and outbox() == []


@pytest.mark.parametrize("state", ["confirmed", "canceled", "failed", "refunded"])
def test_confirm_and_cancel_only_open_payments(world, actor, state):
    order = factories.order(world.event, [world.ticket])
    payment = pay(order, "50.00", state)
    db.session.commit()
    assert state in refused(payments.confirm_payment, payment, order, actor=actor).message
    assert "cannot be canceled" in refused(payments.cancel_payment, reload(order).payments[0], order,
                                           actor=actor).message


def test_cancel_payment(world, actor):
    order = factories.order(world.event, [world.ticket])
    payment = pay(order, "50.00", "pending")
    payments.cancel_payment(payment, actor=actor)
    assert reload(order).payments[0].state == "canceled" and actions_logged(order) == ["order.payment_canceled"]


def test_get_payment(world):
    order = factories.order(world.event, [world.ticket], status=P)
    assert payments.get_payment(order, "1").local_id == 1
    for bad in ["2", "9" * 30, "-1", "x", None]:
        with pytest.raises(NotFound):
            payments.get_payment(order, bad)


# --- refund ---------------------------------------------------------------------------------------

def test_refund_defaults_to_everything_refundable_done_by_admin(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    refund = payments.refund_payment(order.payments[0], actor=actor)
    assert (refund.state, refund.source, refund.amount, refund.provider) == ("done", "admin", D("50.00"), "manual")
    assert payments.refundable(reload(order).payments[0]) == 0
    assert reload(order).status == P  # the order is canceled only when asked
    assert actions_logged(order) == ["order.payment_refunded"]


def test_partial_refunds_never_exceed_the_payment(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    payments.refund_payment(order.payments[0], actor=actor, amount="30")
    assert payments.refundable(reload(order).payments[0]) == D("20.00")
    error = refused(payments.refund_payment, reload(order).payments[0], order, actor=actor, amount="20.01")
    assert error.code == "amount_too_high" and "At most 20.00" in error.message
    payments.refund_payment(reload(order).payments[0], actor=actor, amount="20")
    error = refused(payments.refund_payment, reload(order).payments[0], order, actor=actor, amount="1")
    assert "refunded in full" in error.message


def test_canceled_refunds_do_not_count_against_refundable(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    payment = order.payments[0]
    db.session.add_all([
        OrderRefund(order=order, local_id=1, state="canceled", amount=D("50"), provider="manual", payment=payment),
        OrderRefund(order=order, local_id=2, state="external", amount=D("10"), provider="manual", payment=payment),
        OrderRefund(order=order, local_id=3, state="transit", amount=D("15"), provider="manual", payment=payment)])
    db.session.flush()
    assert payments.refundable(payment) == D("35.00")


def test_refund_with_mark_canceled_cancels_the_order_without_mail(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    payments.refund_payment(order.payments[0], actor=actor, mark_canceled=True)
    order = reload(order)
    assert order.status == C and orders.totals(order).open == 0 and outbox() == []
    assert actions_logged(order) == ["order.payment_refunded", "order.canceled"]


@pytest.mark.parametrize("state", ["created", "pending", "canceled", "failed"])
def test_only_confirmed_payments_can_be_refunded(world, actor, state):
    order = factories.order(world.event, [world.ticket])
    payment = pay(order, "50.00", state)
    db.session.commit()
    assert refused(payments.refund_payment, payment, order, actor=actor).code == "wrong_payment_state"


def test_free_provider_cannot_refund_and_says_so(world, actor):
    order = factories.order(world.event, [world.ticket])
    payment = pay(order, "5.00", "confirmed", provider="free")
    db.session.commit()
    error = refused(payments.refund_payment, payment, order, actor=actor)
    assert error.code == "refund_unsupported" and "Free order" in error.message


@pytest.mark.parametrize("amount", ["1e999", "NaN", "-5", "0.001", "9" * 30, "0"])
def test_hostile_refund_amounts_are_refused(world, actor, amount):
    order = factories.order(world.event, [world.ticket], status=P)
    refused(payments.refund_payment, order.payments[0], order, actor=actor, amount=amount)


def test_refund_with_stale_page_is_a_conflict(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    seen = order.last_modified.isoformat()
    payments.refund_payment(order.payments[0], actor=actor, amount="10", seen_last_modified=seen)
    db.session.commit()
    refused(payments.refund_payment, reload(order).payments[0], order, Conflict, actor=actor, amount="10",
            seen_last_modified=seen)


# --- the amount due for refund ----------------------------------------------------------------------

def test_suggested_refunds_split_newest_first_within_refundable(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])  # 100
    pay(order, "70.00", "confirmed", provider="banktransfer")
    pay(order, "30.00", "confirmed", provider="manual")
    second = order.payments[1]
    db.session.add(OrderRefund(order=order, local_id=1, state="done", amount=D("10"), provider="manual",
                               payment=second))
    order.status = P
    db.session.flush()
    orders.cancel_order(order, actor=actor, send_email=False)
    order = reload(order)
    assert orders.totals(order).to_refund == D("90.00")
    assert [(p.local_id, a) for p, a in payments.suggested_refunds(order)] == [(2, D("20.00")), (1, D("70.00"))]


def test_refund_due_gives_back_everything_in_one_go(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    pay(order, "60.00", "confirmed")
    pay(order, "40.00", "confirmed", provider="boxoffice")
    order.status = P
    db.session.flush()
    orders.cancel_order(order, actor=actor, send_email=False)
    db.session.commit()
    done = payments.refund_due(reload(order), actor=actor, expected="100.00")
    assert [(r.payment.local_id, r.amount, r.state, r.source) for r in done] == [
        (2, D("40.00"), "done", "admin"), (1, D("60.00"), "done", "admin")]
    t = orders.totals(reload(order))
    assert t.to_refund == 0 and t.open == 0 and t.refunded == D("100.00")


def test_refund_due_refuses_when_the_amount_changed_or_nothing_is_due(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    orders.cancel_order(order, actor=actor, send_email=False)
    db.session.commit()
    error = refused(payments.refund_due, reload(order), order, actor=actor, expected="40.00")
    assert error.code == "amount_changed" and "50.00" in error.message
    payments.refund_due(reload(order), actor=actor)
    db.session.commit()
    assert refused(payments.refund_due, reload(order), order, actor=actor).code == "nothing_to_refund"
