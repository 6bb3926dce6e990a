"""The dates of an event that is a series (sub-events): adding, changing, deactivating, deleting.

A date that orders use is never deleted, only deactivated: its tickets, quotas and history must
stay readable. A date that quotas, seats, vouchers or check-in lists refer to is not deleted
either: those belong to it, and deleting them is a decision of its own. Every change is written
to the event's history (the date named in it). Permission: "manage events" for the event.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from . import audit, parsing, tx
from .audit import Actor
from .errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound
from .events import may_manage
from .models import CheckinList, Event, OrderPosition, Quota, Seat, SubEvent, Voucher
from .versions import version_of
from .texts import T_, Text, joined

FIELDS = ("name", "date_from", "date_to")
MAX_NAME = 200
STALE_DATE_MESSAGE = (T_("This date was changed by someone else since you opened the form. The values now saved "
                         "are listed below; your entries are kept: save again to replace them."))


def dates_of(event: Event) -> list[SubEvent]:
    stmt = select(SubEvent).where(SubEvent.event_id == event.id).order_by(SubEvent.date_from, SubEvent.id)
    return list(db.session.scalars(stmt))


def order_counts(event: Event) -> dict[int, int]:
    """Tickets (also canceled ones) per date, in one query."""
    stmt = (select(OrderPosition.subevent_id, func.count(OrderPosition.id))
            .join(SubEvent, SubEvent.id == OrderPosition.subevent_id)
            .where(SubEvent.event_id == event.id).group_by(OrderPosition.subevent_id))
    return dict(db.session.execute(stmt).all())


def get_date(event: Event, subevent_id: Any) -> SubEvent:
    try:
        number = parsing.parse_id(subevent_id)
    except Invalid:
        number = None
    subevent = db.session.get(SubEvent, number) if number is not None else None
    if subevent is None or subevent.event_id != event.id:
        raise NotFound(T_("There is no such date in this event."), code="subevent_not_found")
    return subevent


def current_values(subevent: SubEvent) -> dict[str, Any]:
    return {"name": subevent.name, "date_from": subevent.date_from, "date_to": subevent.date_to}


def version(subevent: SubEvent) -> str:
    return version_of(current_values(subevent))


def _ensure_may(actor: Actor, event: Event) -> None:
    if not may_manage(actor, event):
        raise Forbidden(T_("Changing the dates of this event needs the permission “manage events” for it."),
                        code="event_change_forbidden")
    if not event.has_subevents:
        raise Invalid(T_("This event is a single date: make it a series of dates in its settings first."),
                      code="event_not_a_series")


def clean_values(event: Event, *, name: Any, date_from: Any, date_to: Any) -> dict[str, Any]:
    errors = FieldErrors()
    values: dict[str, Any] = {}
    with errors.check("name"):
        text = name.strip() if isinstance(name, str) else ""
        if not text:
            raise Invalid(T_("Enter a name for the date, for example “Saturday evening”."), code="required",
                          field="name")
        if len(text) > MAX_NAME:
            raise Invalid(T_("The name is too long: at most %(max_name)s characters (it has %(length)s).",
                             max_name=MAX_NAME, length=f"{len(text):,}"),
                          code="too_long", field="name")
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise Invalid(T_("The name must not contain line breaks or control characters."),
                          code="control_character", field="name")
        values["name"] = text
    with errors.check("date_from"):
        values["date_from"] = parsing.parse_moment(date_from, event.timezone, label=T_("start date"), field="date_from")
        if values["date_from"] is None:
            raise Invalid(T_("Enter when the date starts."), code="required", field="date_from")
    with errors.check("date_to"):
        values["date_to"] = parsing.parse_moment(date_to, event.timezone, label=T_("end date"), field="date_to")
        start = values.get("date_from")
        if values["date_to"] is not None and start is not None and values["date_to"] < start:
            raise Invalid(T_("The end must not be before the start."), code="end_before_start", field="date_to")
    errors.raise_if_any()
    return values


def add_date(event: Event, *, actor: Actor, name: Any, date_from: Any, date_to: Any = None) -> SubEvent:
    _ensure_may(actor, event)
    values = clean_values(event, name=name, date_from=date_from, date_to=date_to)
    subevent = SubEvent(event_id=event.id, active=True, **values)
    db.session.add(subevent)
    db.session.flush()
    audit.log(actor, event, "event.date_added", data={"date": subevent.name, "date_id": subevent.id,
                                                      "date_from": subevent.date_from, "date_to": subevent.date_to})
    return subevent


def update_date(subevent: SubEvent, *, actor: Actor, name: Any, date_from: Any, date_to: Any,
                seen: str | None) -> list[str]:
    event = subevent.event
    _ensure_may(actor, event)
    db.session.flush()
    tx.lock(SubEvent, subevent.id)
    if seen is not None and seen != version(subevent):
        raise Conflict(STALE_DATE_MESSAGE, code="stale")
    values = clean_values(event, name=name, date_from=date_from, date_to=date_to)
    before = current_values(subevent)
    for field in ("date_from", "date_to"):
        # forms show minutes: seconds saved before are not changed by an untouched field
        if before[field] is not None and values[field] == before[field].replace(second=0, microsecond=0):
            values[field] = before[field]
    changed = [f for f in FIELDS if before[f] != values[f]]
    if not changed:
        return []
    for field in changed:
        setattr(subevent, field, values[field])
    data = {"date": subevent.name, "date_id": subevent.id}
    data.update({f: {"old": before[f], "new": values[f]} for f in changed})
    audit.log(actor, event, "event.date_changed", data=data)
    return changed


def set_date_active(subevent: SubEvent, *, actor: Actor, active: bool) -> bool:
    """Deactivate (no more sales; orders stay) or reactivate; False when nothing changed."""
    event = subevent.event
    _ensure_may(actor, event)
    tx.lock(SubEvent, subevent.id)
    if subevent.active == active:
        return False
    subevent.active = active
    audit.log(actor, event, "event.date_reactivated" if active else "event.date_deactivated",
              data={"date": subevent.name, "date_id": subevent.id})
    return True


def uses_of(subevent: SubEvent) -> list[str]:
    """What keeps a date from being deleted, in words; empty when nothing does."""
    def count(model, column) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(column == subevent.id)) or 0
    found = []
    for model, column, one, many in (
            (OrderPosition, OrderPosition.subevent_id, T_("1 ticket"), T_("%(count)s tickets")),
            (Quota, Quota.subevent_id, T_("1 quota"), T_("%(count)s quotas")),
            (Seat, Seat.subevent_id, T_("1 seat"), T_("%(count)s seats")),
            (Voucher, Voucher.subevent_id, T_("1 voucher"), T_("%(count)s vouchers")),
            (CheckinList, CheckinList.subevent_id, T_("1 check-in list"), T_("%(count)s check-in lists"))):
        n = count(model, column)
        if n:
            found.append(one if n == 1 else Text(many.template, {"count": f"{n:,}"}))
    return found


def delete_date(subevent: SubEvent, *, actor: Actor) -> None:
    event = subevent.event
    _ensure_may(actor, event)
    tx.lock(SubEvent, subevent.id)
    users = uses_of(subevent)
    if users:
        advice = (T_("deactivate it instead") if users[0].endswith(("ticket", "tickets"))
                  else T_("remove them first, or deactivate it"))
        raise Invalid(T_("The date “%(name)s” cannot be deleted: it has %(uses)s; %(advice)s.",
                         name=subevent.name, uses=joined(users, ", "), advice=advice),
                      code="subevent_in_use")
    audit.log(actor, event, "event.date_deleted", data={"date": subevent.name, "date_id": subevent.id,
                                                        "date_from": subevent.date_from})
    db.session.delete(subevent)
    db.session.flush()
