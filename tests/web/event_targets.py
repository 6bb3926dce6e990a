"""What the hostile-input walk (test_hostile_input.py) needs for the event, date and
organizer-creation pages: their pages to read forms from, their URL values, current versions."""
from __future__ import annotations

from sqlalchemy import select

from backoffice.domain import events, events_dates
from backoffice.domain.models import Event, SubEvent
from backoffice.extensions import db


def _subevent(site) -> SubEvent | None:
    return db.session.scalar(select(SubEvent).where(SubEvent.event_id == site.event.id).order_by(SubEvent.id))


def event_values(site) -> dict:
    subevent = _subevent(site)
    return {"subevent_id": str(subevent.id) if subevent else "1"}


def event_pages(site) -> list[str]:
    base = f"/{site.organizer.slug}/events"
    date = event_values(site)["subevent_id"]
    return ["/organizers/new", f"{base}/new", f"{base}/new?copy_from={site.event.slug}",
            f"{base}/{site.event.slug}/settings", f"{base}/{site.event.slug}/dates/",
            f"{base}/{site.event.slug}/dates/{date}/edit", f"{base}/{site.event.slug}/dates/{date}/delete"]


def event_seen(endpoint: str, site) -> str | None:
    """The version a form of `endpoint` must carry now; None when it carries none."""
    if endpoint == "events.edit_event":
        return events.version(db.session.get(Event, site.event.id))
    if endpoint == "events.edit_date":
        subevent = _subevent(site)
        return events_dates.version(subevent) if subevent else None
    return None
