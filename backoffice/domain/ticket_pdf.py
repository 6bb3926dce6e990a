"""Ticket PDFs: one A4 page per ticket with what the door and the attendee need to read, and
the ticket's secret as a QR code (what scanners read).

Which tickets go in is decided by domain/tickets.py; this module only draws them. A ticket speaks
the order's language (i18n.language_of, as the order's mails do): its words, dates and price.
"""
from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_datetime
from flask_babel import gettext
from fpdf import FPDF

from .. import i18n
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
    with i18n.language(i18n.language_of(order)):
        pdf, family = _document(gettext("Tickets for order %(code)s", code=order.code))
        for position in positions:
            _page(pdf, family, position)
        return bytes(pdf.output())


def render_position(position: OrderPosition) -> bytes:
    with i18n.language(i18n.language_of(position.order)):
        pdf, family = _document(gettext("Ticket %(number)s of order %(code)s", number=position.positionid,
                                        code=position.order.code))
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


def ticket_values(position: OrderPosition) -> dict[str, str | int]:
    """What ticket `position` prints, in the current language: the page is drawn from these
    values alone, and the API sends them as the position's `pdf_data`."""
    order = position.order
    event = order.event
    return {
        "organizer": event.organizer.name,
        "event_name": event.name,
        "event_date": _when(position),
        "event_location": event.location or "",
        "itemvar": position.item.name + (f" – {position.variation.value}" if position.variation else ""),
        "attendee_name": position.attendee_name or "",
        "attendee_company": position.company or "",
        "seat": _seat(position) if position.seat is not None else "",
        "order": order.code,
        "positionid": position.positionid,
        "price": i18n.money(position.price, event.currency),
        "secret": position.secret,
    }


def pdf_data(position: OrderPosition) -> dict[str, str | int]:
    """ticket_values in the language the ticket is printed in (the order's)."""
    with i18n.language(i18n.language_of(position.order)):
        return ticket_values(position)


def _page(pdf: FPDF, family: str, position: OrderPosition) -> None:
    values = ticket_values(position)
    pdf.add_page()
    top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(str(values["secret"]))), x=pdf.w - PAGE_MARGIN - QR_SIZE, y=top, w=QR_SIZE,
              h=QR_SIZE)

    def write(text: str, size: float, style: str = "", height: float | None = None) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(TEXT_WIDTH, height or size * 0.5, printable(text, family), align="L",
                       new_x="LMARGIN", new_y="NEXT")

    write(str(values["organizer"]), 10)
    pdf.ln(2)
    write(str(values["event_name"]), 20, "B", 9)
    pdf.ln(2)
    write(str(values["event_date"]), 11)
    if values["event_location"]:
        write(str(values["event_location"]), 11)
    pdf.set_y(max(pdf.get_y() + 6, top + QR_SIZE + 6))

    rows = [(gettext("Ticket"), values["itemvar"]), (gettext("Attendee"), values["attendee_name"])]
    if values["attendee_company"]:
        rows.append((gettext("Company"), values["attendee_company"]))
    if values["seat"]:
        rows.append((gettext("Seat"), values["seat"]))
    rows += [(gettext("Order"), gettext("%(code)s, ticket %(number)s", code=values["order"],
                                        number=values["positionid"])),
             (gettext("Price"), values["price"])]
    for label, value in rows:
        _row(pdf, family, label, str(value))


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
    text = _moment(start, DAY_PATTERNS)
    if source.date_to is not None:
        end = source.date_to.astimezone(zone)
        text += " – " + (_moment(end, TIME_PATTERNS) if end.date() == start.date() else _moment(end, DATE_PATTERNS))
    text += f" ({event.timezone})"
    if position.subevent is not None:
        text = f"{position.subevent.name}: {text}"
    return text


#: how a ticket writes its date (Babel patterns): the start with its weekday, the end without
DAY_PATTERNS = {"en": "EEEE, dd MMMM yyyy, HH:mm", "de": "EEEE, d. MMMM yyyy, HH:mm"}
DATE_PATTERNS = {"en": "dd MMMM yyyy, HH:mm", "de": "d. MMMM yyyy, HH:mm"}
TIME_PATTERNS = {"en": "HH:mm", "de": "HH:mm"}


def _moment(moment: datetime, patterns: dict[str, str]) -> str:
    language = i18n.current() or i18n.DEFAULT
    return format_datetime(moment, patterns.get(language, patterns[i18n.DEFAULT]), tzinfo=moment.tzinfo,
                           locale=language)


def _seat(position: OrderPosition) -> str:
    seat = position.seat
    parts = [seat.zone_name,
             gettext("Row %(row)s", row=seat.row_label or seat.row_name) if seat.row_name else "",
             gettext("Seat %(seat)s", seat=seat.seat_label or seat.seat_number) if seat.seat_number else ""]
    detail = ", ".join(p for p in parts if p)
    return f"{seat.name} ({detail})" if detail and detail != seat.name else seat.name


def qr_png(secret: str) -> bytes:
    """The QR code of a ticket secret as PNG, with the quiet zone scanners need."""
    buffer = io.BytesIO()
    segno.make(secret, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()
