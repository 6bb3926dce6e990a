"""Invoices: created from the order as it is, numbered per event without gaps (also when ten are
created at once), never edited but canceled with a cancellation invoice that negates them, and
printed as a PDF that says all of it."""
from __future__ import annotations

import io
import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from backoffice.domain import invoice_pdf, invoices, orders, positions, tx
from backoffice.domain.audit import SYSTEM, Actor
from backoffice.domain.errors import Conflict, Invalid, NotFound
from backoffice.domain.models import (Invoice, InvoiceAddress, InvoiceLine, LogEntry, Order, OrderStatus,
                                      TaxRule)
from backoffice.extensions import db
from tests import factories

D = Decimal
N, P, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELED


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def reload(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def state() -> tuple:
    """What a refused invoice action must leave alone: every invoice, line and log entry, and when
    each order last changed."""
    db.session.expire_all()
    return (list(db.session.execute(select(Invoice.id, Invoice.number, Invoice.is_cancellation, Invoice.refers_id)
                                    .order_by(Invoice.id))),
            db.session.scalar(select(func.count(InvoiceLine.id))), db.session.scalar(select(func.count(LogEntry.id))),
            list(db.session.execute(select(Order.id, Order.last_modified).order_by(Order.id))))


def numbers(event) -> list[str]:
    return list(db.session.scalars(select(Invoice.number).where(Invoice.event_id == event.id).order_by(Invoice.id)))


def taxed_order(world, **kw) -> Order:
    """Two tickets at 50.00 with 19 % VAT and a payment fee of 2.50 with 7 %, an invoice address
    with a name no built-in PDF font can write."""
    vat = TaxRule(event_id=world.event.id, name="VAT", rate=D("19.00"))
    reduced = TaxRule(event_id=world.event.id, name="Reduced VAT", rate=D("7.00"))
    db.session.add_all([vat, reduced])
    db.session.flush()
    order = factories.order(world.event, [world.ticket, world.ticket], fees=[("payment", "2.50")], **kw)
    for p in order.all_positions:
        p.tax_rule, p.tax_rate, p.tax_value = vat, D("19.00"), D("7.98")
    fee = order.all_fees[0]
    fee.tax_rule_id, fee.tax_rate, fee.tax_value, fee.description = reduced.id, D("7.00"), D("0.16"), ""
    db.session.add(InvoiceAddress(order=order, company="Żółć & Søn GmbH", name_parts={"_scheme": "full"},
                                  name_cached="Łukasz Żółć", street="Hauptstraße 1\nHinterhaus", zipcode="10115",
                                  city="Berlin", country="DE", vat_id="DE123456789", internal_reference="PO-77"))
    db.session.commit()
    return order


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- creating ----------------------------------------------------------------------------------------

def test_invoice_keeps_lines_taxes_issuer_and_recipient_as_issued(world, actor):
    world.organizer.invoice_issuer_name = "Demo Events GmbH"
    world.organizer.invoice_issuer_address = "Musterweg 5\n12345 Musterstadt"
    world.organizer.invoice_issuer_vat_id = "DE999999999"
    order = taxed_order(world)
    before = order.last_modified
    invoice = invoices.create_invoice(order, actor=actor, now=datetime(2026, 11, 24, 23, 30, tzinfo=timezone.utc))
    db.session.commit()
    assert invoice.number == "CONF-00001" and not invoice.is_cancellation and invoice.currency == "EUR"
    assert invoice.date.isoformat() == "2026-11-25"  # the day in the event's zone (Berlin)
    assert invoice.issuer == "Demo Events GmbH\nMusterweg 5\n12345 Musterstadt\nVAT ID: DE999999999"
    assert invoice.recipient == ("Żółć & Søn GmbH\nŁukasz Żółć\nHauptstraße 1\nHinterhaus\n10115 Berlin\nGermany\n"
                                 "VAT ID: DE123456789\nYour reference: PO-77")
    rows = [(ln.position, ln.description.split("\n")[0], ln.gross_value, ln.tax_rate, ln.tax_value, ln.net_value,
             ln.tax_name) for ln in invoice.lines]
    assert rows == [(1, "Regular ticket", D("50.00"), D("19.00"), D("7.98"), D("42.02"), "VAT"),
                    (2, "Regular ticket", D("50.00"), D("19.00"), D("7.98"), D("42.02"), "VAT"),
                    (3, "Payment fee", D("2.50"), D("7.00"), D("0.16"), D("2.34"), "Reduced VAT")]
    assert "Attendee: Attendee 1" in invoice.lines[0].description
    assert invoices.totals_by_rate(invoice) == [
        invoices.TaxTotal(D("7.00"), "Reduced VAT", D("2.34"), D("0.16"), D("2.50")),
        invoices.TaxTotal(D("19.00"), "VAT", D("84.04"), D("15.96"), D("100.00"))]
    assert invoices.total(invoice) == D("102.50") == order.total
    order = reload(order)
    assert order.last_modified > before
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "order.invoice_created"))
    assert (entry.object_id, entry.user_id, entry.data) == (order.id, world.admin.id,
                                                            {"invoice": "CONF-00001", "total": "102.50"})


