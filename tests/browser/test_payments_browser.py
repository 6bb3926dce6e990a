"""Payments and refunds in a real browser: cancel a paid order and give the money back in two
clicks; record a partial payment, then the rest."""
from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from backoffice.domain import orders
from backoffice.domain.models import Order, OrderPayment, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login


def fresh(order_id: int) -> Order:
    db.session.rollback()  # a new snapshot: the server committed in its own transaction
    return db.session.get(Order, order_id)


def test_cancel_a_paid_order_then_refund_the_amount_due_in_two_clicks(page, live_server, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID, paid=False)
    db.session.add_all([
        OrderPayment(order=order, local_id=1, state="confirmed", amount=Decimal("60.00"), provider="banktransfer"),
        OrderPayment(order=order, local_id=2, state="confirmed", amount=Decimal("40.00"), provider="boxoffice")])
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")
    page.get_by_text("More actions").click()
    page.get_by_text("Cancel order…").click()
    page.get_by_role("button", name="Cancel order").click()
    page.locator("#action-message").get_by_text(f"Order {code} canceled").wait_for()

    offer = page.locator("#refund-due")
    expect(offer).to_contain_text("€100.00 is due for refund.")
    offer.locator("summary", has_text="Refund €100.00").click()  # 1: opens the confirmation
    expect(offer.locator("#refund-due-consequences")).to_contain_text(
        "€40.00 on payment #2 (Box office), €60.00 on payment #1 (Bank transfer).")
    page.wait_for_function("document.activeElement && document.activeElement.textContent === 'Not now'")
    offer.get_by_role("button", name="Refund €100.00").click()  # 2: gives it back
    page.locator("#payments-message").get_by_text(
        "€100.00 refunded: €40.00 on payment #2, €60.00 on payment #1.").wait_for()
    expect(page.locator("#refund-due")).to_have_count(0)
    # the totals above were refreshed with it
    expect(page.locator("[data-refunded]")).to_have_attribute("data-refunded", "100.00")
    expect(page.locator("[data-open]")).to_have_attribute("data-open", "0.00")
    expect(page.locator("#action-message")).to_have_count(0)  # one message per action
    order = fresh(order_id)
    assert [(r.payment.local_id, r.amount, r.state) for r in order.refunds] == [
        (2, Decimal("40.00"), "done"), (1, Decimal("60.00"), "done")]
    assert orders.totals(order).open == 0
    assert page.console_errors == []


def test_record_a_partial_payment_then_the_rest(page, live_server, world):
    order = factories.order(world.event, [world.ticket], email="anna@example.org")  # 50.00, pending
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")

    page.get_by_text("Record a payment").click()
    amount = page.get_by_label("Payment amount (EUR)")
    expect(amount).to_have_value("50.00")  # the open amount
    amount.fill("20")
    page.get_by_label("Payment provider").select_option(label="Bank transfer")
    page.get_by_label("Information (e.g. bank reference)").fill("Transfer 1 of 2")
    page.get_by_role("button", name="Record payment").click()
    page.locator("#payments-message").get_by_text("Payment #1 of €20.00 recorded as confirmed.").wait_for()
    expect(page.locator("[data-open]")).to_have_attribute("data-open", "30.00")
    assert fresh(order_id).status == OrderStatus.PENDING

    page.get_by_text("Record a payment").click()
    expect(page.get_by_label("Payment amount (EUR)")).to_have_value("30.00")  # the rest
    page.get_by_label("Send a payment confirmation if the order becomes paid").check()
    page.get_by_role("button", name="Record payment").click()
    page.locator("#payments-message").get_by_text(f"Payment #2 of €30.00 recorded as confirmed; order {code} is paid "
                                                  "now — email sent to anna@example.org.").wait_for()
    expect(page.locator("[data-open]")).to_have_attribute("data-open", "0.00")
    expect(page.locator("#order-summary")).to_contain_text("paid")
    order = fresh(order_id)
    assert order.status == OrderStatus.PAID
    assert [(p.local_id, p.amount, p.provider) for p in order.payments] == [
        (1, Decimal("20.00"), "banktransfer"), (2, Decimal("30.00"), "manual")]
    assert page.console_errors == []
