"""Invoices of an order: create one (003's create_invoice), cancel one with a cancellation
invoice, and reissue (cancel the current one, issue a new one; 003's change with reissue_invoice).

Invoices are never edited. Each one keeps what it said when it was issued: issuer, recipient,
currency and its lines (a ticket or fee each, with tax rate and tax amount), so a later change of
the organizer, the invoice address or the order never alters an issued invoice. A change is
made by canceling: the cancellation invoice has its own number, refers to the original and
repeats its lines negated.

Numbers run per event without gaps ("CONF-00001", "CONF-00002", …): the next number is taken
while the event's invoice numbering is locked, so two staff members invoicing at the same moment
get consecutive numbers, never the same one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext
from sqlalchemy import select

from .. import i18n
from ..extensions import db
from . import audit, parsing
from .audit import Actor
from .contact import country_name
from .errors import Invalid, NotFound
from .models import Event, Invoice, InvoiceLine, Order, OrderStatus, TaxRule, utcnow
from .orders import ZERO, begin_change
from .tx import is_sqlite
from .texts import T_

NUMBER_DIGITS = 5
FEE_LABELS = {"payment": i18n.N_("Payment fee"), "passbook": i18n.N_("Passbook fee"), "other": i18n.N_("Fee"),
              "cancellation": i18n.N_("Cancellation fee")}
_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")


# --- reading -----------------------------------------------------------------------------------

def canceled_ids(order: Order) -> set[int]:
    """Ids of the order's invoices that a cancellation invoice refers to."""
    return {i.refers_id for i in order.invoices if i.is_cancellation and i.refers_id is not None}


def current_invoice(order: Order) -> Invoice | None:
    """The order's invoice that is not canceled (there is at most one), or None."""
    canceled = canceled_ids(order)
    valid = [i for i in order.invoices if not i.is_cancellation and i.id not in canceled]
    return valid[-1] if valid else None


def get_invoice(order: Order, invoice_id) -> Invoice:
    """Invoice `invoice_id` of `order`; NotFound for anything else (another order's invoice, an
    id no row can have)."""
    try:
        number = parsing.parse_id(invoice_id, label=T_("invoice"))
    except Invalid:
        number = None
    invoice = None
    if number is not None:
        invoice = db.session.scalar(select(Invoice).where(Invoice.id == number, Invoice.order_id == order.id))
    if invoice is None:
        raise NotFound(T_("Order %(code)s has no invoice %(invoice)s.",
                          code=order.code, invoice=str(invoice_id)[:20]), code="invoice_not_found")
    return invoice


def refusal(order: Order) -> str | None:
    """Why no invoice can be created for `order` now, or None when one can. The page asks this
    to offer the button; create_invoice refuses with the same sentence."""
    if not order.event.invoicing:
        return T_("Invoicing is turned off for %(name)s.", name=order.event.name)
    current = current_invoice(order)
    if current is not None:
        return (T_("Order %(code)s already has invoice %(number)s. "
                   "To change it, cancel it and issue a new one.", code=order.code, number=current.number))
    return _nothing_to_invoice(order)


def _nothing_to_invoice(order: Order) -> str | None:
    if order.status == OrderStatus.CANCELED:
        return T_("Order %(code)s is canceled: there is nothing to invoice.", code=order.code)
    if order.status == OrderStatus.PENDING and order.require_approval:
        return T_("Order %(code)s is awaiting approval: approve it before invoicing it.", code=order.code)
    if (not order.positions and not order.fees) or order.total == ZERO:
        return T_("Order %(code)s has nothing to invoice: its total is %(zero)s.", code=order.code, zero=ZERO)
    return None


@dataclass(frozen=True)
class TaxTotal:
    """The lines of one tax rate added up."""
    rate: Decimal
    name: str
    net: Decimal
    tax: Decimal
    gross: Decimal


def totals_by_rate(invoice: Invoice) -> list[TaxTotal]:
    """Net, tax and gross per tax rate (and tax name), lowest rate first."""
    groups: dict[tuple[Decimal, str], list[InvoiceLine]] = {}
    for line in invoice.lines:
        groups.setdefault((line.tax_rate, line.tax_name), []).append(line)
    return [TaxTotal(rate=rate, name=name, net=sum((ln.net_value for ln in lines), ZERO),
                     tax=sum((ln.tax_value for ln in lines), ZERO), gross=sum((ln.gross_value for ln in lines), ZERO))
            for (rate, name), lines in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1]))]


def total(invoice: Invoice) -> Decimal:
    return sum((line.gross_value for line in invoice.lines), ZERO)


# --- what an invoice says ------------------------------------------------------------------------