def test_issuer_defaults_to_the_organizer_and_recipient_to_the_email(world, actor):
    order = factories.order(world.event, [world.ticket], email="anna@example.org")
    invoice = invoices.create_invoice(order, actor=actor)
    assert invoice.issuer == "Demo Organizer"
    assert invoice.recipient == "anna@example.org"


def test_an_issued_invoice_does_not_follow_later_changes(world, actor):
    order = taxed_order(world)
    invoice = invoices.create_invoice(order, actor=actor)
    db.session.commit()
    world.organizer.name = "Renamed Organizer"
    order.invoice_address.company = "Other Ltd"
    positions.cancel_position(order.all_positions[1], actor=actor)
    db.session.commit()
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert "Demo Organizer" in invoice.issuer and "Żółć & Søn GmbH" in invoice.recipient
    assert [ln.gross_value for ln in invoice.lines] == [D("50.00"), D("50.00"), D("2.50")]


def test_canceled_tickets_and_fees_are_not_invoiced(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket], fees=[("other", "3.00"), ("payment", "1.00")])
    order.all_positions[1].canceled = True
    order.all_fees[0].canceled = True
    order.total = D("51.00")
    invoice = invoices.create_invoice(order, actor=actor)
    assert [(ln.description.split("\n")[0], ln.gross_value) for ln in invoice.lines] == [
        ("Regular ticket", D("50.00")), ("Payment fee", D("1.00"))]


# --- refusals ------------------------------------------------------------------------------------------

def _refused(call, message: str, exc=Invalid):
    db.session.commit()
    before = state()
    with pytest.raises(exc) as info:
        call()
    db.session.rollback()
    assert message in info.value.message
    assert state() == before
    return info.value


def test_refused_when_invoicing_is_off(world, actor):
    world.event.invoicing = False
    order = factories.order(world.event, [world.ticket])
    error = _refused(lambda: invoices.create_invoice(order, actor=actor), "Invoicing is turned off for Conference.")
    assert error.status == 400


def test_refused_when_the_order_already_has_an_invoice(world, actor):
    order = factories.order(world.event, [world.ticket])
    invoices.create_invoice(order, actor=actor)
    _refused(lambda: invoices.create_invoice(order, actor=actor),
             f"Order {order.code} already has invoice CONF-00001. To change it, cancel it and issue a new one.")


@pytest.mark.parametrize("kw, message", [
    (dict(status=C), "is canceled: there is nothing to invoice."),
    (dict(require_approval=True), "is awaiting approval: approve it before invoicing it."),
    (dict(items="free"), "has nothing to invoice: its total is 0.00."),
])
def test_refused_when_there_is_nothing_to_invoice(world, actor, kw, message):
    items = [factories.item(world.event, "Free", "0.00")] if kw.pop("items", None) else [world.ticket]
    order = factories.order(world.event, items, **kw)
    _refused(lambda: invoices.create_invoice(order, actor=actor), f"Order {order.code} {message}")


