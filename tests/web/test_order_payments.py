"""Payments and refunds on the order page: htmx fragments, refusals next to their buttons, plain
posts, permissions, hostile ids and two staff refunding the same payment at once."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain import orders
from backoffice.domain.models import LogEntry, Order, OrderPayment, OrderRefund, OrderStatus, OutboxEmail
from backoffice.extensions import db
from tests import factories
from tests.web.test_orders_concurrency import at_once, two_staff  # noqa: F401  (fixture)

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED
D = Decimal


def url(order: Order, action: str = "") -> str:
    return f"/demo/events/conf/orders/{order.code}/{action}"


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def seen(order: Order) -> str:
    return fresh(order).last_modified.isoformat()


def fingerprint(order: Order) -> tuple:
    db.session.rollback()
    o = fresh(order)
    return (o.status, o.last_modified, [(p.state, p.amount) for p in o.payments],
            [(r.state, r.amount) for r in o.refunds], db.session.scalar(select(func.count(LogEntry.id))),
            db.session.scalar(select(func.count(OutboxEmail.id))))


def pay(order, amount, state="created", provider="banktransfer"):
    db.session.add(OrderPayment(order=order, local_id=len(order.payments) + 1, state=state, amount=D(amount),
                                provider=provider))
    db.session.flush()


def region(html: str, element_id: str) -> str:
    """The element with `element_id`, up to the end of the (first) form in it."""
    start = html.index(f'id="{element_id}"')
    end = html.find("</form>", start)
    return html[start:end if end > 0 else start + 6000]


# --- recording payments ----------------------------------------------------------------------------

def test_record_a_partial_payment_then_the_rest(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    response = staff.post(url(order, "payments/"), {"seen": seen(order), "amount": "40", "provider": "banktransfer",
                                                    "state": "confirmed", "info": "Ref 1"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="order-payments"')  # the region that changed
    assert "Payment #1 of €40.00 recorded as confirmed." in html
    # the totals above are refreshed out of band
    assert 'id="order-summary"' in html and 'data-paid="40.00"' in html and 'data-open="60.00"' in html
    assert fresh(order).status == N
    # the form offers the rest
    assert 'name="amount" inputmode="decimal" required value="60.00"' in html
    response = staff.post(url(order, "payments/"), {"seen": seen(order), "amount": "60.00", "provider": "manual",
                                                    "state": "confirmed", "send_email": "on"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "order " + order.code + " is paid now — email sent to buyer@example.org" in html
    assert fresh(order).status == P and 'data-open="0.00"' in html
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 1


@pytest.mark.parametrize("field, value, text", [
    ("amount", "1e999", "The amount must be an amount such as 10.00."),
    ("amount", "NaN", "The amount must be an amount such as 10.00."),
    ("amount", "-5", "The amount cannot be negative."),
    ("amount", "0.001", "at most two decimal places"),
    ("amount", "9" * 30, "too large"),
    ("provider", "paypal", "not a payment provider"),
    ("payment_date", "9999-12-31", "out of range"),
    ("state", "refunded", "can be recorded as created, pending or confirmed"),
    ("info", "x" * 10_001, "at most 10,000 characters"),
])
def test_refused_payment_shows_why_next_to_the_form_and_changes_nothing(staff, world, field, value, text):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    before = fingerprint(order)
    data = {"seen": seen(order), "amount": "10", "provider": "manual", "state": "confirmed", field: value}
    response = staff.post(url(order, "payments/"), data, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    form = region(html, "form-payment_create")
    assert text in form and "action-error" in form
    assert '<details open id="record-payment">' in html  # the form stays open with the message
    assert fingerprint(order) == before


def test_plain_post_redirects_with_a_message(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    response = staff.post(url(order, "payments/"), {"seen": seen(order), "amount": "50", "provider": "manual"})
    assert response.status_code == 303
    page = staff.get(url(order)).get_data(as_text=True)
    assert "Payment #1 of €50.00 recorded as confirmed" in page and fresh(order).status == P


# --- confirm, cancel, refund --------------------------------------------------------------------------

def test_confirm_and_cancel_buttons_of_open_payments(staff, world):
    order = factories.order(world.event, [world.ticket])
    pay(order, "50.00", "pending")
    pay(order, "10.00", "created")
    db.session.commit()
    page = staff.get(url(order)).get_data(as_text=True)
    assert "Confirm payment #1" in page and "Cancel payment #2" in page
    response = staff.post(url(order, "payments/2/cancel"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 200 and "Payment #2 canceled." in response.get_data(as_text=True)
    response = staff.post(url(order, "payments/1/confirm"), {"seen": seen(order), "send_email": "on"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Payment #1 of €50.00 confirmed; order" in html
    order = fresh(order)
    assert [p.state for p in order.payments] == ["confirmed", "canceled"] and order.status == P
    # a confirmed payment offers a refund instead
    assert "Refund on payment #1" in html and "Confirm payment #1" not in html


def test_confirm_refused_when_no_longer_open_says_so_in_the_region(staff, world):
    order = factories.order(world.event, [world.ticket])
    pay(order, "50.00", "pending")
    db.session.commit()
    page_seen = seen(order)
    assert staff.post(url(order, "payments/1/cancel"), {"seen": page_seen}, htmx=True).status_code == 200
    before = fingerprint(order)
    response = staff.post(url(order, "payments/1/confirm"), {"seen": seen(order)}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Payment #1 cannot be confirmed: it is canceled." in region(html, "payments-error")
    # the same click from the old page: the stale check answers first
    response = staff.post(url(order, "payments/1/confirm"), {"seen": page_seen}, htmx=True)
    assert response.status_code == 422 and "changed by someone else" in response.get_data(as_text=True)
    assert fingerprint(order) == before


def test_refund_too_high_is_refused_next_to_its_form(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    before = fingerprint(order)
    response = staff.post(url(order, "payments/1/refund"), {"seen": seen(order), "amount": "50.01"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    form = region(html, "form-payment_refund-1")
    assert "At most 50.00 can be refunded on payment #1" in form and 'value="50.01"' in form
    assert fingerprint(order) == before


def test_refund_part_and_cancel_the_order(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    response = staff.post(url(order, "payments/1/refund"),
                          {"seen": seen(order), "amount": "30", "mark_canceled": "on", "comment": "Sick"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "€30.00 refunded on payment #1 and order canceled." in html
    order = fresh(order)
    assert order.status == C
    assert [(r.state, r.source, r.amount) for r in order.refunds] == [("done", "admin", D("30.00"))]
    # the rest is due for refund, and offered
    assert orders.totals(order).to_refund == D("20.00") and "Refund €20.00" in html
    history = html[html.index('id="history"'):]
    assert "Payment refunded" in history and "refund number:</span> 1" in history and "amount:</span> €30.00" in history


@pytest.mark.parametrize("local_id", ["9" * 30, "2", "0", "-1", "abc", "1.5"])
def test_unknown_payment_or_refund_is_404(staff, world, local_id):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    paths = [f"payments/{local_id}/{action}" for action in ("confirm", "cancel", "refund")]
    paths += [f"refunds/{local_id}/{action}" for action in ("done", "process", "cancel")]
    for path in paths:
        assert staff.post(url(order, path), {"seen": seen(order)}, htmx=True).status_code == 404, path


def test_payment_of_another_event_is_404(staff, world):
    other_event = factories.event(world.organizer, slug="other")
    order = factories.order(other_event, [factories.item(other_event)], status=P)
    db.session.commit()
    before = fingerprint(order)
    response = staff.post(f"/demo/events/conf/orders/{order.code}/payments/1/refund", {"amount": "1"}, htmx=True)
    assert response.status_code == 404
    assert fingerprint(order) == before


def test_view_only_staff_sees_no_payment_actions_and_gets_403(browser, world):
    order = factories.order(world.event, [world.ticket], status=P)
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    page = browser.get(url(order)).get_data(as_text=True)
    assert "Record a payment" not in page and "Refund on payment" not in page
    for action in ("payments/", "payments/1/refund", "refunds/", "refunds/due"):
        assert browser.post(url(order, action), {"seen": seen(order), "amount": "1"}, htmx=True).status_code == 403


# --- refunds ----------------------------------------------------------------------------------------

def test_create_mark_done_process_and_cancel_refunds(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    response = staff.post(url(order, "refunds/"), {"seen": seen(order), "amount": "10", "payment": "1",
                                                   "state": "created", "source": "admin", "comment": "Part"}, htmx=True)
    assert response.status_code == 200 and "Refund #1 of €10.00 created (created)." in response.get_data(as_text=True)
    response = staff.post(url(order, "refunds/1/done"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 200 and "Refund #1 marked as done." in response.get_data(as_text=True)
    staff.post(url(order, "refunds/"), {"seen": seen(order), "amount": "40", "payment": "1", "state": "external",
                                        "source": "external"}, htmx=True)
    staff.post(url(order, "refunds/"), {"seen": seen(order), "amount": "5", "provider": "manual",
                                        "state": "transit"}, htmx=True)
    assert [r.state for r in fresh(order).refunds] == ["done", "external", "transit"]
    response = staff.post(url(order, "refunds/3/cancel"), {"seen": seen(order)}, htmx=True)
    assert response.status_code == 200 and "Refund #3 canceled." in response.get_data(as_text=True)
    response = staff.post(url(order, "refunds/2/process"), {"seen": seen(order), "mark_canceled": "on"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f"External refund #2 processed: order {order.code} is canceled." in html
    order = fresh(order)
    assert [r.state for r in order.refunds] == ["done", "done", "canceled"] and order.status == C
    assert orders.totals(order).open == 0
    actions = list(db.session.scalars(select(LogEntry.action_type).where(LogEntry.object_id == order.id,
                                                                         LogEntry.object_type == "order")))
    assert actions.count("order.refund_created") == 3 and "order.refund_processed" in actions


def test_create_refund_too_high_is_refused_next_to_its_form(staff, world):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    before = fingerprint(order)
    response = staff.post(url(order, "refunds/"), {"seen": seen(order), "amount": "60", "payment": "1",
                                                   "order_effect": "cancel"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "more than the 50.00 still refundable on payment #1" in region(html, "form-refund_create")
    assert fingerprint(order) == before


@pytest.mark.parametrize("effect", ["delete", "Cancel", " keep x", "<script>x</script>"])
def test_create_refund_with_an_unknown_order_effect_is_refused_not_read_as_keep(staff, world, effect):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    before = fingerprint(order)
    response = staff.post(url(order, "refunds/"), {"seen": seen(order), "amount": "10", "payment": "1",
                                                   "order_effect": effect}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose what happens to the order" in region(html, "form-refund_create")
    assert "<script>x</script>" not in html
    assert fingerprint(order) == before


# --- the amount due for refund ----------------------------------------------------------------------

def test_canceled_paid_order_offers_refund_of_the_amount_due_split_over_payments(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P, paid=False)
    pay(order, "70.00", "confirmed")
    pay(order, "30.00", "confirmed", provider="boxoffice")
    db.session.commit()
    staff.post(url(order, "cancel"), {"seen": seen(order)}, htmx=True)
    assert fresh(order).status == C
    page = staff.get(url(order)).get_data(as_text=True)
    offer = region(page, "refund-due")
    assert "€100.00 is due for refund." in offer and "Refund €100.00" in offer
    assert "€30.00 on payment #2 (Box office), €70.00 on payment #1 (Bank transfer)." in offer
    response = staff.post(url(order, "refunds/due"), {"seen": seen(order), "expected": "100.00"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "€100.00 refunded: €30.00 on payment #2, €70.00 on payment #1." in html
    assert 'id="refund-due"' not in html and 'data-refunded="100.00"' in html and 'data-open="0.00"' in html
    assert [(r.amount, r.payment.local_id, r.state) for r in fresh(order).refunds] == [
        (D("30.00"), 2, "done"), (D("70.00"), 1, "done")]


def test_refund_due_with_a_changed_amount_does_nothing(staff, world):
    order = factories.order(world.event, [world.ticket], status=C, paid=True)
    db.session.commit()
    before = fingerprint(order)
    response = staff.post(url(order, "refunds/due"), {"seen": seen(order), "expected": "20.00"}, htmx=True)
    assert response.status_code == 422
    assert "The amount due for refund is 50.00 now, not 20.00" in region(response.get_data(as_text=True), "refund-due")
    assert fingerprint(order) == before


# --- two staff at once ------------------------------------------------------------------------------

def test_two_staff_refunding_the_same_payment_at_once(two_staff, world):  # noqa: F811
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    page_seen, path = order.last_modified.isoformat(), url(order, "payments/1/refund")
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post(path, {"seen": page_seen, "amount": "40"}),
                      lambda: ben.post(path, {"seen": page_seen, "amount": "40"}))
    assert sorted(status for status, _ in results) == [200, 422]
    loser = next(body for status, body in results if status == 422)
    assert "changed by someone else" in loser
    db.session.rollback()
    refunds = list(db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order.id)))
    assert [r.amount for r in refunds] == [D("40.00")]


def test_two_staff_without_page_state_never_exceed_the_refundable_amount(two_staff, world):  # noqa: F811
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    path = url(order, "payments/1/refund")
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post(path, {"amount": "30"}), lambda: ben.post(path, {"amount": "30"}))
    assert sorted(status for status, _ in results) == [200, 422]
    assert "At most 20.00 can be refunded" in next(body for status, body in results if status == 422)
    db.session.rollback()
    assert sum(r.amount for r in db.session.scalars(select(OrderRefund).where(OrderRefund.order_id == order.id))) == 30
