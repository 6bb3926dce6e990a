"""Writing to a buyer in real Chromium: open "Send email…" on the order page, write with
placeholders, preview, send, and find the mail in the order's mails, then write to a customer."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain.models import OutboxEmail
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def test_write_preview_and_send_from_the_order_page(page, live_server, world):
    order = factories.order(world.event, [world.ticket], email="anna@example.org")
    code = order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")

    box = page.locator("#compose-order")
    box.get_by_text("Send email…").click()
    box.get_by_label("Subject").fill("Your tickets for {event}")
    box.get_by_label("Text").fill("Hello {name},\n<b>not bold</b>\nstill open: {open_amount}")
    box.get_by_role("button", name="Preview").click()
    preview = box.locator(".compose-preview")
    expect(preview.locator(".compose-preview-subject")).to_have_text("Your tickets for Conference")
    expect(preview.locator(".compose-preview-body")).to_have_text(
        "Hello Attendee 1,\n<b>not bold</b>\nstill open: €50.00")
    expect(preview.locator("b")).to_have_count(0)  # shown as text, not as HTML
    expect(preview).to_contain_text("anna@example.org")
    screenshot(page, "order-send-email")

    box.get_by_label("Subject").fill("Oops {foo}")
    box.get_by_role("button", name="Preview").click()
    expect(box.locator(".compose-preview-error")).to_contain_text("Unknown placeholder {foo}")
    box.get_by_label("Subject").fill("Your tickets for {event}")

    page.locator("#compose-order").get_by_role("button", name="Send email").click()
    expect(page.locator("#compose-message")).to_contain_text("queued for anna@example.org")
    mails = page.locator("#object-mails")
    expect(mails).to_contain_text("Your tickets for Conference")
    expect(mails).to_contain_text("anna@example.org")
    expect(page.locator("#history")).to_contain_text("Email sent")
    expect(page.locator("#compose-order-subject")).to_have_value("")  # a fresh form for the next one
    db.session.rollback()
    mail = db.session.scalars(select(OutboxEmail)).one()
    assert mail.object_type == "order" and mail.body.startswith("Hello Attendee 1,\n<b>not bold</b>")

    mails.get_by_role("link", name="Your tickets for Conference").click()
    expect(page.locator("pre.mail-body")).to_contain_text("still open: €50.00")
    # the refused preview answered 422, which the browser reports; nothing else went wrong
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_write_to_a_customer_from_the_customer_page(page, live_server, world):
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    identifier = anna.identifier
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/customers/{identifier}/")
    box = page.locator("#compose-customer")
    box.get_by_text("Send email…").click()
    box.get_by_label("Subject").fill("Hello {name}")
    box.get_by_label("Text").fill("Your customer number is {identifier}.")
    box.get_by_role("button", name="Send email").click()
    expect(page.locator("#compose-message")).to_contain_text("“Hello Anna Smith” queued for anna@example.org")
    expect(page.locator("#object-mails")).to_contain_text("Hello Anna Smith")
    expect(page.locator("#customer-history")).to_contain_text("Email sent")
    assert page.console_errors == []