def issuer_text(order: Order) -> str:
    """The organizer's invoice issuer: name (the organizer's when none is set), address, VAT id."""
    org = order.event.organizer
    lines = [(org.invoice_issuer_name or "").strip() or org.name]
    lines += _text_lines(org.invoice_issuer_address)
    if (org.invoice_issuer_vat_id or "").strip():
        lines.append(gettext("VAT ID: %(vat_id)s", vat_id=org.invoice_issuer_vat_id.strip()))
    return "\n".join(lines)


def recipient_text(order: Order) -> str:
    """The invoice address as it is printed; the order's email when there is no address."""
    a = order.invoice_address
    lines: list[str] = []
    if a is not None:
        lines += _text_lines(a.company) + _text_lines(a.name) + _text_lines(a.street)
        lines += _text_lines(" ".join(part for part in (a.zipcode, a.city) if part))
        lines += _text_lines(a.state) + _text_lines(country_name(a.country, i18n.current() or i18n.DEFAULT))
        if (a.vat_id or "").strip():
            lines.append(gettext("VAT ID: %(vat_id)s", vat_id=a.vat_id.strip()))
        if (a.internal_reference or "").strip():
            lines.append(gettext("Your reference: %(reference)s", reference=a.internal_reference.strip()))
    if not lines and order.email:
        lines.append(order.email)
    return "\n".join(lines)


def _text_lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _position_description(position, tz: str) -> str:
    name = position.item.name
    lines = [f"{name} – {position.variation.value}" if position.variation is not None else name]
    if position.attendee_name:
        lines.append(gettext("Attendee: %(name)s", name=position.attendee_name))
    if position.subevent is not None:
        lines.append(gettext("Date: %(date)s, %(when)s", date=position.subevent.name,
                             when=i18n.datetime_text(position.subevent.date_from, tz)))
    if position.seat is not None:
        lines.append(gettext("Seat: %(seat)s", seat=position.seat.name))
    return "\n".join(lines)


def _lines_of(order: Order) -> list[InvoiceLine]:
    """One line per ticket and fee that is not canceled, with the tax the order recorded."""
    rule_ids = {f.tax_rule_id for f in order.fees if f.tax_rule_id is not None}
    rules = {r.id: r for r in db.session.scalars(select(TaxRule).where(TaxRule.id.in_(rule_ids)))} if rule_ids else {}
    lines = []
    for p in order.positions:
        lines.append(InvoiceLine(description=_position_description(p, order.event.timezone), gross_value=p.price,
                                 tax_rate=p.tax_rate, tax_value=p.tax_value,
                                 tax_name=p.tax_rule.name if p.tax_rule is not None else ""))
    for f in order.fees:
        rule = rules.get(f.tax_rule_id)
        label = f.description or gettext(FEE_LABELS.get(f.fee_type, FEE_LABELS["other"]))
        lines.append(InvoiceLine(description=label, gross_value=f.value,
                                 tax_rate=f.tax_rate, tax_value=f.tax_value,
                                 tax_name=rule.name if rule is not None else ""))
    for number, line in enumerate(lines, start=1):
        line.position = number
    return lines


# --- numbers ------------------------------------------------------------------------------------

def _lock_numbering(event: Event) -> None:
    """Hold the event's invoice numbering until the transaction ends.

    PostgreSQL: the event row is locked FOR NO KEY UPDATE, which makes a second invoicing
    transaction of the event wait, but not the inserts of orders, log entries or invoices that
    merely refer to the event. SQLite: the write transaction (BEGIN IMMEDIATE) already holds
    the database's only write lock.
    """
    if is_sqlite():
        return
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update(key_share=True))


def _next_number(order: Order) -> str:
    """The number after the last invoice of the order's event (same prefix and width), or
    EVENTSLUG-00001.

    Test-mode orders count on their own, as TEST-EVENTSLUG-00001, …: deleting a test-mode order
    deletes its invoices, which must leave no gap among the real ones.
    """
    event = order.event
    _lock_numbering(event)
    last = db.session.scalar(
        select(Invoice.number).join(Order, Order.id == Invoice.order_id)
        .where(Invoice.event_id == event.id, Order.testmode == order.testmode)
        .order_by(Invoice.id.desc()).limit(1))
    match = _TRAILING_DIGITS.match(last or "")
    if match is None:
        prefix = f"{'TEST-' if order.testmode else ''}{event.slug.upper()}-"
        return f"{prefix}{1:0{NUMBER_DIGITS}d}"
    prefix, digits = match.groups()
    return f"{prefix}{int(digits) + 1:0{len(digits)}d}"


def _today(order: Order, now: datetime):
    return now.astimezone(ZoneInfo(order.event.timezone)).date()


def _lock(order: Order, seen_last_modified: str | None) -> Order:
    """The order locked and re-read, with its invoices read afresh after the lock."""
    db.session.flush()
    order = begin_change(order, seen_last_modified)
    db.session.expire(order, ["invoices"])
    return order


