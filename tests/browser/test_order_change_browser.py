"""Changing an order in a real browser: change a ticket's product, see the difference to pay in
the preview before anything is saved, then save."""
from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from backoffice.domain.models import Order, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def fresh(order_id: int) -> Order:
    db.session.rollback()  # a new snapshot: the server committed in its own transaction
    return db.session.get(Order, order_id)


def test_change_a_tickets_product_preview_the_difference_then_save(page, live_server, world):
    vip = factories.item(world.event, "VIP ticket", "80.00")
    factories.quota(world.event, [vip], 10, name="VIP")
    order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)  # 100 paid
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")
    page.get_by_role("link", name="Change order…").click()
    page.wait_for_url(f"**/orders/{code}/change")

    page.get_by_label("Product of ticket 2").select_option(label="VIP ticket (€80.00)")
    with page.expect_response(lambda r: r.url.endswith("/change/preview")) as sent:
        page.get_by_role("button", name="Preview").click()
    assert sent.value.status == 200
    preview = page.locator("#change-preview-result")
    expect(preview).to_contain_text("nothing is saved yet")
    expect(page.locator("#preview-total")).to_contain_text("€100.00 → €130.00 (+€30.00)")
    expect(page.locator("#preview-open")).to_have_text("€30.00")
    expect(page.locator("#preview-status")).to_have_text("paid → pending")
    screenshot(page, "order-change-preview")
    assert fresh(order_id).total == Decimal("100.00")  # the preview wrote nothing

    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/orders/{code}/")
    expect(page.locator("#messages")).to_contain_text(f"Order {code} changed: total €130.00, €30.00 to pay.")
    expect(page.locator("[data-open]")).to_have_attribute("data-open", "30.00")
    expect(page.locator("#position-2")).to_contain_text("VIP ticket")
    changed = fresh(order_id)
    assert (changed.total, changed.status) == (Decimal("130.00"), OrderStatus.PENDING)
    assert [p.item.name for p in changed.positions] == ["Regular ticket", "VIP ticket"]
    assert page.console_errors == []


def test_a_refused_save_keeps_the_form_and_names_the_ticket(page, live_server, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/change")
    page.get_by_label("New price of ticket 1").fill("12.345")
    page.get_by_label("Split off ticket 2").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#change-error")).to_contain_text("Ticket 1: the price can have at most two decimal places.")
    expect(page.get_by_label("New price of ticket 1")).to_have_value("12.345")
    expect(page.get_by_label("Split off ticket 2")).to_be_checked()
    assert fresh(order_id).total == Decimal("100.00")
    # the refused form comes back with status 422, which Chromium reports on the console
    assert [e for e in page.console_errors if "status of 422" not in e] == []
