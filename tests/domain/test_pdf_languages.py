"""Ticket and invoice PDFs speak the order's language, as its mails do: a German order's documents
are in German (words, dates, amounts), an English order's stay English."""
from __future__ import annotations

import io
from datetime import datetime, timezone
from decimal import Decimal

from pypdf import PdfReader

from backoffice.domain import invoice_pdf, invoices, ticket_pdf
from backoffice.domain.audit import Actor
from backoffice.domain.models import InvoiceAddress, OrderStatus, TaxRule
from backoffice.extensions import db
from tests import factories


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def ticket_text(world, locale: str) -> str:
    world.event.date_from = datetime(2026, 3, 2, 18, 0, tzinfo=timezone.utc)  # a Monday, 19:00 in Berlin
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID, locale=locale)
    db.session.commit()
    return pdf_text(ticket_pdf.render_position(order.all_positions[0]))


def test_a_german_orders_ticket_is_in_german(world):
    text = ticket_text(world, "de")
    for expected in ("Teilnehmer", "Preis", "Bestellung", "50,00 €", "Montag, 2. März 2026, 19:00", "Ticket 1"):
        assert expected in text, expected
    assert "Price" not in text and "€50.00" not in text


def test_an_english_orders_ticket_stays_english(world):
    text = ticket_text(world, "en")
    for expected in ("Attendee", "Price", "Order", "€50.00", "Monday, 02 March 2026, 19:00"):
        assert expected in text, expected
    assert "Teilnehmer" not in text


def invoice_text(world, locale: str) -> str:
    vat = TaxRule(event_id=world.event.id, name="VAT", rate=Decimal("19.00"))
    db.session.add(vat)
    db.session.flush()
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID, locale=locale)
    position = order.all_positions[0]
    position.tax_rule, position.tax_rate, position.tax_value = vat, Decimal("19.00"), Decimal("7.98")
    db.session.commit()
    invoice = invoices.create_invoice(order, actor=Actor(user=world.admin),
                                      now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
    db.session.commit()
    return pdf_text(invoice_pdf.render(invoice))


def test_a_german_orders_invoice_is_in_german(world):
    text = invoice_text(world, "de")
    for expected in ("Rechnung CONF-00001", "Datum", "24.11.2026", "Steuersatz", "Netto", "Brutto", "Gesamt",
                     "50,00 €", "42,02 €"):
        assert expected in text, expected
    assert "Gross" not in text and "2026-11-24" not in text


def test_an_english_orders_invoice_stays_english(world):
    text = invoice_text(world, "en")
    for expected in ("Invoice CONF-00001", "Date", "2026-11-24", "Tax rate", "Net", "Gross", "Total", "€50.00"):
        assert expected in text, expected
    assert "Rechnung" not in text


def test_an_order_in_a_language_we_lack_gets_the_events(world):
    world.event.locale = "de"
    text = ticket_text(world, "fr")
    assert "Teilnehmer" in text


def issued_invoice(world, locale: str):
    world.organizer.invoice_issuer_vat_id = "DE999999999"
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID, locale=locale,
                            fees=[("payment", "2.00")])
    order.all_positions[0].attendee_name_parts = {"_scheme": "full", "full_name": "Jürgen Öztürk"}
    order.all_positions[0].attendee_name_cached = "Jürgen Öztürk"
    db.session.add(InvoiceAddress(order=order, name_parts={"_scheme": "full"}, name_cached="Jürgen Öztürk",
                                  country="AT", vat_id="ATU12345678", internal_reference="PO-7"))
    db.session.commit()
    return invoices.create_invoice(order, actor=Actor(user=world.admin),
                                   now=datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))


def test_a_german_orders_invoice_lines_and_addresses_are_issued_in_german(world):
    invoice = issued_invoice(world, "de")
    assert "USt-IdNr.: DE999999999" in invoice.issuer
    assert "Österreich" in invoice.recipient and "Ihre Referenz: PO-7" in invoice.recipient
    assert "Teilnehmer: Jürgen Öztürk" in invoice.lines[0].description
    assert invoice.lines[1].description == "Zahlungsgebühr"


def test_an_english_orders_invoice_lines_stay_english(world):
    invoice = issued_invoice(world, "en")
    assert "VAT ID: DE999999999" in invoice.issuer
    assert "Austria" in invoice.recipient and "Your reference: PO-7" in invoice.recipient
    assert "Attendee: Jürgen Öztürk" in invoice.lines[0].description
    assert invoice.lines[1].description == "Payment fee"
