"""Inviting staff by email, and the one-time link an invited person sets their password with.

A new person gets an account without a usable password and a link to set one; a person who
has an account already is added and told so. The link's token is stored only as a hash and is
hidden in the outbox (queue_mail's `secret`), so no other staff member can use it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from . import audit, codes, tx
from .audit import Actor
from .errors import Conflict, Invalid, NotFound
from .models import OutboxEmail, Organizer, Team, User, utcnow
from .passwords import UNUSABLE
from .staff import set_password
from .permissions import teams_of
from .teams import Grant, begin, ensure_may_give
from .api_tokens import token_hash
from .texts import T_

INVITATION_VALID = timedelta(days=7)
MAX_EMAIL = 254
#: what staff.set_password asks for
MIN_PASSWORD_LENGTH = 8
LINK_DEAD = (T_("This link is no longer valid. It may have been used already, replaced by a newer invitation, "
                "or expired. Ask the person who invited you to invite you again."))


def clean_email(raw: Any) -> str:
    value = (raw if isinstance(raw, str) else "").strip()
    if not value:
        raise Invalid(T_("Enter the email address of the person to invite."), code="email_missing", field="email")
    if len(value) > MAX_EMAIL:
        raise Invalid(T_("This email address is too long: at most %(max_email)s characters.",
                         max_email=MAX_EMAIL), code="email_invalid",
                      field="email")
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise Invalid(T_("This email address is not valid: %(reason)s", reason=str(e)), code="email_invalid",
                      field="email")


def has_password(user: User) -> bool:
    return bool(user.password_hash) and not user.password_hash.startswith("!")


@dataclass(frozen=True)
class Invitation:
    user: User
    link_sent: bool  # a set-password link (the person has no password yet)
    resent: bool     # they were in the team already, waiting for their link: a new link replaces it


def invite(team: Team, *, email: Any, actor: Actor, now: datetime | None = None) -> Invitation:
    """Add the person with this email to the team, creating their account when there is none.

    Inviting someone who is in the team but never set their password sends a new link (the old
    one may have expired)."""
    now = now or utcnow()
    organizer = team.organizer
    begin(organizer)
    email = clean_email(email)
    ensure_may_give(actor, organizer, Grant.of(team))
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    created = user is None
    if created:
        user = User(email=email, fullname="", password_hash=UNUSABLE)
        db.session.add(user)
    elif not user.is_active_user:
        raise Invalid(T_("The account of %(email)s is deactivated. Reactivate it before adding it to a team.",
                         email=user.email),
                      code="user_inactive", field="email")
    elif user in team.members and has_password(user):
        raise Invalid(T_("%(email)s is a member of the team “%(name)s” already.",
                         email=user.email, name=team.name), code="already_member",
                      field="email")
    resent = user in team.members
    if not resent:
        team.members.append(user)
    db.session.flush()
    link_sent = not has_password(user)
    if link_sent:
        _send_link(user, organizer, team, actor, now)
    else:
        _queue(user, "staff_added", organizer, team=team, actor=actor, link=_login_url())
    audit.log(actor, organizer, "organizer.invitation_resent" if resent else "organizer.member_invited", now=now,
              data={"team": team.name, "email": user.email, "new_account": created, "password_link_sent": link_sent})
    return Invitation(user, link_sent, resent)


def _send_link(user: User, organizer: Organizer, team: Team, actor: Actor, now: datetime) -> OutboxEmail:
    """A new one-time link; it replaces an earlier one, which stops working."""
    token = codes.url_token()
    user.password_token_hash = token_hash(token)
    user.password_token_expires = now + INVITATION_VALID
    return _queue(user, "staff_invitation", organizer, team=team, actor=actor,
                  link=link_url(organizer, token), expires=user.password_token_expires)


def _queue(user: User, template: str, organizer: Organizer, **context) -> OutboxEmail:
    from ..mail import queue_mail
    # about no order or customer: the outbox shows it to those who see all of the organizer's mails,
    # with the link hidden
    return queue_mail(to=user.email, template=template, organizer_id=organizer.id,
                      context={"user": user, "organizer": organizer, **context})


def link_url(organizer: Organizer, token: str) -> str:
    from ..mail import absolute_url
    adapter = current_app.url_map.bind("")
    return absolute_url(adapter.build("public_staff_account.set_password",
                                      {"organizer": organizer.slug, "token": token}))


def _login_url() -> str:
    from ..mail import absolute_url
    return absolute_url(current_app.url_map.bind("").build("auth.login", {}))


def user_for_token(organizer: Organizer, token: Any, now: datetime | None = None) -> User:
    """The person a link belongs to, while it still works (and they are in one of the
    organizer's teams: the organizer in the link is the one who invited them)."""
    now = now or utcnow()
    if not isinstance(token, str) or not token or len(token) > 200:
        raise NotFound(LINK_DEAD, code="token_invalid")
    user = db.session.scalar(select(User).where(User.password_token_hash == token_hash(token)))
    if user is None or not user.is_active_user or not teams_of(user, organizer):
        raise NotFound(LINK_DEAD, code="token_invalid")
    if user.password_token_expires is None or user.password_token_expires < now:
        raise NotFound(LINK_DEAD, code="token_invalid")
    return user


def set_password_with_token(*, organizer: Organizer, token: Any, password: Any,
                            now: datetime | None = None) -> User:
    """The invited person sets their password: the link is used up."""
    now = now or utcnow()
    user = tx.lock(User, user_for_token(organizer, token, now).id)
    if user is None or user.password_token_hash != token_hash(token):
        raise Conflict(T_("This link was just used or replaced. Ask for a new invitation."), code="token_invalid")
    if not isinstance(password, str):
        raise Invalid(T_("Enter a password."), code="password_missing", field="password")
    if len(password) > 1000:
        raise Invalid(T_("The password is too long: at most 1000 characters."), code="password_too_long",
                      field="password")
    set_password(user, password)
    user.password_token_hash = None
    user.password_token_expires = None
    audit.log(Actor(user=user), organizer, "organizer.invitation_accepted", data={"email": user.email}, now=now)
    return user
