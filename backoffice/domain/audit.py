"""Writing the history: one LogEntry per change, in the same transaction as the change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from .models import ApiToken, Customer, Event, LogEntry, Order, Organizer, User, utcnow


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff user, an API token, or the system (CLI, background jobs)."""
    user: User | None = None
    token: ApiToken | None = None
    label: str = "system"

    @property
    def name(self) -> str:
        if self.user is not None:
            return self.user.display_name
        if self.token is not None:
            return f"API token {self.token.name}"
        return self.label


SYSTEM = Actor()


def _scope(obj: Any) -> tuple[int | None, int | None]:
    """(organizer_id, event_id) of an object, so histories can be filtered per organizer."""
    if isinstance(obj, Organizer):
        return obj.id, None
    if isinstance(obj, Event):
        return obj.organizer_id, obj.id
    if isinstance(obj, Order):
        return obj.event.organizer_id, obj.event_id
    if isinstance(obj, Customer):
        return obj.organizer_id, None
    order = getattr(obj, "order", None)
    if order is not None:
        return _scope(order)
    return None, None


def object_type(obj: Any) -> str:
    return obj.__tablename__


def log(actor: Actor, obj: Any, action: str, data: dict | None = None,
        now: datetime | None = None) -> LogEntry:
    """Record `action` (dotted past tense, e.g. ``order.paid``) on `obj`."""
    db.session.flush()  # obj needs its id
    organizer_id, event_id = _scope(obj)
    entry = LogEntry(
        datetime=now or utcnow(), organizer_id=organizer_id, event_id=event_id,
        object_type=object_type(obj), object_id=obj.id, action_type=action,
        user_id=actor.user.id if actor.user else None,
        api_token_id=actor.token.id if actor.token else None,
        data=_jsonable(data or {}),
    )
    db.session.add(entry)
    return entry


def history(obj: Any, limit: int = 200) -> list[LogEntry]:
    """Newest first."""
    stmt = (select(LogEntry)
            .where(LogEntry.object_type == object_type(obj), LogEntry.object_id == obj.id)
            .order_by(LogEntry.datetime.desc(), LogEntry.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
