"""What the product pages share: the event's history for a page, reading forms, 404 for ids."""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import abort, flash, redirect, request

from ...domain import audit
from ...domain.errors import DomainError, NotFound
from ...domain.models import Event, LogEntry
from ...extensions import db
from ...i18n import translated

T = TypeVar("T")


def history(event: Event, prefixes: tuple[str, ...], limit: int = 50) -> list[LogEntry]:
    """The event's history entries about one kind of thing (e.g. 'item.', 'tax_rule.')."""
    return [e for e in audit.history(event, limit=500) if e.action_type.startswith(prefixes)][:limit]


def found(getter: Callable[..., T], *args) -> T:
    """The object, or 404 (ids of other events, or no id at all)."""
    try:
        return getter(*args)
    except NotFound:
        abort(404)


def form_values(names: tuple[str, ...], multi: tuple[str, ...] = ()) -> dict:
    """What was typed, for the domain and for showing it again."""
    values = {name: request.form.get(name, "") for name in names}
    for name in multi:
        values[name] = request.form.getlist(name)
    return values


def saved(message: str, target: str):
    """Commit and go back with the message (303: the browser does not post again); the message
    is kept in the page's language, as the session keeps text only."""
    db.session.commit()
    flash(translated(message), "success")
    return redirect(target, 303)


def refusal_context(error: DomainError, *, seen: str, current_seen: Callable[[], str]) -> dict:
    """After a refusal: the messages, and the version to carry (the current one after a stale
    refusal, so that saving again replaces the newer values)."""
    db.session.rollback()
    stale = error.code == "stale"
    return dict(error=error.message, errors=error.errors, stale=stale, seen=current_seen() if stale else seen)
