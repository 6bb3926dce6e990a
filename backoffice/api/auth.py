"""Token authentication and the organizer/event of a URL.

`Authorization: Token <token>` of an active team token; no session cookie is read or set.
A missing, unknown or revoked token answers 401. An organizer or event that does not exist,
belongs to another organizer than the token's team, lies outside the team's events, or needs
a permission the team lacks answers 403, as seeds 000 and 003 say; an unknown object inside
an allowed event answers 404 (the views' domain lookups).
"""
from __future__ import annotations

from datetime import timedelta

from flask import request
from sqlalchemy import select

from ..domain import api_tokens, tx
from ..domain.audit import Actor
from ..domain.models import ApiToken, Event, Organizer, Team, utcnow
from ..domain.permissions import Permission, has_permission, visible_event_ids
from ..extensions import db
from ..plans import by_key
from .errors import detail

#: "last used" on the team page is a hint, not a log: one write a minute per token is enough,
#: and a read request then writes nothing
TOUCH_INTERVAL = timedelta(minutes=1)
TOKEN_KEY = "backoffice.api_token"


def _plain_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "token" or not value.strip():
        return None
    return value.strip()


def current_token() -> ApiToken:
    # kept on the request, not on `g`: an app context may outlive one request (tests, CLI)
    token = request.environ.get(TOKEN_KEY)
    if token is not None:
        return token
    plain = _plain_token()
    if plain is None:
        raise detail(401, "Authentication credentials were not provided.", {"WWW-Authenticate": "Token"})
    token = api_tokens.token_for(plain)
    if token is None:
        raise detail(401, "Invalid token.", {"WWW-Authenticate": "Token"})
    now = utcnow()
    if token.last_used is None or token.last_used < now - TOUCH_INTERVAL:
        token = _touch(token.id, now)
    request.environ[TOKEN_KEY] = token
    return token


def _touch(token_id: int, now) -> ApiToken:
    # its own short write transaction, so a read request never upgrades its snapshot to a writer
    db.session.commit()
    with tx.immediate():
        token = db.session.get(ApiToken, token_id, populate_existing=True)
        api_tokens.touch_token(token, now)
        db.session.commit()
    return token


def authenticate() -> None:
    """Before every API view but the documentation: no token, no answer (not even a 400)."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        current_token()


PUBLIC_ENDPOINTS = {"api.openapi_json", "api.docs_page"}


def actor() -> Actor:
    return Actor(token=current_token())


def teams() -> list[Team]:
    return [current_token().team]


def organizer_for(slug: str, permission: Permission) -> Organizer:
    """The token's organizer, when `slug` names it and the team has `permission` somewhere in it."""
    organizer = current_token().team.organizer  # read with the token (api_tokens.token_for)
    if organizer.slug != slug:
        raise detail(403, "The organizer does not exist or you have no permission to view it.")
    # a team limited to some events has the permission for those (organizer-wide lists show them)
    if not has_permission(teams(), permission):
        raise detail(403, "You do not have permission to perform this action.")
    return organizer


def event_for(organizer: Organizer, slug: str, permission: Permission) -> Event:
    event = db.session.scalar(by_key(select(Event).where(Event.organizer_id == organizer.id, Event.slug == slug)))
    if event is None or not has_permission(teams(), permission, event):
        raise detail(403, "The event does not exist or you have no permission to view it.")
    return event


def event_ids_for(organizer: Organizer, permission: Permission) -> list[int] | None:
    """Events of the organizer the token may use for `permission` (None: all of them)."""
    return visible_event_ids(teams(), organizer, permission)
