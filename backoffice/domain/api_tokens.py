"""API tokens of a team: made with a name, shown once, stored only as a hash, revocable.

A token acts with its team's permissions, so creating one gives those rights to whoever holds
it: only people who hold them may create it (teams.ensure_may_give).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..plans import by_key
from . import audit, parsing
from .audit import Actor
from .errors import Invalid, NotFound
from .models import ApiToken, LogEntry, Organizer, Team, utcnow
from .teams import MAX_NAME, Grant, begin, ensure_may_give
from .texts import T_

#: tokens are 43 characters; anything much longer is not one of ours and is not even hashed
MAX_TOKEN_LENGTH = 200


def token_hash(token: str) -> str:
    # 256 random bits: a fast hash is enough, and lets every API request look the token up
    return hashlib.sha256(token.encode()).hexdigest()


def get_token(organizer: Organizer, token_id: Any) -> ApiToken:
    try:
        number = parsing.parse_id(token_id)
    except Invalid:
        number = None
    token = db.session.get(ApiToken, number) if number is not None else None
    if token is None or token.team.organizer_id != organizer.id:
        raise NotFound(T_("There is no such API token."), code="token_not_found")
    return token


def create_token(team: Team, *, name: Any, actor: Actor, now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token; returns it with its plain value, which is never stored nor shown again."""
    organizer = team.organizer
    begin(organizer)
    name = (name if isinstance(name, str) else "").strip()
    if not name:
        raise Invalid(T_("Enter a name for the token, e.g. the system that will use it."), code="name_missing",
                      field="name")
    if len(name) > MAX_NAME:
        raise Invalid(T_("The name is too long: at most %(max_name)s characters.",
                         max_name=MAX_NAME), code="name_too_long", field="name")
    ensure_may_give(actor, organizer, Grant.of(team))
    plain = secrets.token_urlsafe(32)
    token = ApiToken(team=team, name=name, token_hash=token_hash(plain), active=True, created=now or utcnow())
    db.session.add(token)
    db.session.flush()
    audit.log(actor, organizer, "organizer.token_created", data={"team": team.name, "token": name}, now=now)
    return token, plain


def revoke_token(token: ApiToken, *, actor: Actor, now: datetime | None = None) -> bool:
    """Stop the token working at once; False when it was revoked already."""
    organizer = token.team.organizer
    begin(organizer)
    if not token.active:
        return False
    token.active = False
    audit.log(actor, organizer, "organizer.token_revoked", data={"team": token.team.name, "token": token.name}, now=now)
    return True


def token_for(plain: Any) -> ApiToken | None:
    """The active token with this value (for the API's authentication), or None; with its team
    and the team's organizer, which every API request reads next (one round trip for all three)."""
    if not isinstance(plain, str) or not plain or len(plain) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(by_key(select(ApiToken).where(ApiToken.token_hash == token_hash(plain),
                                                           ApiToken.active.is_(True))
                                    .options(joinedload(ApiToken.team).joinedload(Team.organizer))))


def touch_token(token: ApiToken, now: datetime | None = None) -> None:
    """Record that the token was just used (shown as "last used" on the team page)."""
    token.last_used = now or utcnow()
    db.session.flush()


def drop_revoked_tokens(team: Team) -> None:
    """Before a team is deleted: its revoked tokens go too, unless the history names them."""
    for token in list(team.tokens):
        used = db.session.scalar(select(exists().where(LogEntry.api_token_id == token.id)))
        if used:
            raise Invalid(T_("The team “%(name)s” cannot be deleted: the history refers to changes made with its "
                             "API token “%(token_name)s”. Remove its members and permissions instead.",
                             name=team.name, token_name=token.name),
                          code="token_in_history")
        db.session.delete(token)
