"""An event's seats: importing a seating list from CSV, and blocking seats from sale.

The CSV has a header row and the columns section, row, number, name, blocked (name and blocked
may be empty; blocked is yes/no, true/false or 1/0). A seat is known by its section, row and
number within the event (or one of its dates): importing a list again updates the seats it
names and adds new ones. It never deletes a seat: sold seats must stay, and a seat left out of
a new list is more likely an oversight than a wish to sell it no more (block it instead).

A file with any bad row writes nothing; every bad row is reported with its line number.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from . import availability, product_common, paging
from .audit import Actor
from .errors import Invalid
from .models import Event, Seat, SubEvent
from .texts import T_, joined

COLUMNS = ("section", "row", "number", "name", "blocked")
REQUIRED_COLUMNS = ("section", "row", "number")
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
MAX_CELL = 190
MAX_ERRORS_SHOWN = 20
YES = {"1", "yes", "y", "true", "x", "blocked"}
NO = {"", "0", "no", "n", "false"}


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportRefused(Invalid):
    """Every bad row of a refused file, as 'Row N: …' sentences."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        summary = (T_("Nothing was imported: 1 problem in the file.") if len(problems) == 1
                   else T_("Nothing was imported: %(count)s problems in the file.", count=len(problems)))
        if more > 0:
            message = T_("%(summary)s %(problems)s … and %(more)s more.", summary=summary,
                         problems=joined(shown), more=more)
        else:
            message = T_("%(summary)s %(problems)s", summary=summary, problems=joined(shown))
        super().__init__(message, code="seats_invalid", field="file")


def get_seat(event: Event, raw_id: Any) -> Seat:
    return product_common.get_in_event(Seat, event, raw_id, T_("seat"))


def subevent_for(event: Event, raw: Any) -> SubEvent | None:
    if raw in (None, ""):
        if event.has_subevents:
            raise Invalid(T_("Choose the date the seating list is for."), code="required", field="subevent_id")
        return None
    try:
        return product_common.get_in_event(SubEvent, event, raw, T_("date"))
    except Exception:
        raise Invalid(T_("Choose one of this event's dates."), code="subevent_unknown", field="subevent_id") from None


def guid(section: str, row: str, number: str) -> str:
    """What identifies a seat within its event or date; stable across imports."""
    return f"{section}|{row}|{number}"[:190]


def default_name(section: str, row: str, number: str) -> str:
    parts = [section] if section else []
    if row:
        parts.append(f"Row {row}")
    parts.append(f"Seat {number}")
    return ", ".join(parts)


# --- reading the file ---------------------------------------------------------------------------------

