"""Tickets as PDFs with a real mouse: staff download an order's tickets from the order page and
send one ticket to its attendee; the customer downloads theirs from their order page."""
from __future__ import annotations

import io
from pathlib import Path

import pypdf
import zxingcpp
from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain.models import OrderStatus, OutboxEmail
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login


def mouse_click(page, locator) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def qr_codes(path: str) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(Path(path).read_bytes()))
    return [zxingcpp.read_barcodes(list(p.images)[0].image)[0].text for p in reader.pages]


def test_staff_print_the_tickets_and_send_one_to_its_attendee(page, live_server, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    order.all_positions[1].attendee_email = "guest@example.org"
    code, secrets = order.code, [p.secret for p in order.all_positions]
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")

    with page.expect_download() as download:
        mouse_click(page, page.get_by_role("link", name="Download tickets (PDF)"))
    assert download.value.suggested_filename == f"conf-{code}.pdf"
    assert qr_codes(download.value.path()) == secrets

    row = page.locator("#position-2")
    mouse_click(page, row.get_by_label("Actions for ticket 2"))
    mouse_click(page, row.get_by_role("button", name="Send ticket to guest@example.org"))
    expect(page.locator("#position-message")).to_contain_text("Ticket 2 sent to its attendee, guest@example.org.")
    expect(page.locator("#object-mails")).to_contain_text("Your ticket for Conference")
    db.session.rollback()
    assert db.session.scalars(select(OutboxEmail.to)).all() == ["guest@example.org"]
    assert page.console_errors == []


def test_customer_downloads_one_ticket_from_their_order_page(page, live_server, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    url, secret = f"{live_server}/demo/conf/order/{order.code}/{order.secret}/", order.all_positions[1].secret
    db.session.commit()
    page.goto(url)
    with page.expect_download() as download:
        mouse_click(page, page.locator("#ticket-download-2"))
    assert qr_codes(download.value.path()) == [secret]
