"""Staff accounts: creation and authentication with throttling of repeated failures."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..plans import by_key
from . import tx
from .errors import Conflict, Invalid
from .models import LoginFailure, Organizer, Team, User, utcnow
from .passwords import hash_password, verify_password
from .texts import T_

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_DELAY = timedelta(minutes=15)
LOGIN_FAILED = T_("Email address or password is wrong.")


class TooManyAttempts(Conflict):
    pass


def create_user(*, email: str, password: str, fullname: str = "") -> User:
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise Invalid(T_("This email address is not valid: %(reason)s", reason=str(e)), code="email_invalid",
                      field="email")
    if len(password) < 8:
        raise Invalid(T_("The password must have at least 8 characters."), code="password_too_short", field="password")
    if db.session.scalar(select(User).where(func.lower(User.email) == email.lower())):
        raise Invalid(T_("A user with this email address exists already."), code="email_taken", field="email")
    user = User(email=email, fullname=fullname, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def add_to_admin_team(user: User, organizer: Organizer) -> Team:
    """Make `user` a member of the organizer's full-permission team (created when missing)."""
    team = db.session.scalar(select(Team).where(Team.organizer_id == organizer.id, Team.name == "Administrators"))
    if team is None:
        team = Team(organizer=organizer, name="Administrators", all_events=True,
                    can_view_orders=True, can_change_orders=True, can_view_customers=True,
                    can_change_customers=True, can_manage_events=True, can_manage_team=True)
        db.session.add(team)
    if user not in team.members:
        team.members.append(user)
    db.session.flush()
    return team


def required_delay(failures: int, threshold: int) -> timedelta:
    """Doubling wait after `threshold` failures: 1 s, 2 s, 4 s … up to 15 minutes."""
    if failures < threshold:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - threshold)), MAX_DELAY)


def authenticate(*, email: str, password: str, address: str, threshold: int = 5,
                 now: datetime | None = None) -> User:
    """The user for these credentials, or Invalid (same message whether or not the email exists).

    Failures count per client address and per account (the email as typed): guessing one
    account from many addresses, or many accounts from one address, is slowed down alike, and
    a successful login clears only the failures of its own account. The check, the password
    verification and the record of a failure happen under a lock on both, so parallel guesses
    wait for each other and see each other's failures.
    """
    account = email.strip().lower()[:254]
    address = address[:64]
    _lock_login(address, account)
    started = now or utcnow()
    _ensure_not_throttled(LoginFailure.address == address, T_("from your address"), threshold, started)
    _ensure_not_throttled(LoginFailure.account == account, T_("for this account"), threshold, started)
    user = db.session.scalar(select(User).where(func.lower(User.email) == account))
    # verify against a dummy hash when the user does not exist, so timing reveals nothing
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    # the time after verifying: the next guess waiting for the lock counts from here
    now = now or utcnow()
    if not ok or user is None or not user.is_active:
        db.session.add(LoginFailure(address=address, account=account, datetime=now))
        db.session.flush()
        raise Invalid(LOGIN_FAILED, code="login_failed")
    db.session.execute(delete(LoginFailure).where(LoginFailure.account == account))
    user.last_login = now
    return user


def _lock_login(address: str, account: str) -> None:
    """Serialize logins per address and per account until the transaction ends.

    PostgreSQL: transaction-level advisory locks, always the address first, so that two
    logins never wait for each other in a circle. SQLite: beginning the transaction with
    BEGIN IMMEDIATE takes the database's write lock (see tx.py), which serializes logins.
    """
    if tx.is_sqlite():
        with tx.immediate():
            db.session.execute(text("SELECT 1"))
        return
    for key in (f"login-address:{address}", f"login-account:{account}"):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def _ensure_not_throttled(which, whose: str, threshold: int, now: datetime) -> None:
    failures = list(db.session.scalars(
        select(LoginFailure.datetime).where(which, LoginFailure.datetime > now - THROTTLE_WINDOW)
        .order_by(LoginFailure.datetime.desc())))
    wait = required_delay(len(failures), threshold)
    if failures and failures[0] + wait > now:
        seconds = int((failures[0] + wait - now).total_seconds()) + 1
        raise TooManyAttempts(T_("Too many failed logins %(whose)s. Try again in %(seconds)s seconds.",
                                 whose=whose, seconds=seconds),
                              code="login_throttled")


def set_password(user: User, password: str) -> None:
    """A new password for a staff user; it ends every session the user has open."""
    if len(password) < 8:
        raise Invalid(T_("The password must have at least 8 characters."), code="password_too_short", field="password")
    user.password_hash = hash_password(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Log the user out everywhere: session cookies carry the version they were made with."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


_DUMMY_HASH = hash_password("not a real password")


def session_user(user_id: int) -> User | None:
    """The user of a signed-in request, with their teams and those teams' organizers in the same
    query: nearly every page checks a permission and shows the organizer switcher, and reading
    them here saves a round trip each (on PostgreSQL a large part of a small page's time)."""
    return db.session.scalars(by_key(
        select(User).where(User.id == user_id)
        .options(joinedload(User.teams).joinedload(Team.organizer)))).unique().one_or_none()
