"""Events of an organizer: creating, changing, copying from another event.

Who may:
- change an event: a team with "manage events" for that event (all events, or a list holding it);
- create an event (also as a copy): a team with "manage events" on *all* events. A team limited
  to a list of events could not see the new event, and would otherwise add events beyond its
  list; the source of a copy must be one the actor may manage too.

Rules kept here:
- the short name (slug) is unique within the organizer and fixed once the event exists: it is
  part of every link already sent to customers (order pages, tickets);
- the currency, and whether the event is a series of dates, cannot change once the event has
  orders: their amounts and tickets were made under the old setting;
- a stale form (someone saved in between) is refused, as for organizer settings: the form
  carries a version of the values it showed (versions.py);
- every creation and change is written to the event's history.
"""
from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from . import audit, organizer_settings as settings, parsing, tx
from .audit import Actor
from .errors import Conflict, FieldErrors, Forbidden, Invalid, NotFound
from .models import Event, Order, Organizer, Team
from .organizers_setup import clean_slug
from .permissions import Permission, has_permission, visible_events
from .providers import PROVIDERS
from .teams import actor_teams
from .versions import version_of
from .texts import T_

#: the editable fields, in the order the form shows them
FIELDS = ("name", "slug", "date_from", "date_to", "timezone", "location", "currency", "locale", "locales",
          "payment_term_days", "payment_providers", "has_subevents", "require_approval", "invoicing",
          "ticket_download", "ticket_download_pending", "testmode", "has_seating",
          "attendee_names_required", "attendee_emails_required")
SWITCHES = ("has_subevents", "require_approval", "invoicing", "ticket_download", "ticket_download_pending",
            "testmode", "has_seating", "attendee_names_required", "attendee_emails_required")
LABELS = {
    "name": "Name", "slug": "Short name", "date_from": "Start", "date_to": "End", "timezone": "Time zone",
    "location": "Location", "currency": "Currency", "locale": "Default language", "locales": "Languages",
    "payment_term_days": "Payment term in days", "payment_providers": "Payment methods",
    "has_subevents": "A series of dates", "require_approval": "Orders need approval",
    "invoicing": "Invoices", "ticket_download": "Ticket downloads",
    "ticket_download_pending": "Ticket downloads for pending orders", "testmode": "Test mode",
    "has_seating": "Seats", "attendee_names_required": "Attendee names required",
    "attendee_emails_required": "Attendee emails required",
}
#: the labels as they stand inside a sentence ("Enter the name.")
INLINE_LABELS = {"name": T_("name"), "location": T_("location"), "date_from": T_("start"), "date_to": T_("end")}
DATE_LABELS = {"date_from": T_("start date"), "date_to": T_("end date")}
MAX_LENGTH = {"name": 200, "location": 200}
MAX_PAYMENT_TERM = 365
RESERVED_EVENT_SLUGS = frozenset({"new"})
STALE_EVENT_MESSAGE = (T_("This event was changed by someone else since you opened the form. The values now "
                          "saved are listed below; your entries are kept: save again to replace them."))
NOT_ALLOWED_CREATE = (T_("Creating events needs the permission “manage events” on all events of the organizer; "
                         "your team has it for some events only, or not at all."))


# --- reading -------------------------------------------------------------------------------------

def get_event(organizer: Organizer, slug: Any) -> Event:
    event = (db.session.scalar(select(Event).where(Event.organizer_id == organizer.id, Event.slug == slug))
             if isinstance(slug, str) and slug else None)
    if event is None:
        raise NotFound(T_("There is no such event."), code="event_not_found")
    return event


def current_values(event: Event) -> dict[str, Any]:
    values = {field: getattr(event, field) for field in FIELDS}
    values["locales"] = list(event.locales or [event.locale])
    values["payment_providers"] = list(event.payment_providers or [])
    values["location"] = event.location or None
    return values


def version(event: Event) -> str:
    return version_of(current_values(event))


def has_orders(event: Event) -> bool:
    return db.session.scalar(select(Order.id).where(Order.event_id == event.id).limit(1)) is not None


def may_create_event(actor: Actor, organizer: Organizer, teams: list[Team] | None = None) -> bool:
    """`teams`: the actor's teams of the organizer when already loaded."""
    if actor.user is None and actor.token is None:
        return True
    teams = actor_teams(actor, organizer) if teams is None else teams
    return any(team.all_events and team.can_manage_events for team in teams)


def may_manage(actor: Actor, event: Event, teams: list[Team] | None = None) -> bool:
    if actor.user is None and actor.token is None:
        return True
    teams = actor_teams(actor, event.organizer) if teams is None else teams
    return has_permission(teams, Permission.MANAGE_EVENTS, event)