def test_refused_when_the_page_was_stale(world, actor):
    order = factories.order(world.event, [world.ticket])
    _refused(lambda: invoices.create_invoice(order, actor=actor, seen_last_modified="2000-01-01T00:00:00+00:00"),
             "changed by someone else", Conflict)


def test_get_invoice_finds_only_the_orders_own(world, actor):
    order = factories.order(world.event, [world.ticket])
    other = factories.order(world.event, [world.ticket])
    invoice = invoices.create_invoice(other, actor=actor)
    assert invoices.get_invoice(other, str(invoice.id)) is invoice
    for value in (invoice.id, "9" * 30, "-1", "x", "", "²"):
        with pytest.raises(NotFound):
            invoices.get_invoice(order, value)


# --- numbers -------------------------------------------------------------------------------------------

def test_numbers_run_per_event_without_gaps(world, actor):
    other_event = factories.event(world.organizer, slug="gala")
    other_ticket = factories.item(other_event, "Gala", "80.00")
    for _ in range(3):
        invoices.create_invoice(factories.order(world.event, [world.ticket]), actor=actor)
    invoices.create_invoice(factories.order(other_event, [other_ticket]), actor=actor)
    first = db.session.scalar(select(Invoice).where(Invoice.number == "CONF-00001"))
    invoices.cancel_invoice(first, actor=actor)
    invoices.create_invoice(first.order, actor=actor)
    assert numbers(world.event) == [f"CONF-{n:05d}" for n in range(1, 6)]
    assert numbers(other_event) == ["GALA-00001"]


def test_test_mode_orders_are_numbered_on_their_own(world, actor):
    real = invoices.create_invoice(factories.order(world.event, [world.ticket]), actor=actor)
    test_order = factories.order(world.event, [world.ticket], testmode=True)
    test = invoices.create_invoice(test_order, actor=actor)
    assert (real.number, test.number) == ("CONF-00001", "TEST-CONF-00001")
    orders.delete_order(test_order, actor=actor)
    db.session.commit()
    for gone in [o for o in db.session.identity_map.values() if isinstance(o, (Invoice, InvoiceLine))]:
        db.session.expunge(gone)  # as in the next request: the deleted rows' objects are gone
    assert invoices.create_invoice(factories.order(world.event, [world.ticket]), actor=actor).number == "CONF-00002"


def test_numbers_continue_the_events_earlier_numbering(world, actor):
    earlier = factories.order(world.event, [world.ticket])
    db.session.add(Invoice(event_id=world.event.id, order=earlier, number="TOUR-00041", date=earlier.datetime.date()))
    invoice = invoices.create_invoice(factories.order(world.event, [world.ticket]), actor=actor)
    assert invoice.number == "TOUR-00042"


def test_ten_invoices_created_at_once_get_numbers_one_to_ten(app, world):
    """Ten staff members invoicing ten orders of one event at the same moment, each in its own
    transaction: consecutive numbers, none twice, none skipped."""
    ids = [factories.order(world.event, [world.ticket]).id for _ in range(10)]
    db.session.commit()
    db.session.rollback()  # end this thread's read snapshot (SQLite)
    barrier = threading.Barrier(len(ids))
    results: dict[int, str] = {}
    errors: list[Exception] = []

    def create(order_id: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                with tx.immediate():  # as a POST request begins its transaction
                    invoice = invoices.create_invoice(db.session.get(Order, order_id), actor=SYSTEM)
                    time.sleep(0.01)  # widen the window two equal numbers would need
                    db.session.commit()
                results[order_id] = invoice.number
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=create, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(results.values()) == [f"CONF-{n:05d}" for n in range(1, 11)]
    assert sorted(numbers(world.event)) == sorted(results.values())


# --- canceling and reissuing ---------------------------------------------------------------------------

def test_cancellation_negates_the_original(world, actor):
    order = taxed_order(world)
    original = invoices.create_invoice(order, actor=actor)
    cancellation = invoices.cancel_invoice(original, actor=actor)
    db.session.commit()
    assert cancellation.number == "CONF-00002" and cancellation.is_cancellation
    assert cancellation.refers is original
    assert (cancellation.issuer, cancellation.recipient, cancellation.currency) == (
        original.issuer, original.recipient, original.currency)
    assert [(ln.description, -ln.gross_value, -ln.tax_value, ln.tax_rate) for ln in cancellation.lines] == [
        (ln.description, ln.gross_value, ln.tax_value, ln.tax_rate) for ln in original.lines]
    assert invoices.total(cancellation) == -invoices.total(original) == D("-102.50")
    assert [(t.rate, -t.net, -t.tax, -t.gross) for t in invoices.totals_by_rate(cancellation)] == [
        (t.rate, t.net, t.tax, t.gross) for t in invoices.totals_by_rate(original)]
    order = reload(order)
    assert invoices.current_invoice(order) is None
    assert invoices.refusal(order) is None  # a new invoice may be created now
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "order.invoice_canceled"))
    assert entry.data == {"invoice": "CONF-00001", "cancellation": "CONF-00002"}


