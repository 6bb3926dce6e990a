"""Writing the history: one LogEntry per change, in the same transaction as the change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_currency

from sqlalchemy import select

from ..extensions import db
from .models import ApiToken, Customer, Event, LogEntry, Order, OrderStatus, Organizer, User, utcnow
from .providers import provider_name
from .texts import T_


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
            return T_("API token %(name)s", name=self.token.name)
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


def history(obj: Any, limit: int | None = 200) -> list[LogEntry]:
    """Newest first."""
    stmt = (select(LogEntry)
            .where(LogEntry.object_type == object_type(obj), LogEntry.object_id == obj.id)
            .order_by(LogEntry.datetime.desc(), LogEntry.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


ERASED_VALUE = "(erased)"


def erase_values(obj: Any, keys: set[str]) -> int:
    """Replace what the history of `obj` stored under `keys` (at any depth) by ERASED_VALUE.

    Anonymizing must leave no personal data behind, also not an old email address in a
    "changed" entry; what happened, by whom and when stays readable. Returns the entries changed.
    """
    changed = 0
    for entry in history(obj, limit=None):
        erased = _erase(entry.data, keys)
        if erased != entry.data:
            entry.data = erased
            changed += 1
    return changed


def _erase(value: Any, keys: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: (ERASED_VALUE if k in keys and v not in (None, "", [], {}) else _erase(v, keys))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_erase(v, keys) for v in value]
    return value


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


# --- describing entries ---------------------------------------------------------------------------

#: keys whose values are amounts of money, order statuses, payment providers
MONEY_KEYS = {"amount", "cancellation_fee", "fee", "total", "price", "value", "paid", "refunded", "due",
              "refund", "kept"}
STATUS_KEYS = {"status", "previous_status", "new_status"}
PROVIDER_KEYS = {"provider", "payment_provider"}


def describe(entry: LogEntry, *, currency: str | None = None, tz: str = "UTC") -> list[tuple[str, str]]:
    """An entry's data as (label, text) pairs a person reads: "previous status" / "pending",
    amounts with their currency, moments in the given time zone, Yes/No, names of providers."""
    return [(_label(key), _text(key, value, currency, tz)) for key, value in (entry.data or {}).items()]


def _label(key: str) -> str:
    return str(key).replace("_", " ")


def _text(key: str, value: Any, currency: str | None, tz: str) -> str:
    if isinstance(value, dict):
        if set(value) == {"old", "new"}:
            return f"{_text(key, value['old'], currency, tz)} → {_text(key, value['new'], currency, tz)}"
        return "; ".join(f"{_label(k)}: {_text(k, v, currency, tz)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(key, v, currency, tz) for v in value) if value else "none"
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key in STATUS_KEYS and value in OrderStatus.LABELS:
        return OrderStatus.LABELS[value]
    if key in PROVIDER_KEYS:
        return provider_name(str(value))
    if key in MONEY_KEYS or key.endswith(("_fee", "_amount")):
        return _money(value, currency)
    if isinstance(value, str):
        return _moment(value, tz)
    return str(value)


def _money(value: Any, currency: str | None) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if currency:
        return format_currency(amount, currency, locale="en_US")
    return f"{amount:.2f}"


def _moment(text: str, tz: str) -> str:
    """ISO dates and times (as log() stores them) shown like every date on the pages; other text as is."""
    if len(text) < 10 or not text[:4].isdigit() or text[4:5] != "-":
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if len(text) == 10:
        return date.fromisoformat(text).isoformat()
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    try:
        return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    except OverflowError:  # typed text such as "0001-01-01T00:00+14:00" (a comment, a tag)
        return text