def default_values(organizer: Organizer) -> dict[str, Any]:
    """A new event starts with the organizer's zone, currency and language."""
    return dict(name="", slug="", date_from=None, date_to=None, timezone=organizer.timezone, location="",
                currency=organizer.currency, locale=organizer.default_locale, locales=[organizer.default_locale],
                payment_term_days=14, payment_providers=list(PROVIDERS), has_subevents=False,
                require_approval=False, invoicing=True, ticket_download=True, ticket_download_pending=False,
                testmode=False, has_seating=False, attendee_names_required=False, attendee_emails_required=False)


# --- checking the values -------------------------------------------------------------------------

def _text(field: str, raw: Any, *, required: bool = False) -> str | None:
    text = raw.strip() if isinstance(raw, str) else ""
    label = INLINE_LABELS[field]
    if not text:
        if required:
            raise Invalid(T_("Enter the %(label)s.", label=label), code="required", field=field)
        return None
    if len(text) > MAX_LENGTH[field]:
        raise Invalid(T_("The %(label)s is too long: at most %(limit)s characters (it has %(length)s).",
                         label=label, limit=f"{MAX_LENGTH[field]:,}", length=f"{len(text):,}"),
                      code="too_long", field=field)
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")), None)
    if bad is not None:
        raise Invalid(T_("The %(label)s must not contain line breaks or control characters (found U+%(character)s).",
                         label=label, character=f"{ord(bad):04X}"),
                      code="control_character", field=field)
    return text