def test_a_canceled_invoice_or_a_cancellation_cannot_be_canceled(world, actor):
    order = factories.order(world.event, [world.ticket])
    original = invoices.create_invoice(order, actor=actor)
    cancellation = invoices.cancel_invoice(original, actor=actor)
    _refused(lambda: invoices.cancel_invoice(original, actor=actor), "Invoice CONF-00001 is already canceled.")
    _refused(lambda: invoices.cancel_invoice(cancellation, actor=actor),
             "Invoice CONF-00002 is a cancellation itself and cannot be canceled.")


def test_reissue_cancels_the_invoice_and_invoices_the_order_as_it_is_now(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    original = invoices.create_invoice(order, actor=actor)
    positions.cancel_position(order.all_positions[1], actor=actor)
    cancellation, new = invoices.reissue_invoice(order, actor=actor)
    db.session.commit()
    assert (cancellation.number, cancellation.refers_id, invoices.total(cancellation)) == (
        "CONF-00002", original.id, D("-100.00"))
    assert (new.number, invoices.total(new)) == ("CONF-00003", D("50.00"))
    assert invoices.current_invoice(reload(order)).number == "CONF-00003"
    logged = list(db.session.scalars(select(LogEntry.action_type).where(LogEntry.action_type.like("order.invoice%"))
                                     .order_by(LogEntry.id)))
    assert logged == ["order.invoice_created", "order.invoice_canceled", "order.invoice_created"]


def test_reissue_without_an_invoice_changes_nothing_unless_required(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    before = state()
    assert invoices.reissue_invoice(order, actor=actor) == (None, None)
    db.session.commit()
    assert state() == before
    _refused(lambda: invoices.reissue_invoice(order, actor=actor, required=True),
             f"Order {order.code} has no invoice to reissue.")


def test_reissue_of_a_canceled_order_only_cancels(world, actor):
    order = factories.order(world.event, [world.ticket])
    invoices.create_invoice(order, actor=actor)
    orders.cancel_order(order, actor=actor, send_email=False)
    cancellation, new = invoices.reissue_invoice(order, actor=actor)
    assert cancellation.number == "CONF-00002" and new is None


def test_a_cancellation_fee_is_invoiced_after_the_order_was_canceled(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    invoices.create_invoice(order, actor=actor)
    orders.cancel_order(order, actor=actor, send_email=False, cancellation_fee="10.00")
    _cancellation, new = invoices.reissue_invoice(order, actor=actor)
    assert [(ln.description, ln.gross_value) for ln in new.lines] == [("Cancellation fee", D("10.00"))]


def test_deleting_a_test_mode_order_deletes_its_invoices(world, actor):
    order = factories.order(world.event, [world.ticket], testmode=True)
    invoices.cancel_invoice(invoices.create_invoice(order, actor=actor), actor=actor)
    invoices.create_invoice(order, actor=actor)
    orders.delete_order(order, actor=actor)
    db.session.commit()
    assert db.session.scalar(select(func.count(Invoice.id))) == 0
    assert db.session.scalar(select(func.count(InvoiceLine.id))) == 0


# --- the PDF --------------------------------------------------------------------------------------------

def test_pdf_shows_issuer_recipient_lines_and_totals_per_rate(world, actor):
    order = taxed_order(world)
    invoice = invoices.create_invoice(order, actor=actor)
    data = invoice_pdf.render(invoice)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in ("Demo Organizer", "Łukasz Żółć", "Żółć & Søn GmbH", "Hauptstraße 1", "VAT ID: DE123456789",
                     "Invoice CONF-00001", order.code, "Conference", invoice.date.isoformat(), "Regular ticket",
                     "Attendee: Attendee 1", "Payment fee", "VAT 19 %", "Reduced VAT 7 %", "€42.02", "€7.98", "€50.00",
                     "€84.04", "€15.96", "€100.00", "€2.34", "€0.16", "€2.50", "€102.50", "Total"):
        assert expected in text, expected
    assert invoice_pdf.filename(invoice) == "CONF-00001.pdf"


def test_cancellation_pdf_names_the_invoice_it_cancels(world, actor):
    order = taxed_order(world)
    original = invoices.create_invoice(order, actor=actor)
    cancellation = invoices.cancel_invoice(original, actor=actor)
    text = pdf_text(invoice_pdf.render(cancellation))
    assert "Cancellation CONF-00002" in text
    assert f"Cancellation of invoice CONF-00001 of {original.date.isoformat()}" in text
    assert "-€102.50" in text and "-€7.98" in text


def test_pdf_of_an_invoice_recorded_without_lines(world):
    order = factories.order(world.event, [world.ticket])
    invoice = Invoice(event_id=world.event.id, order=order, number="TOUR-00001", date=order.datetime.date())
    db.session.add(invoice)
    db.session.flush()
    text = pdf_text(invoice_pdf.render(invoice))
    assert "Invoice TOUR-00001" in text and "recorded without its lines" in text


# --- the migration ---------------------------------------------------------------------------------------

def test_migration_gives_existing_invoices_their_events_currency(tmp_path):
    """Invoices recorded before 0007 keep their number and get their event's currency, no lines,
    an empty issuer and recipient; their PDF still renders."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from backoffice import create_app
    from tests.test_migrations import _drop, _old_order, _old_organizer_and_event, _row, _scratch_url
    url, name = _scratch_url(tmp_path)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            upgrade(revision="0005")
            with db.engine.begin() as conn:
                _org, event = _old_organizer_and_event(conn, now)
                conn.execute(text("UPDATE event SET currency = 'CHF' WHERE id = :id"), {"id": event})
                order = _row(conn, "order", code="ABCDE", **_old_order(event, now))
                conn.execute(text("INSERT INTO invoice (event_id, order_id, number, is_cancellation, date, created) "
                                  "VALUES (:event, :order, 'OLD-00007', :no, :day, :now)"),
                             dict(event=event, order=order, no=False, day=now.date(), now=now))
                invoice = conn.execute(text("SELECT max(id) FROM invoice")).scalar()
            upgrade(revision="0006")
            row = db.session.execute(text("SELECT number, currency, issuer, recipient FROM invoice")).one()
            assert tuple(row) == ("OLD-00007", "CHF", "", "")
            db.session.remove()
            upgrade()  # the models are the newest schema's
            old = db.session.get(Invoice, invoice)
            assert old.lines == [] and "Invoice OLD-00007" in pdf_text(invoice_pdf.render(old))
            db.session.remove()
            db.engine.dispose()
    finally:
        _drop(name)


def test_pdf_puts_the_recipient_below_a_long_issuer_address(world, actor):
    world.organizer.invoice_issuer_address = "\n".join(f"Issuer line {n}" for n in range(1, 10))
    order = factories.order(world.event, [world.ticket], email="recipient@example.org")
    heights: dict[str, float] = {}

    def visit(text, _cm, tm, _font, _size):
        if text.strip():
            heights.setdefault(text.strip(), tm[5])
    page = PdfReader(io.BytesIO(invoice_pdf.render(invoices.create_invoice(order, actor=actor)))).pages[0]
    page.extract_text(visitor_text=visit)
    assert heights["recipient@example.org"] < heights["Issuer line 9"] - 5  # lower on the page, not on top of it