# --- changes --------------------------------------------------------------------------------------

def create_invoice(order: Order, *, actor: Actor, seen_last_modified: str | None = None,
                   now: datetime | None = None) -> Invoice:
    """Invoice the order as it is now (003's create_invoice).

    Refused when the event's invoicing is off, when the order already has an invoice that is
    not canceled, and when there is nothing to invoice (canceled, awaiting approval, total 0).
    """
    now = now or utcnow()
    order = _lock(order, seen_last_modified)
    reason = refusal(order)
    if reason is not None:
        raise Invalid(reason, code="invoice_refused")
    invoice = _issue(order, now)
    audit.log(actor, order, "order.invoice_created", data={"invoice": invoice.number, "total": total(invoice)})
    return invoice


def _issue(order: Order, now: datetime) -> Invoice:
    # written in the order's language, as its mails (i18n.language_of); kept as issued
    with i18n.language(i18n.language_of(order)):
        lines, issuer, recipient = _lines_of(order), issuer_text(order), recipient_text(order)
    invoice = Invoice(event_id=order.event_id, number=_next_number(order), is_cancellation=False,
                      date=_today(order, now), created=now, issuer=issuer,
                      recipient=recipient, currency=order.event.currency, lines=lines)
    order.invoices.append(invoice)  # a change of the order's collection: last_modified moves
    db.session.flush()
    return invoice


def cancel_invoice(invoice: Invoice, *, actor: Actor, seen_last_modified: str | None = None,
                   now: datetime | None = None) -> Invoice:
    """Cancel `invoice` with a cancellation invoice: its own next number, the original's issuer
    and recipient, every line negated. Returns the cancellation invoice."""
    now = now or utcnow()
    order = _lock(invoice.order, seen_last_modified)
    db.session.refresh(invoice)
    cancellation = _cancel(order, invoice, now)
    audit.log(actor, order, "order.invoice_canceled",
              data={"invoice": invoice.number, "cancellation": cancellation.number})
    return cancellation


def _cancel(order: Order, invoice: Invoice, now: datetime) -> Invoice:
    if invoice.is_cancellation:
        raise Invalid(T_("Invoice %(number)s is a cancellation itself and cannot be canceled.",
                         number=invoice.number),
                      code="invoice_is_cancellation")
    if invoice.id in canceled_ids(order):
        raise Invalid(T_("Invoice %(number)s is already canceled.", number=invoice.number), code="invoice_canceled")
    lines = [InvoiceLine(position=line.position, description=line.description, gross_value=-line.gross_value,
                         tax_rate=line.tax_rate, tax_value=-line.tax_value, tax_name=line.tax_name)
             for line in invoice.lines]
    cancellation = Invoice(event_id=order.event_id, number=_next_number(order), is_cancellation=True,
                           refers_id=invoice.id, date=_today(order, now), created=now, issuer=invoice.issuer,
                           recipient=invoice.recipient, currency=invoice.currency or order.event.currency,
                           lines=lines)
    order.invoices.append(cancellation)
    db.session.flush()
    return cancellation


def reissue_invoice(order: Order, *, actor: Actor, seen_last_modified: str | None = None,
                    now: datetime | None = None, required: bool = False) -> tuple[Invoice | None, Invoice | None]:
    """Cancel the order's current invoice and issue a new one from the order as it is now.

    Returns (cancellation, new invoice). 003's change operation calls this with its
    `reissue_invoice` flag, inside its own transaction, once the order's tickets, fees and
    total are final (they are flushed here first): `reissue_invoice(order, actor=actor)`.
    As 003 says "if an invoice exists", an order without a current invoice is left alone and
    (None, None) comes back, unless `required` (the page's button), which refuses instead.
    When the changed order has nothing left to invoice (e.g. it was canceled) or invoicing is
    now off, only the cancellation is issued and the new invoice is None. It takes the order's
    lock itself; a caller that locks several orders locks them all before calling, since the
    event's numbering is locked last.
    """
    now = now or utcnow()
    order = _lock(order, seen_last_modified)
    current = current_invoice(order)
    if current is None:
        if required:
            raise Invalid(T_("Order %(code)s has no invoice to reissue.", code=order.code), code="no_invoice")
        return None, None
    cancellation = _cancel(order, current, now)
    audit.log(actor, order, "order.invoice_canceled",
              data={"invoice": current.number, "cancellation": cancellation.number, "reissued": True})
    new = None
    if order.event.invoicing and _nothing_to_invoice(order) is None:
        new = _issue(order, now)
        audit.log(actor, order, "order.invoice_created",
                  data={"invoice": new.number, "total": total(new), "replaces": current.number})
    return cancellation, new
