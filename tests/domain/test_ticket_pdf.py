"""Ticket PDFs and who may download them: the text on each page, the QR code read back to the
ticket's secret, and the download rules of seed 003 for customers and staff."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pypdf
import pytest
import zxingcpp

from backoffice.domain import ticket_pdf, tickets
from backoffice.domain.errors import Forbidden, NotFound
from backoffice.domain.models import OrderStatus
from backoffice.extensions import db
from tests import factories

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED


def pages(data: bytes) -> list[pypdf.PageObject]:
    assert data.startswith(b"%PDF-")
    return list(pypdf.PdfReader(io.BytesIO(data)).pages)


def qr_text(page: pypdf.PageObject) -> str:
    images = list(page.images)
    assert len(images) == 1
    found = zxingcpp.read_barcodes(images[0].image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def name(position, full_name: str) -> None:
    position.attendee_name_parts = {"_scheme": "full", "full_name": full_name}
    position.attendee_name_cached = full_name


def test_ticket_page_shows_event_attendee_order_and_the_secret_as_qr(world):
    position = factories.order(world.event, [world.ticket], status=P).all_positions[0]
    name(position, "Zeynep Öztürk")
    world.event.location = "Kraków, Hala Główna"
    db.session.flush()
    [page] = pages(ticket_pdf.render_position(position))
    text = page.extract_text()
    for expected in ("Conference", "Zeynep Öztürk", position.order.code, "Regular ticket", "€50.00",
                     "Kraków, Hala Główna", "Demo Organizer"):
        assert expected in text
    assert qr_text(page) == position.secret


def test_order_pdf_has_one_page_per_ticket_each_with_its_own_secret(world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    name(order.all_positions[0], "Łukasz Żółć")
    name(order.all_positions[1], "Ana Muñoz")
    db.session.flush()
    result = pages(ticket_pdf.render_order(order, tickets.ensure_order_downloadable(order)))
    assert len(result) == 2
    for page, position in zip(result, order.all_positions):
        assert position.attendee_name in page.extract_text()
        assert qr_text(page) == position.secret


def test_subevent_date_variation_and_seat_are_printed_in_the_event_time_zone(world):
    variant = factories.item(world.event, "Workshop", "30.00", variations=[("Morning", "35.00")])
    date = factories.subevent(world.event, "Day 2")
    date.date_from = datetime(2026, 7, 1, 7, 30, tzinfo=timezone.utc)  # 09:30 in Berlin (summer time)
    date.date_to = datetime(2026, 7, 1, 10, 0, tzinfo=timezone.utc)
    seat = factories.seat(world.event, "B7", subevent=date)
    position = factories.order(world.event, [(variant, variant.variations[0])], status=P, subevent=date,
                               seats=[seat]).all_positions[0]
    text = pages(ticket_pdf.render_position(position))[0].extract_text()
    assert "Day 2" in text and "01 July 2026, 09:30" in text and "Europe/Berlin" in text
    assert "Workshop – Morning" in text and "B7" in text and "€35.00" in text


def test_filename_is_plain_ascii(world):
    order = factories.order(world.event, [world.ticket])
    assert ticket_pdf.filename(order) == f"conf-{order.code}.pdf"
    assert ticket_pdf.filename(order, order.all_positions[0]) == f"conf-{order.code}-1.pdf"


# --- the rules -------------------------------------------------------------------------------------------

def test_only_the_pdf_output_exists():
    assert tickets.ensure_output("pdf") == "pdf"
    for output in ("passbook", "PDF", "", "x" * 10_000):
        with pytest.raises(NotFound, match="no ticket output"):
            tickets.ensure_output(output)


def test_paid_order_can_be_downloaded_pending_only_when_the_event_allows(world):
    paid = factories.order(world.event, [world.ticket], status=P)
    pending = factories.order(world.event, [world.ticket], status=N)
    assert tickets.order_refusal(paid) is None
    assert "not paid yet" in tickets.order_refusal(pending)
    world.event.ticket_download_pending = True
    assert tickets.order_refusal(pending) is None
    pending.require_approval = True
    assert "approval" in tickets.order_refusal(pending)


def test_downloads_switched_off_refuse_customers_but_not_staff(world):
    order = factories.order(world.event, [world.ticket], status=P)
    world.event.ticket_download = False
    with pytest.raises(Forbidden, match="cannot be downloaded yet") as refused:
        tickets.ensure_order_downloadable(order)
    assert refused.value.status == 403
    assert tickets.ensure_order_downloadable(order, staff=True) == order.all_positions


@pytest.mark.parametrize("status, phrase", [(E, "expired"), (C, "canceled")])
def test_expired_and_canceled_orders_are_refused(world, status, phrase):
    order = factories.order(world.event, [world.ticket], status=status)
    with pytest.raises(Forbidden, match=phrase):
        tickets.ensure_order_downloadable(order)
    if status == C:  # not even staff print tickets of a canceled order
        with pytest.raises(Forbidden, match="no longer valid"):
            tickets.ensure_order_downloadable(order, staff=True)
    else:
        assert tickets.ensure_order_downloadable(order, staff=True)


def test_addons_non_admission_and_canceled_tickets_have_no_ticket(world):
    parking = factories.item(world.event, "Parking", "10.00", admission=False)
    shirt = factories.item(world.event, "T-shirt", "15.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, parking, shirt, world.ticket], status=P)
    ticket, park, addon, canceled = order.all_positions
    addon.addon_to = ticket
    canceled.canceled = True
    db.session.flush()
    assert tickets.downloadable_positions(order) == [ticket]
    assert tickets.downloadable_positions(order, staff=True) == [ticket]
    assert "does not admit anyone" in tickets.position_refusal(park, staff=True)
    assert "add-on to ticket 1" in tickets.position_refusal(addon, staff=True)
    assert "was canceled" in tickets.position_refusal(canceled, staff=True)


def test_order_with_only_non_admission_products_names_the_reason(world):
    parking = factories.item(world.event, "Parking", "10.00", admission=False)
    order = factories.order(world.event, [parking], status=P)
    with pytest.raises(Forbidden, match="has no ticket to download. Ticket 1 \\(Parking\\) does not admit"):
        tickets.ensure_order_downloadable(order)


def test_blocked_ticket_is_refused_to_customers_but_staff_may_print_it(world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    order.all_positions[0].blocked = ["admin"]
    db.session.flush()
    assert "blocked" in tickets.position_refusal(order.all_positions[0])
    assert tickets.downloadable_positions(order) == [order.all_positions[1]]
    assert tickets.downloadable(order.all_positions[0], staff=True)


def test_without_a_unicode_font_names_degrade_instead_of_failing(world, monkeypatch):
    from backoffice.domain import pdf_fonts
    assert pdf_fonts.printable("Łukasz Öztürk", pdf_fonts.FALLBACK) == "?ukasz Öztürk"
    assert pdf_fonts.printable("Łukasz", pdf_fonts.FAMILY) == "Łukasz"
    monkeypatch.setattr(pdf_fonts, "font_files", lambda: None)
    position = factories.order(world.event, [world.ticket], status=P).all_positions[0]
    name(position, "Łukasz Öztürk")
    [page] = pages(ticket_pdf.render_position(position))
    assert "?ukasz Öztürk" in page.extract_text() and qr_text(page) == position.secret
