"""Taking an order at the box office with a real mouse: two tickets, paid now, the order page with
both tickets, and their PDF printed from there."""
from __future__ import annotations

from playwright.sync_api import expect

from backoffice.domain.models import Order
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot
from tests.browser.test_ticket_downloads_browser import mouse_click, qr_codes


def test_box_office_order_for_two_tickets_paid_now(page, live_server, world):
    ticket_id = world.ticket.id
    cora = factories.customer(world.organizer, email="cora@example.org", name="Cora Customer")
    cora_id, identifier = cora.id, cora.identifier
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/")
    page.get_by_role("link", name="New order").click()
    expect(page.get_by_role("heading", name="New order · Conference")).to_be_visible()
    expect(page.locator(f"#line-{ticket_id}")).to_contain_text("100 left")

    quantity = page.locator(f"#qty_{ticket_id}")
    quantity.click()
    quantity.fill("2")
    quantity.press("Tab")  # the change re-renders the attendee part: one block per ticket
    expect(page.locator(".ticket-slot")).to_have_count(2)
    page.locator(f"#t{ticket_id}_1-name_full_name").click()
    page.locator(f"#t{ticket_id}_1-name_full_name").fill("Ada Lovelace")
    page.locator(f"#t{ticket_id}_2-name_full_name").click()
    page.locator(f"#t{ticket_id}_2-name_full_name").fill("Grace Hopper")
    page.get_by_label("Email", exact=True).fill("boxoffice@example.org")
    page.get_by_label("Find a customer").fill("cora")
    page.get_by_label(f"Cora Customer · cora@example.org · {identifier}").click()
    page.get_by_label("Paid now").click()
    page.get_by_label("Paid through").select_option("boxoffice")
    screenshot(page, "order-new")
    page.get_by_role("button", name="Create order").click()

    page.wait_for_url(lambda url: "/orders/new" not in url)
    db.session.rollback()  # a new snapshot: the server committed in its own transaction
    order = db.session.query(Order).one()
    assert page.url.endswith(f"/demo/events/conf/orders/{order.code}/")
    expect(page.locator("#messages")).to_contain_text(
        f"Order {order.code} created: 2 tickets, €100.00, paid (Box office)")
    expect(page.locator("#position-1")).to_contain_text("Ada Lovelace")
    expect(page.locator("#position-2")).to_contain_text("Grace Hopper")
    assert order.status == "p" and [p.provider for p in order.payments] == ["boxoffice"]
    assert order.customer_id == cora_id

    # and print them: one page per ticket, each QR code holding that ticket's secret
    with page.expect_download() as download:
        mouse_click(page, page.get_by_role("link", name="Download tickets (PDF)"))
    assert qr_codes(download.value.path()) == [p.secret for p in order.all_positions]
    assert page.console_errors == []


def test_sold_out_refusal_keeps_the_form(page, live_server, world):
    world.quota.size = 1
    db.session.commit()
    ticket_id = world.ticket.id
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/new")
    quantity = page.locator(f"#qty_{ticket_id}")
    quantity.click()
    quantity.fill("2")
    quantity.press("Tab")
    expect(page.locator(".ticket-slot")).to_have_count(2)
    page.locator(f"#t{ticket_id}_1-name_full_name").fill("Ada Lovelace")
    page.get_by_role("button", name="Create order").click()
    expect(page.locator("#error-summary")).to_contain_text("Only 1 ticket left in quota 'Regular', 2 needed.")
    expect(page.locator(f"#t{ticket_id}_1-name_full_name")).to_have_value("Ada Lovelace")
    expect(page.locator(f"#qty_{ticket_id}")).to_have_value("2")
    db.session.rollback()
    assert db.session.query(Order).count() == 0
