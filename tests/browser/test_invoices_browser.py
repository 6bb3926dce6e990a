"""Invoices in a real browser: create one, cancel and reissue it after a ticket was canceled,
and download a PDF by clicking its link."""
from __future__ import annotations

import io

from playwright.sync_api import expect
from pypdf import PdfReader

from backoffice.domain.models import Order, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def fresh(order_id: int) -> Order:
    db.session.rollback()  # a new snapshot: the server committed in its own transaction
    return db.session.get(Order, order_id)


def test_create_reissue_and_download_an_invoice(page, live_server, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")
    region = page.locator("#order-invoices")
    expect(region).to_contain_text("No invoices.")
    region.get_by_role("button", name="Create invoice").click()
    page.locator("#invoices-message").get_by_text(f"Invoice CONF-00001 created for order {code}.").wait_for()
    expect(region.locator("#invoice-table tbody tr")).to_have_count(1)
    expect(region).to_contain_text("€100.00")

    region.locator("summary", has_text="Cancel and reissue…").click()
    page.wait_for_function("document.activeElement && document.activeElement.textContent === 'Not now'")
    region.get_by_role("button", name="Cancel CONF-00001 and reissue").click()
    page.locator("#invoices-message").get_by_text(
        "Invoice CONF-00001 canceled by CONF-00002; new invoice CONF-00003 issued.").wait_for()
    expect(region.locator("#invoice-table tbody tr")).to_have_count(3)
    expect(region).to_contain_text("Cancellation of CONF-00001")
    expect(region).to_contain_text("-€100.00")
    screenshot(page, "order-invoices")

    new = fresh(order_id).invoices[-1]
    with page.expect_download() as info:
        region.locator(f"#invoice-download-{new.id}").click()
    download = info.value
    assert download.suggested_filename == "CONF-00003.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(open(download.path(), "rb").read())).pages)
    assert "Invoice CONF-00003" in text and code in text
    assert page.console_errors == []
