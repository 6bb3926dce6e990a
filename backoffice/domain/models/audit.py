"""The audit history of every object, and the outbox of emails."""
from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .staff import ApiToken, User
from .types import UTCDateTime, utcnow


class LogEntry(db.Model):
    __tablename__ = "log_entry"
    __table_args__ = (Index("ix_log_entry_object", "object_type", "object_id", "datetime"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    datetime: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    action_type: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
    api_token: Mapped[ApiToken | None] = relationship()


class OutboxStatus:
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry
    KEPT = "kept"      # delivery is off: the mail stays here to be read in the UI


class OutboxEmail(db.Model):
    __tablename__ = "outbox_email"
    __table_args__ = (Index("ix_outbox_email_status_next", "status", "next_attempt"),
                      Index("ix_outbox_email_object", "object_type", "object_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int | None] = mapped_column(ForeignKey("organizer.id"), index=True)
    # the event of the order a mail is about: who may see the mail follows who may see the order
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    # what staff may read: secret links (password links) are hidden in it
    body: Mapped[str] = mapped_column(Text)
    # the body with its secret links, as the recipient gets it; kept only until it is delivered,
    # so that afterwards only the recipient holds the link. None when there is nothing secret.
    body_to_send: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