def _switch(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    return isinstance(raw, str) and raw.strip().lower() in ("on", "true", "1", "yes")


def _list(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return [str(part).strip() for part in raw if str(part).strip()]


def _moment(field: str, raw: Any, zone: str) -> datetime | None:
    if isinstance(raw, datetime):
        return parsing.parse_moment(raw, zone, label=INLINE_LABELS[field], field=field)
    return parsing.parse_moment(raw, zone, label=DATE_LABELS[field], field=field)


def clean_values(raw: dict[str, Any], organizer: Organizer | None = None) -> dict[str, Any]:
    """The values to save from what a form or program sent; Invalid names every refused field.

    Switches absent from `raw` are off (an unticked checkbox sends nothing); dates without an
    offset are read in the event's time zone. With `organizer`, the slug must be free in it."""
    errors = FieldErrors()
    values: dict[str, Any] = {}
    with errors.check("name"):
        values["name"] = _text("name", raw.get("name"), required=True)
    with errors.check("slug"):
        values["slug"] = clean_slug(raw.get("slug"), what="event")
        if values["slug"] in RESERVED_EVENT_SLUGS:
            raise Invalid(T_("The short name “%(slug)s” is used by the back office itself: choose another.",
                             slug=values['slug']),
                          code="slug_reserved", field="slug")
        if organizer is not None:
            _ensure_slug_free(organizer, values["slug"])
    zone = "UTC"
    with errors.check("timezone"):
        values["timezone"] = zone = settings.clean_timezone(raw.get("timezone"))
    with errors.check("date_from"):
        values["date_from"] = _moment("date_from", raw.get("date_from"), zone)
        if values["date_from"] is None:
            raise Invalid(T_("Enter the start date and time of the event."), code="required", field="date_from")
    with errors.check("date_to"):
        values["date_to"] = _moment("date_to", raw.get("date_to"), zone)
        start = values.get("date_from")
        if values["date_to"] is not None and start is not None and values["date_to"] < start:
            raise Invalid(T_("The end must not be before the start."), code="end_before_start", field="date_to")
    with errors.check("location"):
        values["location"] = _text("location", raw.get("location"))
    with errors.check("currency"):
        values["currency"] = settings.clean_currency(raw.get("currency"))
    with errors.check("locale"):
        values["locale"] = settings.clean_language(raw.get("locale"), field="locale", label=T_("default language"))
    with errors.check("locales"):
        values["locales"] = _locales(raw.get("locales"), values.get("locale"))
    with errors.check("payment_term_days"):
        term = parsing.parse_integer(raw.get("payment_term_days"), minimum=0, maximum=MAX_PAYMENT_TERM,
                                     label=T_("payment term"), field="payment_term_days")
        if term is None:
            raise Invalid(T_("Enter the payment term in days, for example 14."), code="required",
                          field="payment_term_days")
        values["payment_term_days"] = term
    with errors.check("payment_providers"):
        values["payment_providers"] = _providers(raw.get("payment_providers"))
    for switch in SWITCHES:
        values[switch] = _switch(raw.get(switch))
    if not values["ticket_download"]:
        values["ticket_download_pending"] = False  # nothing to download at all
    errors.raise_if_any()
    return values


def _locales(raw: Any, default: str | None) -> list[str]:
    codes: list[str] = []
    for code in _list(raw)[:50]:
        cleaned = settings.clean_language(code, field="locales")
        if cleaned not in codes:
            codes.append(cleaned)
    if default and default not in codes:
        codes.insert(0, default)
    return codes


def _providers(raw: Any) -> list[str]:
    chosen = _list(raw)
    unknown = [p for p in chosen if p not in PROVIDERS]
    if unknown:
        shown = unknown[0][:40]
        raise Invalid(T_("“%(shown)s” is not a payment method of the back office: choose among "
                         "%(methods)s.",
                         shown=shown, methods=', '.join(p.name for p in PROVIDERS.values())), code="provider_unknown",
                      field="payment_providers")
    if not chosen:
        raise Invalid(T_("Enable at least one payment method."), code="required", field="payment_providers")
    return [p for p in PROVIDERS if p in chosen]  # the registry's order


def _ensure_slug_free(organizer: Organizer, slug: str, event: Event | None = None) -> None:
    stmt = select(Event.id).where(Event.organizer_id == organizer.id, Event.slug == slug)
    if event is not None:
        stmt = stmt.where(Event.id != event.id)
    if db.session.scalar(stmt) is not None:
        raise Invalid(T_("Another event of this organizer uses the short name “%(slug)s” already: choose another.",
                         slug=slug),
                      code="slug_taken", field="slug")


# --- saving ---------------------------------------------------------------------------------------

def create_event(organizer: Organizer, *, actor: Actor, values: dict[str, Any],
                 copy_from: Event | None = None) -> Event:
    """A new event; with `copy_from`, its products, quotas, questions (see events_copy)."""
    if not may_create_event(actor, organizer):
        raise Forbidden(NOT_ALLOWED_CREATE, code="event_create_forbidden")
    if copy_from is not None and (copy_from.organizer_id != organizer.id or not may_manage(actor, copy_from)):
        raise NotFound(T_("There is no such event to copy from."), code="event_not_found")
    db.session.flush()
    tx.lock(Organizer, organizer.id)  # two people creating the same short name wait for each other
    cleaned = clean_values(values, organizer)
    event = Event(organizer_id=organizer.id, **cleaned)
    db.session.add(event)
    db.session.flush()
    data = {field: cleaned[field] for field in FIELDS}
    if copy_from is not None:
        from .events_copy import copy_products
        data["copied_from"] = copy_from.slug
        data["copied"] = copy_products(copy_from, event)
    audit.log(actor, event, "event.created", data=data)
    return event


def update_event(event: Event, *, actor: Actor, values: dict[str, Any], seen: str | None) -> list[str]:
    """Save the event's settings; returns the fields that changed. `values` holds every field (a
    partial change starts from `current_values(event)`); `seen` is the `version` the form showed
    (None skips the check: the system, or a program that sends no version)."""
    if not may_manage(actor, event):
        raise Forbidden(T_("Changing this event needs the permission “manage events” for it."),
                        code="event_change_forbidden")
    db.session.flush()
    tx.lock(Event, event.id)
    if seen is not None and seen != version(event):
        raise Conflict(STALE_EVENT_MESSAGE, code="stale")
    cleaned = clean_values({**values, "slug": event.slug})
    before = current_values(event)
    for field in ("date_from", "date_to"):
        # forms show minutes: a moment with seconds (from the API, a copy) is not changed by an untouched field
        if before[field] is not None and cleaned[field] == before[field].replace(second=0, microsecond=0):
            cleaned[field] = before[field]
    changed = [field for field in FIELDS if before[field] != cleaned[field]]
    if not changed:
        return []
    locked = [f for f in ("currency", "has_subevents") if f in changed]
    if locked and has_orders(event):
        field = locked[0]
        message = (T_("The currency cannot change: this event has orders, made under the current setting.")
                   if field == "currency" else
                   T_("The choice of a single date or a series of dates cannot change: this event has orders, "
                      "made under the current setting."))
        raise Invalid(message,
                      code="event_has_orders", field=field)
    if "has_subevents" in changed and not cleaned["has_subevents"] and event.subevents:
        raise Invalid(T_("This event has dates of a series: delete them before making it a single date."),
                      code="event_has_subevents", field="has_subevents")
    for field in changed:
        setattr(event, field, cleaned[field])
    audit.log(actor, event, "event.changed", data={f: {"old": before[f], "new": cleaned[f]} for f in changed})
    return changed


def order_count(event: Event) -> int:
    return db.session.scalar(select(func.count(Order.id)).where(Order.event_id == event.id)) or 0


def manageable_events(teams: list[Team], organizer: Organizer) -> list[Event]:
    """Events the teams may manage (sources a copy may come from), by date."""
    return visible_events(teams, organizer, Permission.MANAGE_EVENTS)
