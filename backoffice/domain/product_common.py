"""What the pages configuring an event (products, tax rules, quotas, questions, seats) share:
reading typed values from forms, finding a row of the event by the id in a URL, refusing a stale
save, and writing the change to the event's history.

Products, quotas and questions have no `last_modified`; a form carries a version of the values it
showed (versions.version_of), and a save whose version differs is refused as stale.
"""
from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any, TypeVar

from ..extensions import db
from . import audit, parsing, tx
from .audit import Actor
from .errors import Conflict, Invalid, NotFound
from .texts import T_, capitalized
from .models import Event
from .versions import version_of

T = TypeVar("T")

#: a price above this is a typing mistake rather than a ticket
MAX_PRICE = Decimal("1000000.00")
TRUE_WORDS = {"1", "true", "on", "yes", "y"}
FALSE_WORDS = {"", "0", "false", "off", "no", "n"}


def stale_message(what: str) -> str:
    return T_("%(what)s was changed by someone else since you opened the form. "
              "The values now saved are shown; your entries are kept: save again to replace them.",
              what=capitalized(what))


def clean_text(raw: Any, *, field: str, label: str, limit: int, required: bool = False,
               multiline: bool = False) -> str:
    """Trimmed text without control characters; '' when empty and optional."""
    text = raw if isinstance(raw, str) else ("" if raw is None else str(raw))
    text = text.replace("\r\n", "\n").strip()
    if not text:
        if required:
            raise Invalid(T_("Enter the %(label)s.", label=label), code="required", field=field)
        return ""
    if len(text) > limit:
        raise Invalid(T_("The %(label)s is too long: at most %(limit)s characters (it has %(length)s).",
                         label=label, limit=f"{limit:,}", length=f"{len(text):,}"),
                      code="too_long", field=field)
    allowed = "\n\t" if multiline else ""
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") and c not in allowed), None)
    if bad is not None:
        raise Invalid(T_("The %(label)s must not contain line breaks or control characters (found U+%(character)s).",
                         label=label, character=f"{ord(bad):04X}"),
                      code="control_character", field=field)
    return text


def clean_bool(raw: Any, *, field: str, label: str) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw if raw is not None else "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Invalid(T_("Choose yes or no for %(label)s.", label=label), code="invalid", field=field)


def clean_price(raw: Any, *, field: str, label: str, required: bool = True) -> Decimal | None:
    amount = parsing.parse_amount(raw, minimum=Decimal(0), label=label, field=field)
    if amount is None:
        if required:
            raise Invalid(T_("Enter the %(label)s, for example 25.00 (0 for free).", label=label), code="required",
                          field=field)
        return None
    if amount > MAX_PRICE:
        raise Invalid(T_("The %(label)s is too large: at most %(max_price)s.", label=label,
                         max_price=f"{MAX_PRICE:,.2f}"),
                      code="amount_out_of_range",
                      field=field)
    return amount


def parse_ids(raw: Any, *, field: str, label: str) -> list[int]:
    """Ids from a multi-valued field; a value that is no id is refused."""
    values = raw if isinstance(raw, (list, tuple)) else ([] if raw in (None, "") else [raw])
    ids = []
    for value in values:
        if value in (None, ""):
            continue
        number = parsing.parse_id(value, label=label, field=field)
        if number not in ids:
            ids.append(number)
    return ids


def get_in_event(model: type[T], event: Event, raw_id: Any, what: str, *, event_of=None) -> T:
    """The row with this id belonging to `event`; NotFound for anything else (other events too)."""
    try:
        obj_id = parsing.parse_id(raw_id)
    except Invalid:
        obj_id = None
    obj = db.session.get(model, obj_id) if obj_id is not None else None
    owner = None if obj is None else (event_of(obj) if event_of else obj.event_id)
    if obj is None or owner != event.id:
        raise NotFound(T_("There is no such %(what)s in this event.", what=what), code="not_found")
    return obj


def check_version(current: dict, seen: str | None, what: str) -> None:
    """Refuse a save whose form showed other values than those saved now (None: no check)."""
    if seen is not None and seen != version_of(current):
        raise Conflict(stale_message(what), code="stale")


def lock_event(event: Event) -> None:
    """Saves of one event's configuration queue behind each other (PostgreSQL row lock)."""
    db.session.flush()
    tx.lock(Event, event.id)


def log(actor: Actor, event: Event, action: str, data: dict | None = None) -> None:
    audit.log(actor, event, action, data=data)


def changes(before: dict, after: dict) -> dict:
    """{field: {old, new}} of the values that differ."""
    return {k: {"old": before.get(k), "new": after[k]} for k in after if before.get(k) != after[k]}

