"""Customer accounts of an organizer (seed 000, with the extras of 002 and 004)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .organizers import Organizer
from .types import UTCDateTime, utcnow


class Customer(db.Model):
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("organizer_id", "identifier"),
        Index("ix_customer_organizer_joined", "organizer_id", "date_joined"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizer.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(7), index=True)
    external_identifier: Mapped[str | None] = mapped_column(String(255), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    name_parts: Mapped[dict] = mapped_column(JSON, default=lambda: {"_scheme": "full"})
    name_cached: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    date_joined: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # One-time password-set link: only the hash of the newest token is kept.
    password_token_hash: Mapped[str | None] = mapped_column(String(128))
    password_token_expires: Mapped[datetime | None] = mapped_column(UTCDateTime)
    company: Mapped[str | None] = mapped_column(String(255))
    street: Mapped[str | None] = mapped_column(String(255))
    address_line2: Mapped[str | None] = mapped_column(String(255))
    zipcode: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    # None: never asked; True: opted in; False: opted out
    marketing_consent: Mapped[bool | None] = mapped_column(Boolean)
    marketing_opted_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marketing_opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # what the searches look in (domain/search_index.py keeps it)
    search_text: Mapped[str | None] = mapped_column(Text)

    organizer: Mapped[Organizer] = relationship()
    tag_rows: Mapped[list["CustomerTag"]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="CustomerTag.name")

    @property
    def name(self) -> str | None:
        return self.name_cached

    @property
    def tags(self) -> list[str]:
        return [t.name for t in self.tag_rows]

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None


# email is unique per organizer regardless of case
Index("uq_customer_organizer_email_lower", Customer.organizer_id, func.lower(Customer.email), unique=True)


class CustomerTag(db.Model):
    __tablename__ = "customer_tag"
    __table_args__ = (
        UniqueConstraint("customer_id", "name"),
        Index("ix_customer_tag_organizer_name", "organizer_id", "name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizer.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(back_populates="tag_rows")