def read_csv(data: bytes) -> list[dict]:
    """The rows of the file as dicts of the known columns, with their line number under 'line'."""
    if not data:
        raise ImportRefused([T_("The file is empty: it needs a header row (section,row,number,name,blocked) "
                                "and seats.")])
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused([T_("The file is too large: at most %(megabytes)s MB.",
                                megabytes=MAX_FILE_BYTES // (1024 * 1024))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused([T_("The file is not UTF-8 text: save it as CSV (UTF-8) and try again.")]) from None
    if "\x00" in text:
        raise ImportRefused([T_("The file contains NUL characters: it is not a CSV text file.")])
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportRefused([T_("The file is empty.")]) from None
    except csv.Error as e:
        raise ImportRefused([T_("Row 1: %(error)s.", error=str(e))]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(T_("Row 1: the header lacks the column(s) %(columns)s; "
                               "expected section,row,number,name,blocked.", columns=', '.join(missing)))
        if unknown:
            problems.append(T_("Row 1: unknown column(s) %(columns)s.",
                               columns=', '.join(u[:40] for u in unknown[:5])))
        raise ImportRefused(problems)
    rows = []
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportRefused([T_("The file has more than %(max_rows)s seats: split it into several files.",
                                        max_rows=f"{MAX_ROWS:,}")])
            row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header) if name}
            row["line"] = reader.line_num
            row["extra"] = len(cells) > len(header) and any(c.strip() for c in cells[len(header):])
            rows.append(row)
    except csv.Error as e:
        raise ImportRefused([T_("Row %(line)s: %(error)s.", line=reader.line_num, error=str(e))]) from None
    if not rows:
        raise ImportRefused([T_("The file has a header row but no seats.")])
    return rows


def _check_row(row: dict) -> tuple[dict | None, list[str]]:
    line = row["line"]
    problems = []
    if row["extra"]:
        problems.append(T_("Row %(line)s: more cells than columns in the header.", line=line))
    values = {}
    for column in COLUMNS:
        value = row.get(column, "")
        if len(value) > MAX_CELL:
            problems.append(T_("Row %(line)s: the %(column)s is too long (at most %(max_cell)s characters).",
                               line=line, column=column, max_cell=MAX_CELL))
        elif any(ord(c) < 32 for c in value):
            problems.append(T_("Row %(line)s: the %(column)s contains control characters.", line=line, column=column))
        values[column] = value
    if not values["number"]:
        problems.append(T_("Row %(line)s: the seat number is empty.", line=line))
    blocked = values["blocked"].lower()
    if blocked not in YES | NO:
        problems.append(T_("Row %(line)s: blocked must be yes or no, not '%(value)s'.",
                           line=line, value=values['blocked'][:20]))
    if problems:
        return None, problems
    values["blocked"] = blocked in YES
    values["name"] = values["name"] or default_name(values["section"], values["row"], values["number"])
    return values, []


# --- importing ----------------------------------------------------------------------------------------

def import_seats(event: Event, data: bytes, *, actor: Actor, subevent: SubEvent | None = None) -> ImportResult:
    """Add and update the seats of the file; all or nothing (ImportRefused lists every bad row)."""
    rows = read_csv(data)
    problems: list[str] = []
    seats_in_file: dict[str, dict] = {}
    for row in rows:
        values, row_problems = _check_row(row)
        problems += row_problems
        if values is None:
            continue
        key = guid(values["section"], values["row"], values["number"])
        if key in seats_in_file:
            first = seats_in_file[key]["line"]
            problems.append(T_("Row %(line)s: the same seat as row %(first)s "
                               "(%(section)s %(row)s %(number)s).",
                               line=row['line'], first=first, section=values['section'], row=values['row'],
                               number=values['number']))
            continue
        seats_in_file[key] = {**values, "line": row["line"]}
    if problems:
        raise ImportRefused(problems)
    product_common.lock_event(event)
    existing = {s.seat_guid: s for s in db.session.scalars(
        select(Seat).where(Seat.event_id == event.id, _same_date(subevent)))}
    result = ImportResult()
    for key, values in seats_in_file.items():
        seat = existing.get(key)
        wanted = {"name": values["name"], "zone_name": values["section"], "row_name": values["row"],
                  "seat_number": values["number"], "blocked": values["blocked"]}
        if seat is None:
            db.session.add(Seat(event_id=event.id, subevent_id=subevent.id if subevent else None, seat_guid=key,
                                **wanted))
            result.added += 1
        elif any(getattr(seat, k) != v for k, v in wanted.items()):
            for k, v in wanted.items():
                setattr(seat, k, v)
            result.updated += 1
        else:
            result.unchanged += 1
    db.session.flush()
    product_common.log(actor, event, "seats.imported", {"subevent": subevent.name if subevent else None,
                                                 "added": result.added, "updated": result.updated,
                                                 "unchanged": result.unchanged})
    return result


def _same_date(subevent: SubEvent | None):
    return Seat.subevent_id.is_(None) if subevent is None else Seat.subevent_id == subevent.id


# --- the list -----------------------------------------------------------------------------------------

@dataclass
class SeatFilters:
    section: str | None = None
    blocked: str | None = None  # "yes", "no" or None
    subevent_id: int | None = None


def sections(event: Event) -> list[str]:
    return list(db.session.scalars(select(Seat.zone_name).where(Seat.event_id == event.id)
                                   .group_by(Seat.zone_name).order_by(Seat.zone_name)))


def seat_page(event: Event, filters: SeatFilters, page: int = 1) -> paging.Page:
    stmt = select(Seat).where(Seat.event_id == event.id)
    if filters.section is not None:
        stmt = stmt.where(Seat.zone_name == filters.section)
    if filters.blocked == "yes":
        stmt = stmt.where(Seat.blocked.is_(True))
    elif filters.blocked == "no":
        stmt = stmt.where(Seat.blocked.is_(False))
    if filters.subevent_id is not None:
        stmt = stmt.where(Seat.subevent_id == filters.subevent_id)
    stmt = stmt.order_by(Seat.subevent_id, Seat.zone_name, Seat.row_name, func.length(Seat.seat_number),
                         Seat.seat_number, Seat.id)
    return paging.paginate(stmt, page, per_page=100)


def sold_among(seats: list[Seat]) -> set[int]:
    """Ids of these seats held by a pending or paid order (availability's definition)."""
    return availability.seats_taken([s.id for s in seats])


def set_blocked(seat: Seat, *, actor: Actor, blocked: bool) -> bool:
    """Block a seat from sale, or release it; False when it already was. Blocking a sold seat
    keeps its ticket valid: it only stops the seat from being sold again."""
    event = db.session.get(Event, seat.event_id)
    product_common.lock_event(event)
    db.session.refresh(seat)
    if bool(seat.blocked) == blocked:
        return False
    seat.blocked = blocked
    product_common.log(actor, event, "seat.blocked" if blocked else "seat.unblocked", {"seat": seat.name})
    return True
