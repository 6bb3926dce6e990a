"""Ticket PDFs: one A4 page per ticket with what the door and the attendee need to read, and
the ticket's secret as a QR code (what scanners read).

Which tickets go in is decided by domain/tickets.py; this module only draws them.
"""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from babel.numbers import format_currency
from fpdf import FPDF

from .models import Order, OrderPosition
from .pdf_fonts import printable, use_font

PAGE_MARGIN = 18  # mm
QR_SIZE = 55  # mm: scans from a phone screen and from paper
LABEL_WIDTH = 28
TEXT_WIDTH = 100  # the text column; the QR code sits to its right


def render_order(order: Order, positions: list[OrderPosition] | None = None) -> bytes:
    """One PDF with a page per ticket: `positions` of `order`, by default every ticket of it that
    staff may print (domain/tickets.py)."""
    from .tickets import downloadable_positions
    if positions is None:
        positions = downloadable_positions(order, staff=True)
    pdf, family = _document(f"Tickets for order {order.code}")
    for position in positions:
        _page(pdf, family, position)
    return bytes(pdf.output())


def render_position(position: OrderPosition) -> bytes:
    pdf, family = _document(f"Ticket {position.positionid} of order {position.order.code}")
    _page(pdf, family, position)
    return bytes(pdf.output())


def filename(order: Order, position: OrderPosition | None = None) -> str:
    """What the file is saved as: event, order code and ticket number, no path characters."""
    event = "".join(c if c.isascii() and c.isalnum() else "-" for c in order.event.slug)
    suffix = f"-{position.positionid}" if position is not None else ""
    return f"{event}-{order.code}{suffix}.pdf"


# --- drawing ------------------------------------------------------------------------------------------

def _document(title: str) -> tuple[FPDF, str]:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(PAGE_MARGIN, PAGE_MARGIN, PAGE_MARGIN)
    pdf.set_auto_page_break(False)
    family = use_font(pdf)
    pdf.set_title(printable(title, family))
    return pdf, family


def _page(pdf: FPDF, family: str, position: OrderPosition) -> None:
    order = position.order
    event = order.event
    pdf.add_page()
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(position.secret)), x=pdf.w - PAGE_MARGIN - QR_SIZE, y=top, w=QR_SIZE, h=QR_SIZE)

    def write(text: str, size: float, style: str = "", height: float | None = None) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(TEXT_WIDTH, height or size * 0.5, printable(text, family), align="L",
                       new_x="LMARGIN", new_y="NEXT")

    write(event.organizer.name, 10)
    pdf.ln(2)
    write(event.name, 20, "B", 9)
    pdf.ln(2)
    write(_when(position), 11)
    if event.location:
        write(event.location, 11)
    pdf.set_y(max(pdf.get_y() + 6, top + QR_SIZE + 6))

    product = position.item.name + (f" – {position.variation.value}" if position.variation else "")
    rows = [("Ticket", product), ("Attendee", position.attendee_name or "")]
    if position.company:
        rows.append(("Company", position.company))
    if position.seat is not None:
        rows.append(("Seat", _seat(position)))
    rows += [("Order", f"{order.code}, ticket {position.positionid}"),
             ("Price", format_currency(position.price, event.currency, locale="en_US"))]
    for label, value in rows:
        _row(pdf, family, label, value)


def _row(pdf: FPDF, family: str, label: str, value: str) -> None:
    pdf.set_font(family, "", 9)
    y = pdf.get_y()
    pdf.cell(LABEL_WIDTH, 7, printable(label, family))
    pdf.set_xy(PAGE_MARGIN + LABEL_WIDTH, y)
    pdf.set_font(family, "B", 12)
    pdf.multi_cell(pdf.w - 2 * PAGE_MARGIN - LABEL_WIDTH, 7, printable(value or "—", family), align="L",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _when(position: OrderPosition) -> str:
    """The date the ticket is for: its date of the series, else the event's, in the event's zone."""
    event = position.order.event
    source = position.subevent if position.subevent is not None else event
    zone = ZoneInfo(event.timezone)
    start: datetime = source.date_from.astimezone(zone)
    text = start.strftime("%A, %d %B %Y, %H:%M")
    if source.date_to is not None:
        end = source.date_to.astimezone(zone)
        text += end.strftime(" – %H:%M") if end.date() == start.date() else end.strftime(" – %d %B %Y, %H:%M")
    text += f" ({event.timezone})"
    if position.subevent is not None:
        text = f"{position.subevent.name}: {text}"
    return text


def _seat(position: OrderPosition) -> str:
    seat = position.seat
    parts = [seat.zone_name, f"Row {seat.row_label or seat.row_name}" if seat.row_name else "",
             f"Seat {seat.seat_label or seat.seat_number}" if seat.seat_number else ""]
    detail = ", ".join(p for p in parts if p)
    return f"{seat.name} ({detail})" if detail and detail != seat.name else seat.name


def qr_png(secret: str) -> bytes:
    """The QR code of a ticket secret as PNG, with the quiet zone scanners need."""
    buffer = io.BytesIO()
    segno.make(secret, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
