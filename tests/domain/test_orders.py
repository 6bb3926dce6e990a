"""Order-level actions: allowed and refused transitions, quotas and seats, deadlines, fees."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from backoffice.domain import order_fields, orders, secrets
from backoffice.domain.audit import Actor
from backoffice.domain.errors import Conflict, Invalid
from backoffice.domain.models import (LogEntry, Order, OrderFee, OrderPayment, OrderPosition, OrderRefund,
                                      OrderStatus, OutboxEmail, RevokedSecret, utcnow)
from backoffice.extensions import db
from tests import factories

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def reload(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def snapshot(order: Order) -> dict:
    order = reload(order)
    return {
        "status": order.status, "total": order.total, "expires": order.expires,
        "require_approval": order.require_approval, "last_modified": order.last_modified,
        "secret": order.secret, "positions": [(p.canceled, p.secret) for p in order.all_positions],
        "fees": [(f.fee_type, f.value, f.canceled) for f in order.all_fees],
        "payments": [(p.state, p.amount) for p in order.payments],
    }


def actions_logged(order: Order) -> list[str]:
    return list(db.session.scalars(select(LogEntry.action_type).where(
        LogEntry.object_type == "order", LogEntry.object_id == order.id).order_by(LogEntry.id)))


def refused(action, order, exc=Invalid, **kwargs):
    """Run an action that must be refused; the order is unchanged afterwards (checked in the DB)."""
    before = snapshot(order)
    with pytest.raises(exc) as info:
        action(order, **kwargs)
    db.session.rollback()
    assert snapshot(order) == before
    return info.value


def outbox() -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


# --- totals ------------------------------------------------------------------------------------

def test_totals_add_up(world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    db.session.add(OrderRefund(order=order, local_id=1, state="done", amount=Decimal("30.00"), provider="manual"))
    db.session.flush()
    t = orders.totals(order)
    assert (t.total, t.paid, t.refunded) == (Decimal("100.00"), Decimal("100.00"), Decimal("30.00"))
    assert t.open == t.owed - t.paid + t.refunded == Decimal("30.00")


def test_canceled_order_owes_nothing_and_shows_refund_due(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    orders.cancel_order(order, actor=actor, send_email=False)
    t = orders.totals(order)
    assert t.owed == 0 and t.open == Decimal("-50.00") and t.to_refund == Decimal("50.00")


# --- mark paid -----------------------------------------------------------------------------------

def test_mark_paid_records_manual_payment_for_open_amount(world, actor):
    order = factories.order(world.event, [world.ticket], fees=[("payment", "2.50")])
    before = order.last_modified
    orders.mark_paid(order, actor=actor, send_email=False)
    db.session.commit()
    order = reload(order)
    assert order.status == P
    assert [(p.state, p.amount, p.provider) for p in order.payments] == [("confirmed", Decimal("52.50"), "manual")]
    assert order.last_modified > before
    assert actions_logged(order) == ["order.marked_paid"]
    assert outbox() == []


def test_mark_paid_sends_confirmation_with_working_link(world, actor, client):
    order = factories.order(world.event, [world.ticket], email="anna@example.org")
    orders.mark_paid(order, actor=actor)
    db.session.commit()
    [mail] = outbox()
    assert mail.to == "anna@example.org" and order.code in mail.subject and "Payment received" in mail.subject
    url = orders.order_url(order)
    assert url.startswith("http://backoffice.test/") and url in mail.body
    page = client.get(url.removeprefix("http://backoffice.test"))
    assert page.status_code == 200 and order.code in page.get_data(as_text=True)


@pytest.mark.parametrize("status", [P, C])
def test_mark_paid_refused_unless_pending_or_expired(world, actor, status):
    order = factories.order(world.event, [world.ticket], status=status)
    db.session.commit()
    error = refused(orders.mark_paid, order, actor=actor)
    assert "cannot be marked as paid" in error.message


def test_mark_paid_refused_while_awaiting_approval(world, actor):
    order = factories.order(world.event, [world.ticket], require_approval=True)
    db.session.commit()
    assert "approve it" in refused(orders.mark_paid, order, actor=actor).message


def test_mark_paid_of_expired_order_needs_quota(world, actor):
    world.quota.size = 1
    factories.order(world.event, [world.ticket], status=P)
    order = factories.order(world.event, [world.ticket], status=E)
    db.session.commit()
    error = refused(orders.mark_paid, order, exc=Invalid, actor=actor)
    assert "Only 0 tickets left in quota 'Regular', 1 needed." in error.message
    orders.mark_paid(order, actor=actor, force=True, send_email=False)
    db.session.commit()
    assert reload(order).status == P


def test_mark_paid_of_expired_order_needs_its_seat(world, actor):
    seat = factories.seat(world.event, "A1")
    factories.order(world.event, [world.ticket], status=N, seats=[seat])
    order = factories.order(world.event, [world.ticket], status=E, seats=[seat])
    db.session.commit()
    assert "Seat A1 is no longer available." in refused(orders.mark_paid, order, exc=Invalid, actor=actor).message


def test_mark_paid_of_free_order_uses_free_provider(world, actor):
    free = factories.item(world.event, "Free", "0.00")
    order = factories.order(world.event, [free])
    orders.mark_paid(order, actor=actor, send_email=False)
    assert [(p.provider, p.amount) for p in order.payments] == [("free", Decimal("0.00"))]


def _payment(order, local_id, state, amount, provider="manual"):
    payment = OrderPayment(order=order, local_id=local_id, state=state, amount=Decimal(amount), provider=provider)
    db.session.add(payment)
    return payment


def marked_paid_entry(order) -> LogEntry:
    return db.session.scalar(select(LogEntry).where(LogEntry.object_id == order.id,
                                                    LogEntry.action_type == "order.marked_paid"))


def test_mark_paid_confirms_the_open_manual_payment_of_the_open_amount(world, actor):
    order = factories.order(world.event, [world.ticket])
    _payment(order, 1, "created", "20.00", provider="banktransfer")
    _payment(order, 2, "pending", "50.00")
    db.session.commit()
    orders.mark_paid(order, actor=actor, send_email=False)
    db.session.commit()
    order = reload(order)
    # the matching payment is the one that arrived; the other open one stays as it was
    assert [(p.local_id, p.state, p.amount) for p in order.payments] == [
        (1, "created", Decimal("20.00")), (2, "confirmed", Decimal("50.00"))]
    assert order.payments[1].payment_date is not None
    t = orders.totals(order)
    assert (t.paid, t.open) == (Decimal("50.00"), Decimal("0.00"))
    entry = marked_paid_entry(order)
    assert (entry.data["payment"], entry.data["payment_recorded"], entry.data["payments_canceled"]) == (2, False, [])


@pytest.mark.parametrize("provider,amount", [("banktransfer", "50.00"), ("manual", "30.00")])
def test_mark_paid_cancels_open_payments_that_do_not_match(world, actor, provider, amount):
    order = factories.order(world.event, [world.ticket])
    _payment(order, 1, "pending", amount, provider=provider)
    _payment(order, 2, "failed", "50.00")
    db.session.commit()
    orders.mark_paid(order, actor=actor, send_email=False)
    db.session.commit()
    order = reload(order)
    assert [(p.local_id, p.state, p.provider, p.amount) for p in order.payments] == [
        (1, "canceled", provider, Decimal(amount)), (2, "failed", "manual", Decimal("50.00")),
        (3, "confirmed", "manual", Decimal("50.00"))]
    t = orders.totals(order)
    assert t.paid == Decimal("50.00") and t.open == 0 == t.owed - t.paid + t.refunded
    entry = marked_paid_entry(order)
    assert (entry.data["payment"], entry.data["payment_recorded"], entry.data["payments_canceled"]) == (3, True, [1])


def test_mark_paid_after_a_partial_payment_records_only_the_rest(world, actor):
    order = factories.order(world.event, [world.ticket])
    _payment(order, 1, "confirmed", "20.00")
    _payment(order, 2, "created", "50.00")
    db.session.commit()
    orders.mark_paid(order, actor=actor, send_email=False)
    db.session.commit()
    order = reload(order)
    assert [(p.state, p.amount) for p in order.payments] == [
        ("confirmed", Decimal("20.00")), ("canceled", Decimal("50.00")), ("confirmed", Decimal("30.00"))]
    assert orders.totals(order).paid == Decimal("50.00") and orders.totals(order).open == 0


def test_mark_paid_of_free_order_cancels_open_payments_and_uses_free(world, actor):
    free = factories.item(world.event, "Free", "0.00")
    order = factories.order(world.event, [free])
    _payment(order, 1, "created", "5.00", provider="banktransfer")
    orders.mark_paid(order, actor=actor, send_email=False)
    assert [(p.state, p.provider, p.amount) for p in order.payments] == [
        ("canceled", "banktransfer", Decimal("5.00")), ("confirmed", "free", Decimal("0.00"))]


def test_mark_paid_of_expired_order_refuses_a_seat_blocked_since(world, actor):
    seat = factories.seat(world.event, "A1")
    order = factories.order(world.event, [world.ticket], status=E, seats=[seat])
    seat.blocked = True
    db.session.commit()
    error = refused(orders.mark_paid, order, actor=actor)
    assert error.message == "Seat A1 is blocked by the organizer and cannot be sold."
    assert (error.kind, error.code) == ("invalid", "quota_exceeded")
    assert "order.marked_paid" not in actions_logged(order)


def test_stale_page_is_refused(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    seen = order.last_modified.isoformat()
    order_fields.update_order_fields(order, actor=actor, comment="changed by a colleague")
    db.session.commit()
    error = refused(orders.mark_paid, order, exc=Conflict, actor=actor, seen_last_modified=seen)
    assert "changed by someone else" in error.message


# --- quotas per sub-event --------------------------------------------------------------------------

def test_quota_of_one_subevent_does_not_block_another(world, actor):
    monday = factories.subevent(world.event, "Monday", days=5)
    tuesday = factories.subevent(world.event, "Tuesday", days=6)
    factories.quota(world.event, [world.ticket], 1, name="Monday seats", subevent=monday)
    factories.quota(world.event, [world.ticket], 1, name="Tuesday seats", subevent=tuesday)
    factories.order(world.event, [world.ticket], status=P, subevent=monday)
    on_monday = factories.order(world.event, [world.ticket], status=E, subevent=monday)
    on_tuesday = factories.order(world.event, [world.ticket], status=E, subevent=tuesday)
    db.session.commit()
    error = refused(orders.mark_paid, on_monday, exc=Invalid, actor=actor)
    assert "quota 'Monday seats' for Monday" in error.message
    orders.mark_paid(on_tuesday, actor=actor, send_email=False)
    db.session.commit()
    assert reload(on_tuesday).status == P


def test_same_seat_guid_on_other_subevent_is_free(world, actor):
    monday = factories.subevent(world.event, "Monday", days=5)
    tuesday = factories.subevent(world.event, "Tuesday", days=6)
    seat_monday = factories.seat(world.event, "B2", subevent=monday)
    seat_tuesday = factories.seat(world.event, "B2x", subevent=tuesday)
    factories.order(world.event, [world.ticket], status=P, subevent=monday, seats=[seat_monday])
    order = factories.order(world.event, [world.ticket], status=C, subevent=tuesday, seats=[seat_tuesday])
    refused_order = factories.order(world.event, [world.ticket], status=C, subevent=monday, seats=[seat_monday])
    db.session.commit()
    orders.reactivate_order(order, actor=actor)
    db.session.commit()
    assert reload(order).status == N
    assert "Seat B2 is no longer available." in refused(orders.reactivate_order, refused_order, exc=Invalid,
                                                        actor=actor).message


# --- cancel ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [N, P, E])
def test_cancel_keeps_positions_uncanceled(world, actor, status):
    order = factories.order(world.event, [world.ticket, world.ticket], status=status)
    orders.cancel_order(order, actor=actor, send_email=False)
    db.session.commit()
    order = reload(order)
    assert order.status == C and order.cancellation_date is not None
    assert [p.canceled for p in order.all_positions] == [False, False]
    assert order.total == Decimal("100.00")


def test_cancel_cancels_open_payments(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.add(OrderPayment(order=order, local_id=1, state="created", amount=Decimal("50.00"), provider="banktransfer"))
    orders.cancel_order(order, actor=actor, send_email=False)
    assert [p.state for p in order.payments] == ["canceled"]


def test_cancel_refused_when_already_canceled(world, actor):
    order = factories.order(world.event, [world.ticket], status=C)
    db.session.commit()
    assert "it is canceled" in refused(orders.cancel_order, order, actor=actor).message


def test_cancel_sends_email_by_default_with_comment(world, actor):
    order = factories.order(world.event, [world.ticket], email="bob@example.org")
    orders.cancel_order(order, actor=actor, comment="The venue burnt down.")
    db.session.commit()
    [mail] = outbox()
    assert mail.to == "bob@example.org" and "canceled" in mail.subject
    assert "The venue burnt down." in mail.body and orders.order_url(order) in mail.body


def test_cancellation_fee_becomes_the_only_component_paid_when_covered(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P, fees=[("payment", "5.00")])
    orders.cancel_order(order, actor=actor, send_email=False, cancellation_fee="10.00")
    db.session.commit()
    order = reload(order)
    assert order.status == P and order.total == Decimal("10.00")
    assert all(p.canceled for p in order.all_positions) and order.positions == []
    assert [(f.fee_type, f.value) for f in order.fees] == [("cancellation", Decimal("10.00"))]
    assert [f.canceled for f in order.all_fees if f.fee_type == "payment"] == [True]
    t = orders.totals(order)
    assert t.paid == Decimal("105.00") and t.open == Decimal("-95.00")  # 95.00 due for refund


def test_cancellation_fee_not_covered_leaves_order_pending_with_new_deadline(world, actor):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    order = factories.order(world.event, [world.ticket], status=N)
    orders.cancel_order(order, actor=actor, send_email=False, cancellation_fee=Decimal("20.00"), now=now)
    assert order.status == N and order.total == Decimal("20.00")
    assert order.expires == datetime(2026, 3, 15, 23, 59, 59, tzinfo=ZoneInfo("Europe/Berlin"))
    assert orders.totals(order).open == Decimal("20.00")


def test_cancellation_fee_above_total_is_refused(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    error = refused(orders.cancel_order, order, actor=actor, cancellation_fee="50.01")
    assert error.field == "cancellation_fee" and "cannot be higher" in error.message


def test_cancel_with_fee_on_overpaid_order_mails_fee_kept_and_refund_due(world, actor):
    order = factories.order(world.event, [world.ticket], status=P, fees=[("payment", "29.00")],
                            email="eva@example.org")
    orders.cancel_order(order, actor=actor, cancellation_fee="5.00")
    db.session.commit()
    [mail] = outbox()
    assert "We kept a cancellation fee of €5.00 from your payment of €79.00." in mail.body
    assert "The remaining €74.00 is due to be refunded to you." in mail.body
    assert "remains due" not in mail.body
    assert orders.status_label(reload(order)) == ("canceled, fee kept", "canceled")
    assert orders.totals(reload(order)).to_refund == Decimal("74.00")


def test_cancel_with_fee_exactly_covered_mails_that_nothing_is_due(world, actor):
    order = factories.order(world.event, [world.ticket], status=P, email="eva@example.org")
    orders.cancel_order(order, actor=actor, cancellation_fee="50.00")
    db.session.commit()
    [mail] = outbox()
    assert "We kept a cancellation fee of €50.00 from your payment of €50.00." in mail.body
    assert "Nothing else is due." in mail.body and "refunded" not in mail.body


def test_cancel_with_fee_partly_paid_mails_what_remains_due(world, actor):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    order = factories.order(world.event, [world.ticket], status=N, email="eva@example.org")
    db.session.add(OrderPayment(order=order, local_id=1, state="confirmed", amount=Decimal("3.00"), provider="manual"))
    orders.cancel_order(order, actor=actor, cancellation_fee="5.00", now=now)
    db.session.commit()
    [mail] = outbox()
    assert "A cancellation fee of €5.00 applies." in mail.body
    assert "You have paid €3.00 of it, so €2.00 remains due." in mail.body
    assert "Please pay it by 2026-03-15 23:59 (Europe/Berlin)." in mail.body
    assert "refunded" not in mail.body
    assert orders.status_label(reload(order)) == ("canceled, fee due", "canceled")


def test_cancel_with_fee_unpaid_mails_the_whole_fee_as_due(world, actor):
    order = factories.order(world.event, [world.ticket], status=N, email="eva@example.org")
    orders.cancel_order(order, actor=actor, cancellation_fee="5.00")
    db.session.commit()
    [mail] = outbox()
    assert "A cancellation fee of €5.00 applies.\n€5.00 remains due." in mail.body


def test_cancel_of_paid_order_without_fee_mails_the_refund_due(world, actor):
    order = factories.order(world.event, [world.ticket], status=P, email="eva@example.org")
    orders.cancel_order(order, actor=actor)
    db.session.commit()
    [mail] = outbox()
    assert "The €50.00 you paid is due to be refunded to you." in mail.body
    assert "cancellation fee" not in mail.body


@pytest.mark.parametrize("fee", ["-1", "abc", "1.234"])
def test_bad_cancellation_fee_is_refused(world, actor, fee):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    assert refused(orders.cancel_order, order, actor=actor, cancellation_fee=fee).field == "cancellation_fee"


def test_zero_cancellation_fee_is_a_plain_cancel(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    orders.cancel_order(order, actor=actor, send_email=False, cancellation_fee="0")
    assert order.status == C and order.fees == []


# --- reactivate, mark pending, mark expired ---------------------------------------------------------

def test_reactivate_paid_when_payments_cover_total(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    orders.cancel_order(order, actor=actor, send_email=False)
    orders.reactivate_order(order, actor=actor)
    assert order.status == P and order.cancellation_date is None


def test_reactivate_pending_without_payment(world, actor):
    order = factories.order(world.event, [world.ticket], status=C)
    orders.reactivate_order(order, actor=actor)
    assert order.status == N


def test_reactivate_refused_without_quota(world, actor):
    world.quota.size = 1
    factories.order(world.event, [world.ticket], status=N)
    order = factories.order(world.event, [world.ticket], status=C)
    db.session.commit()
    refused(orders.reactivate_order, order, exc=Invalid, actor=actor)


@pytest.mark.parametrize("status", [N, P, E])
def test_reactivate_refused_unless_canceled(world, actor, status):
    order = factories.order(world.event, [world.ticket], status=status)
    db.session.commit()
    refused(orders.reactivate_order, order, actor=actor)


def test_reactivate_denied_order_goes_back_to_awaiting_approval(world, actor):
    order = factories.order(world.event, [world.ticket], require_approval=True, paid=True)
    orders.deny_order(order, actor=actor, send_email=False)
    db.session.commit()
    orders.reactivate_order(order, actor=actor)
    db.session.commit()
    order = reload(order)
    # as pretix: paid in full, yet pending, because reactivating never approves a denied order
    assert (order.status, order.require_approval, order.cancellation_date) == (N, True, None)
    assert orders.status_label(order) == ("awaiting approval", "approval")
    assert orders.allowed_actions(order)[:2] == ["approve", "deny"] and "mark_paid" not in orders.allowed_actions(order)
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "order.reactivated"))
    assert entry.data["awaiting_approval"] is True


def test_reactivate_refuses_a_seat_blocked_since(world, actor):
    seat = factories.seat(world.event, "B7")
    order = factories.order(world.event, [world.ticket], status=C, seats=[seat])
    seat.blocked = True
    db.session.commit()
    error = refused(orders.reactivate_order, order, actor=actor)
    assert error.message == "Seat B7 is blocked by the organizer and cannot be sold."


def test_mark_pending_only_from_paid(world, actor):
    paid = factories.order(world.event, [world.ticket], status=P)
    orders.mark_pending(paid, actor=actor)
    assert paid.status == N
    for status in (N, E, C):
        order = factories.order(world.event, [world.ticket], status=status)
        db.session.commit()
        refused(orders.mark_pending, order, actor=actor)


def test_mark_expired_only_from_pending(world, actor):
    pending = factories.order(world.event, [world.ticket], status=N)
    orders.mark_expired(pending, actor=actor)
    assert pending.status == E
    for status in (P, E, C):
        order = factories.order(world.event, [world.ticket], status=status)
        db.session.commit()
        refused(orders.mark_expired, order, actor=actor)


# --- extend ------------------------------------------------------------------------------------------

def test_extend_sets_end_of_day_in_event_timezone(world, actor):
    world.event.timezone = "America/New_York"
    order = factories.order(world.event, [world.ticket])
    until = (utcnow() + timedelta(days=10)).date()
    orders.extend_order(order, until=until, actor=actor)
    local = order.expires.astimezone(ZoneInfo("America/New_York"))
    assert (local.date(), local.hour, local.minute, local.second) == (until, 23, 59, 59)
    assert order.status == N and actions_logged(order) == ["order.extended"]


def test_extend_today_is_allowed_before_its_end(world, actor):
    now = datetime(2026, 6, 1, 20, 0, tzinfo=timezone.utc)  # 22:00 in Berlin
    order = factories.order(world.event, [world.ticket])
    orders.extend_order(order, until=date(2026, 6, 1), actor=actor, now=now)
    assert order.expires == datetime(2026, 6, 1, 21, 59, 59, tzinfo=timezone.utc)


def test_extend_refuses_past_date(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    error = refused(orders.extend_order, order, actor=actor, until=date.today() - timedelta(days=1))
    assert error.field == "until" and "past" in error.message


def test_extend_brings_expired_order_back_when_quota_allows(world, actor):
    order = factories.order(world.event, [world.ticket], status=E)
    orders.extend_order(order, until=date.today() + timedelta(days=3), actor=actor)
    assert order.status == N


def test_extend_of_expired_order_without_quota_needs_force(world, actor):
    world.quota.size = 0
    order = factories.order(world.event, [world.ticket], status=E)
    db.session.commit()
    until = date.today() + timedelta(days=3)
    refused(orders.extend_order, order, exc=Invalid, actor=actor, until=until)
    orders.extend_order(order, until=until, actor=actor, force=True)
    assert order.status == N


@pytest.mark.parametrize("status", [P, C])
def test_extend_refused_for_paid_or_canceled(world, actor, status):
    order = factories.order(world.event, [world.ticket], status=status)
    db.session.commit()
    refused(orders.extend_order, order, actor=actor, until=date.today() + timedelta(days=3))


# --- approve and deny -----------------------------------------------------------------------------

def test_approve_keeps_order_pending_with_new_deadline(world, actor):
    now = datetime(2026, 1, 10, 9, 0, tzinfo=timezone.utc)
    order = factories.order(world.event, [world.ticket], require_approval=True)
    orders.approve_order(order, actor=actor, now=now)
    db.session.commit()
    order = reload(order)
    assert order.status == N and order.require_approval is False
    assert order.expires == datetime(2026, 1, 24, 23, 59, 59, tzinfo=ZoneInfo("Europe/Berlin"))
    [mail] = outbox()
    assert "approved" in mail.subject and orders.order_url(order) in mail.body


def test_approve_free_order_makes_it_paid(world, actor):
    free = factories.item(world.event, "Free", "0.00")
    order = factories.order(world.event, [free], require_approval=True)
    orders.approve_order(order, actor=actor, send_email=False)
    assert order.status == P and [p.provider for p in order.payments] == ["free"]


def test_approve_refused_when_not_awaiting_approval(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    refused(orders.approve_order, order, actor=actor)


def test_deny_cancels_and_keeps_require_approval(world, actor):
    order = factories.order(world.event, [world.ticket], require_approval=True)
    orders.deny_order(order, actor=actor, comment="Business customers only.")
    db.session.commit()
    order = reload(order)
    assert order.status == C and order.require_approval is True
    [mail] = outbox()
    assert "denied" in mail.subject and "Business customers only." in mail.body


def test_deny_refused_when_not_awaiting_approval(world, actor):
    order = factories.order(world.event, [world.ticket], status=P, require_approval=False)
    db.session.commit()
    refused(orders.deny_order, order, actor=actor)


# --- delete, secrets, link ---------------------------------------------------------------------------

def test_delete_only_test_mode_orders(world, actor):
    real = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert "test-mode" in refused(orders.delete_order, real, actor=actor).message
    test = factories.order(world.event, [world.ticket], status=P, testmode=True, fees=[("payment", "1.00")])
    db.session.add(OrderRefund(order=test, local_id=1, amount=Decimal("1.00"), provider="manual"))
    db.session.commit()
    test_id = test.id
    orders.delete_order(test, actor=actor)
    db.session.commit()
    assert db.session.get(Order, test_id) is None
    assert db.session.scalars(select(OrderPosition).where(OrderPosition.order_id == test_id)).all() == []
    assert db.session.scalars(select(OrderFee).where(OrderFee.order_id == test_id)).all() == []
    assert db.session.scalar(select(LogEntry.action_type).where(LogEntry.object_type == "event")) == "order.deleted"


def test_regenerate_secrets_revokes_old_ticket_secrets(world, actor, client):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    old_link = orders.order_url(order).removeprefix("http://backoffice.test")
    old_secrets = {p.secret for p in order.all_positions}
    old_order_secret = order.secret
    secrets.regenerate_secrets(order, actor=actor)
    db.session.commit()
    order = reload(order)
    assert order.secret != old_order_secret
    assert not old_secrets & {p.secret for p in order.all_positions}
    assert set(db.session.scalars(select(RevokedSecret.secret))) == old_secrets
    assert client.get(old_link).status_code == 404
    assert client.get(orders.order_url(order).removeprefix("http://backoffice.test")).status_code == 200


def test_regenerate_secrets_keeps_a_blocked_ticket_blocked(world, actor):
    from backoffice.domain.models import BlockedSecret
    order = factories.order(world.event, [world.ticket, world.ticket])
    blocked, free = order.all_positions
    secrets.add_block(blocked, actor=actor)
    db.session.commit()
    old_blocked, old_free = blocked.secret, free.secret
    secrets.regenerate_secrets(order, actor=actor)
    db.session.commit()
    order = reload(order)
    blocked, free = order.all_positions
    assert blocked.blocked == ["admin"] and free.blocked is None
    rows = dict(db.session.execute(select(BlockedSecret.secret, BlockedSecret.blocked)
                                   .where(BlockedSecret.event_id == world.event.id)).all())
    # the new secret carries the block; the old one stays blocked and is revoked as well
    assert rows == {blocked.secret: True, old_blocked: True}
    assert set(db.session.scalars(select(RevokedSecret.secret))) == {old_blocked, old_free}
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "order.secrets_regenerated"))
    assert entry.data == {"tickets": 2, "blocked_tickets": [1]}


def test_resend_link_mails_the_order_page(world, actor):
    order = factories.order(world.event, [world.ticket], email="carla@example.org")
    orders.resend_link(order, actor=actor)
    db.session.commit()
    [mail] = outbox()
    assert mail.to == "carla@example.org" and orders.order_url(order) in mail.body


def test_resend_link_refused_without_email(world, actor):
    order = factories.order(world.event, [world.ticket], email=None)
    db.session.commit()
    assert "no email" in refused(orders.resend_link, order, actor=actor).message
    assert outbox() == []


# --- fields and invoice address ----------------------------------------------------------------------

def test_update_fields_logs_changes(world, actor):
    order = factories.order(world.event, [world.ticket])
    order_fields.update_order_fields(order, actor=actor, email="New@Example.org", phone="+49 30 1234567", locale="de",
                               comment="VIP", checkin_attention=True, checkin_text="Wheelchair",
                               custom_followup_at=date(2026, 5, 1), valid_if_pending=True)
    assert (order.email, order.phone, order.locale) == ("New@example.org", "+49301234567", "de")
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "order.changed"))
    assert entry.data["comment"] == {"old": "", "new": "VIP"}


@pytest.mark.parametrize("field,value", [("email", "not-an-email"), ("phone", "abc"), ("locale", "xx"),
                                         ("comment", "x" * 10_001), ("checkin_attention", "yes")])
def test_update_fields_refuses_bad_values(world, actor, field, value):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert refused(order_fields.update_order_fields, order, actor=actor, **{field: value}).field == field


def test_update_fields_refuses_unknown_field(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    refused(order_fields.update_order_fields, order, actor=actor, status="p")


def test_expires_as_date_means_end_of_day(world, actor):
    order = factories.order(world.event, [world.ticket])
    order_fields.update_order_fields(order, actor=actor, expires=date(2026, 7, 1))
    assert order.expires == datetime(2026, 7, 1, 23, 59, 59, tzinfo=ZoneInfo("Europe/Berlin"))


def test_set_and_remove_invoice_address(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    before = order.last_modified
    order_fields.set_invoice_address(order, actor=actor, data={
        "company": "ACME", "is_business": True, "name_parts": {"full_name": "Dana Doe"},
        "street": "Main St 1", "zipcode": "10115", "city": "Berlin", "country": "de"})
    db.session.commit()
    order = reload(order)
    assert order.invoice_address.name == "Dana Doe" and order.invoice_address.country == "DE"
    assert order.last_modified > before
    order_fields.remove_invoice_address(order, actor=actor)
    db.session.commit()
    assert reload(order).invoice_address is None
    assert actions_logged(order)[-2:] == ["order.invoice_address_changed", "order.invoice_address_removed"]


def test_business_address_needs_company(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    refused(order_fields.set_invoice_address, order, actor=actor, data={"is_business": True})


def test_allowed_actions_follow_state(world):
    assert orders.allowed_actions(factories.order(world.event, [world.ticket], require_approval=True))[:2] == [
        "approve", "deny"]
    paid = orders.allowed_actions(factories.order(world.event, [world.ticket], status=P))
    assert "mark_pending" in paid and "mark_paid" not in paid and "extend" not in paid
    canceled = orders.allowed_actions(factories.order(world.event, [world.ticket], status=C, email=None))
    assert "reactivate" in canceled and "cancel" not in canceled and "resend_link" not in canceled
    assert "delete" in orders.allowed_actions(factories.order(world.event, [world.ticket], testmode=True))


STATE_ACTIONS = {
    "mark_paid": lambda o, a: orders.mark_paid(o, actor=a, send_email=False),
    "cancel": lambda o, a: orders.cancel_order(o, actor=a, send_email=False),
    "reactivate": lambda o, a: orders.reactivate_order(o, actor=a),
    "mark_pending": lambda o, a: orders.mark_pending(o, actor=a),
    "mark_expired": lambda o, a: orders.mark_expired(o, actor=a),
    "extend": lambda o, a: orders.extend_order(o, until=date.today() + timedelta(days=30), actor=a),
    "approve": lambda o, a: orders.approve_order(o, actor=a, send_email=False),
    "deny": lambda o, a: orders.deny_order(o, actor=a, send_email=False),
    "delete": lambda o, a: orders.delete_order(o, actor=a),
}


@pytest.mark.parametrize("status,approval,testmode", [
    (N, False, False), (N, True, False), (P, False, False), (E, False, False), (C, False, False),
    (C, True, False), (N, False, True)])
def test_buttons_offered_are_exactly_the_actions_the_domain_accepts(world, actor, status, approval, testmode):
    """allowed_actions (the buttons) and the actions' own checks are two readings of one rule."""
    offered = set(orders.allowed_actions(
        factories.order(world.event, [world.ticket], status=status, require_approval=approval, testmode=testmode)))
    db.session.commit()
    for name, run in STATE_ACTIONS.items():
        order = factories.order(world.event, [world.ticket], status=status, require_approval=approval,
                                testmode=testmode)
        db.session.commit()
        try:
            run(order, actor)
            accepted = True
        except Invalid:
            accepted = False
        db.session.rollback()
        assert accepted == (name in offered), f"{name} on {status}/approval={approval}/testmode={testmode}"
