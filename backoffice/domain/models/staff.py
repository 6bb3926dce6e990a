"""Staff users, their teams per organizer, and API tokens."""
from __future__ import annotations

import datetime as dt
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .organizers import Event, Organizer
from .types import UTCDateTime, utcnow

team_member = Table(
    "team_member", db.metadata,
    Column("team_id", ForeignKey("team.id"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True, index=True),
)
team_event = Table(
    "team_event", db.metadata,
    Column("team_id", ForeignKey("team.id"), primary_key=True),
    Column("event_id", ForeignKey("event.id"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    fullname: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active_user: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # part of the id kept in the session cookie: raising it (logout, new password) ends every
    # session of the user, also cookies copied before
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # the one-time link of an invitation (sha256 of its token; the token is only in the mail)
    password_token_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    password_token_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the language of the back office for this user; None: the browser's choice
    locale: Mapped[str | None] = mapped_column(String(16))

    teams: Mapped[list["Team"]] = relationship(secondary=team_member, back_populates="members")

    @property
    def is_active(self) -> bool:
        return self.is_active_user

    @property
    def display_name(self) -> str:
        return self.fullname or self.email

    def get_id(self) -> str:
        """What the session cookie stores: the user and the version of their sessions."""
        return f"{self.id}:{self.session_version}"


class Team(db.Model):
    __tablename__ = "team"
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizer.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    all_events: Mapped[bool] = mapped_column(Boolean, default=True)
    can_view_orders: Mapped[bool] = mapped_column(Boolean, default=True)
    can_change_orders: Mapped[bool] = mapped_column(Boolean, default=False)
    can_view_customers: Mapped[bool] = mapped_column(Boolean, default=True)
    can_change_customers: Mapped[bool] = mapped_column(Boolean, default=False)
    can_manage_events: Mapped[bool] = mapped_column(Boolean, default=False)
    can_manage_team: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # moved by every edit of the team itself: a form opened before is refused as stale
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)

    organizer: Mapped[Organizer] = relationship()
    members: Mapped[list[User]] = relationship(secondary=team_member, back_populates="teams")
    limit_events: Mapped[list[Event]] = relationship(secondary=team_event)
    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="team")


class ApiToken(db.Model):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # sha256 of the token; the token itself is shown once at creation
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship(back_populates="tokens")


class LoginFailure(db.Model):
    """Failed staff logins per client address and per account, to slow down password guessing."""
    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    # the email as typed (lower case), whether or not such a user exists
    account: Mapped[str | None] = mapped_column(String(254), index=True)
    datetime: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
