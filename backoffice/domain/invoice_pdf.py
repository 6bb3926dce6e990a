"""Invoice PDFs: what an invoice said when it was issued (domain/invoices.py keeps it), on A4.

Issuer and recipient, number, date, order code, one row per line with its tax, totals per tax
rate and the total; a cancellation says which invoice it cancels. Everything printed comes
from the invoice's own columns and lines, never from the order as it is now. The words around them,
dates and amounts are in the order's language (i18n.language_of, as the order's mails); the lines'
descriptions stay as they were issued.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import gettext
from fpdf import FPDF
from fpdf.fonts import FontFace

from .. import i18n
from ..i18n import N_
from . import invoices
from .models import Invoice
from .pdf_fonts import printable, use_font

MARGIN = 18  # mm
LINE_COLUMNS = (("#", 8, "RIGHT"), (N_("Description"), 74, "LEFT"), (N_("Tax rate"), 20, "RIGHT"),
                (N_("Net"), 24, "RIGHT"), (N_("Tax"), 24, "RIGHT"), (N_("Gross"), 24, "RIGHT"))
TOTAL_COLUMNS = ((N_("Tax rate"), 52, "LEFT"), (N_("Net"), 40, "RIGHT"), (N_("Tax"), 40, "RIGHT"),
                 (N_("Gross"), 42, "RIGHT"))
#: how an invoice writes its dates (Babel patterns); English keeps the ISO form
DATE_PATTERNS = {"en": "yyyy-MM-dd", "de": "dd.MM.yyyy"}


def title(invoice: Invoice) -> str:
    """The document's heading, in the current language (render() chooses the order's)."""
    if invoice.is_cancellation:
        return gettext("Cancellation %(number)s", number=invoice.number)
    return gettext("Invoice %(number)s", number=invoice.number)


def filename(invoice: Invoice) -> str:
    """What the file is saved as: the invoice number, no path characters."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in invoice.number)
    return f"{safe}.pdf"


def render(invoice: Invoice) -> bytes:
    """The invoice as a PDF document, in the order's language."""
    with i18n.language(i18n.language_of(invoice.order)):
        return _render(invoice)


def _render(invoice: Invoice) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    family = use_font(pdf)
    text = _Writer(pdf, family)
    pdf.set_title(text.clean(title(invoice)))
    pdf.set_author(text.clean(invoice.issuer.split("\n", 1)[0]))
    pdf.add_page()
    _head(text, invoice)
    _lines(text, invoice)
    _totals(text, invoice)
    return bytes(pdf.output())


class _Writer:
    """Text in the document's font, safe for it (see pdf_fonts.printable)."""

    def __init__(self, pdf: FPDF, family: str):
        self.pdf = pdf
        self.family = family

    def clean(self, value: str | None) -> str:
        return printable(value, self.family)

    def block(self, value: str, size: float = 10, style: str = "", width: float = 0, align: str = "L") -> None:
        self.pdf.set_font(self.family, style, size)
        self.pdf.multi_cell(width, size * 0.5, self.clean(value), align=align, new_x="LMARGIN", new_y="NEXT")

    def font(self, size: float, style: str = "") -> None:
        self.pdf.set_font(self.family, style, size)


def _currency(invoice: Invoice) -> str:
    # invoices recorded before they kept their currency: the event's
    return invoice.currency or invoice.order.event.currency


def _money(value: Decimal, currency: str) -> str:
    return i18n.money(value, currency)


def _date(day: date) -> str:
    language = i18n.current() or i18n.DEFAULT
    return format_date(day, DATE_PATTERNS.get(language, DATE_PATTERNS[i18n.DEFAULT]), locale=language)


def _rate(rate: Decimal, name: str = "") -> str:
    language = i18n.current() or i18n.DEFAULT
    if language == i18n.DEFAULT:
        shown = f"{rate.normalize():f} %" if rate else "0 %"
    else:
        shown = f"{format_decimal(rate.normalize(), locale=language)} %" if rate else "0 %"
    return f"{name} {shown}".strip() if name else shown


def _head(text: _Writer, invoice: Invoice) -> None:
    pdf = text.pdf
    order = invoice.order
    top = pdf.get_y()
    issuer_lines = invoice.issuer.split("\n") if invoice.issuer else [order.event.organizer.name]
    text.block(issuer_lines[0], 11, "B", width=95)
    if len(issuer_lines) > 1:
        text.block("\n".join(issuer_lines[1:]), 9, width=95)
    below_issuer = pdf.get_y()
    facts = [(gettext("Number"), invoice.number), (gettext("Date"), _date(invoice.date)),
             (gettext("Order"), order.code), (gettext("Event"), order.event.name)]
    pdf.set_y(top)
    for label, value in facts:
        pdf.set_x(pdf.w - MARGIN - 70)
        text.font(9)
        pdf.cell(22, 5, text.clean(label))
        text.font(9, "B")
        pdf.multi_cell(48, 5, text.clean(value), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y() + 6, below_issuer + 6, top + 32))
    if invoice.recipient:
        text.block(invoice.recipient, 10, width=95)
    pdf.ln(8)
    text.block(title(invoice), 16, "B")
    if invoice.is_cancellation and invoice.refers is not None:
        text.block(gettext("Cancellation of invoice %(number)s of %(date)s", number=invoice.refers.number,
                           date=_date(invoice.refers.date)), 10)
    pdf.ln(4)


def _table(text: _Writer, columns, rows, bold_last: bool = False) -> None:
    pdf = text.pdf
    text.font(9)
    heading = FontFace(emphasis="BOLD")
    with pdf.table(col_widths=tuple(w for _, w, _ in columns), text_align=tuple(a for _, _, a in columns),
                   headings_style=heading, line_height=4.5, padding=1, first_row_as_headings=True,
                   borders_layout="HORIZONTAL_LINES") as table:
        header = table.row()
        for label, _, _ in columns:
            header.cell(text.clean(gettext(label)))
        for i, values in enumerate(rows):
            style = heading if bold_last and i == len(rows) - 1 else None
            row = table.row(style=style)
            for value in values:
                row.cell(text.clean(value))


def _lines(text: _Writer, invoice: Invoice) -> None:
    currency = _currency(invoice)
    if not invoice.lines:
        text.block(gettext("This invoice was recorded without its lines."), 10)
        return
    rows = [(str(line.position), line.description, _rate(line.tax_rate),
             _money(line.net_value, currency), _money(line.tax_value, currency), _money(line.gross_value, currency))
            for line in invoice.lines]
    _table(text, LINE_COLUMNS, rows)
    text.pdf.ln(4)


def _totals(text: _Writer, invoice: Invoice) -> None:
    currency = _currency(invoice)
    by_rate = invoices.totals_by_rate(invoice)
    if not by_rate:
        return
    rows = [(_rate(t.rate, t.name), _money(t.net, currency), _money(t.tax, currency), _money(t.gross, currency))
            for t in by_rate]
    rows.append((gettext("Total"), _money(sum((t.net for t in by_rate), Decimal("0.00")), currency),
                 _money(sum((t.tax for t in by_rate), Decimal("0.00")), currency),
                 _money(invoices.total(invoice), currency)))
    _table(text, TOTAL_COLUMNS, rows, bold_last=True)
