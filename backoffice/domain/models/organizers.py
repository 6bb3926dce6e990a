"""Organizers and everything an event is configured with."""
from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Column, ForeignKey, Integer, String, Table, Text,
                        UniqueConstraint)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .types import Money, UTCDateTime, utcnow


class Organizer(db.Model):
    __tablename__ = "organizer"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # "full" or "given_family": which fields make up a person's name
    name_scheme: Mapped[str] = mapped_column(String(20), default="full")
    locales: Mapped[list] = mapped_column(JSON, default=lambda: ["en", "de"])
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Berlin")
    # The issuer printed on invoices; an empty name means the organizer's name.
    invoice_issuer_name: Mapped[str | None] = mapped_column(String(200))
    invoice_issuer_address: Mapped[str | None] = mapped_column(Text)
    invoice_issuer_vat_id: Mapped[str | None] = mapped_column(String(255))
    #: what new events start with
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    default_locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")

    events: Mapped[list["Event"]] = relationship(back_populates="organizer", order_by="Event.date_from")


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("organizer_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizer.id"), index=True)
    slug: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Berlin")
    testmode: Mapped[bool] = mapped_column(Boolean, default=False)
    has_subevents: Mapped[bool] = mapped_column(Boolean, default=False)
    date_from: Mapped[datetime] = mapped_column(UTCDateTime)
    date_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    ticket_download: Mapped[bool] = mapped_column(Boolean, default=True)
    ticket_download_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    invoicing: Mapped[bool] = mapped_column(Boolean, default=True)
    payment_term_days: Mapped[int] = mapped_column(Integer, default=14)
    payment_providers: Mapped[list] = mapped_column(
        JSON, default=lambda: ["manual", "banktransfer", "boxoffice", "free"])
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the language mails fall back to; `locales` are the ones offered (None: just `locale`)
    locale: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    locales: Mapped[list | None] = mapped_column(JSON)
    #: new orders wait for a person to approve them
    require_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    has_seating: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    attendee_names_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    attendee_emails_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    organizer: Mapped[Organizer] = relationship(back_populates="events")
    items: Mapped[list["Item"]] = relationship(back_populates="event", order_by="Item.position")
    quotas: Mapped[list["Quota"]] = relationship(back_populates="event")
    subevents: Mapped[list["SubEvent"]] = relationship(back_populates="event", order_by="SubEvent.date_from")


class TaxRule(db.Model):
    __tablename__ = "tax_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(Money)
    price_includes_tax: Mapped[bool] = mapped_column(Boolean, default=True)


class SubEvent(db.Model):
    __tablename__ = "subevent"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    date_from: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    date_to: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    event: Mapped[Event] = relationship(back_populates="subevents")


class Item(db.Model):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    default_price: Mapped[Decimal] = mapped_column(Money)
    tax_rule_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rule.id"))
    admission: Mapped[bool] = mapped_column(Boolean, default=True)
    requires_seat: Mapped[bool] = mapped_column(Boolean, default=False)
    is_addon: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Validity: fixed window, or a number of days from purchase; neither means "the event".
    validity_fixed_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    validity_fixed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    validity_dynamic_days: Mapped[int | None] = mapped_column(Integer)
    #: an add-on sold only with this item; None with `is_addon` means with any admission item
    addon_of_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))

    event: Mapped[Event] = relationship(back_populates="items")
    tax_rule: Mapped[TaxRule | None] = relationship()
    addon_of: Mapped["Item | None"] = relationship(remote_side=[id])
    variations: Mapped[list["ItemVariation"]] = relationship(back_populates="item", order_by="ItemVariation.position")


class ItemVariation(db.Model):
    __tablename__ = "item_variation"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    value: Mapped[str] = mapped_column(String(200))
    default_price: Mapped[Decimal | None] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    item: Mapped[Item] = relationship(back_populates="variations")

    @property
    def price(self) -> Decimal:
        return self.default_price if self.default_price is not None else self.item.default_price


quota_item = Table(
    "quota_item", db.metadata,
    Column("quota_id", ForeignKey("quota.id"), primary_key=True),
    Column("item_id", ForeignKey("item.id"), primary_key=True, index=True),
)
quota_variation = Table(
    "quota_variation", db.metadata,
    Column("quota_id", ForeignKey("quota.id"), primary_key=True),
    Column("variation_id", ForeignKey("item_variation.id"), primary_key=True, index=True),
)


class Quota(db.Model):
    __tablename__ = "quota"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    subevent_id: Mapped[int | None] = mapped_column(ForeignKey("subevent.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int | None] = mapped_column(Integer)  # None: unlimited

    event: Mapped[Event] = relationship(back_populates="quotas")
    subevent: Mapped[SubEvent | None] = relationship()
    items: Mapped[list[Item]] = relationship(secondary=quota_item)
    variations: Mapped[list[ItemVariation]] = relationship(secondary=quota_variation)


question_item = Table(
    "question_item", db.metadata,
    Column("question_id", ForeignKey("question.id"), primary_key=True),
    Column("item_id", ForeignKey("item.id"), primary_key=True),
)


class Question(db.Model):
    __tablename__ = "question"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(190))
    question: Mapped[str] = mapped_column(Text)
    # pretix types: N number, S text, T multiline, B yes/no, C one choice, M several, D date,
    # EM email, TEL phone, CC country
    type: Mapped[str] = mapped_column(String(5), default="S")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: a question orders answered cannot be deleted, only deactivated
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    options: Mapped[list["QuestionOption"]] = relationship(back_populates="question", order_by="QuestionOption.position")
    items: Mapped[list[Item]] = relationship(secondary=question_item)


class QuestionOption(db.Model):
    __tablename__ = "question_option"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(190))
    answer: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer, default=0)

    question: Mapped[Question] = relationship(back_populates="options")


class Seat(db.Model):
    __tablename__ = "seat"
    __table_args__ = (UniqueConstraint("event_id", "subevent_id", "seat_guid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    subevent_id: Mapped[int | None] = mapped_column(ForeignKey("subevent.id"))
    seat_guid: Mapped[str] = mapped_column(String(190))
    name: Mapped[str] = mapped_column(String(190))
    zone_name: Mapped[str] = mapped_column(String(190), default="")
    row_name: Mapped[str] = mapped_column(String(190), default="")
    row_label: Mapped[str | None] = mapped_column(String(190))
    seat_number: Mapped[str] = mapped_column(String(190), default="")
    seat_label: Mapped[str | None] = mapped_column(String(190))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Voucher(db.Model):
    __tablename__ = "voucher"
    __table_args__ = (UniqueConstraint("event_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    max_usages: Mapped[int] = mapped_column(Integer, default=1)
    redeemed: Mapped[int] = mapped_column(Integer, default=0)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    variation_id: Mapped[int | None] = mapped_column(ForeignKey("item_variation.id"))
    quota_id: Mapped[int | None] = mapped_column(ForeignKey("quota.id"))
    subevent_id: Mapped[int | None] = mapped_column(ForeignKey("subevent.id"))
    # "none", "set", "subtract" or "percent", as pretix names them
    price_mode: Mapped[str] = mapped_column(String(20), default="none")
    value: Mapped[Decimal | None] = mapped_column(Money)
    comment: Mapped[str | None] = mapped_column(Text)


class CheckinList(db.Model):
    __tablename__ = "checkin_list"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    subevent_id: Mapped[int | None] = mapped_column(ForeignKey("subevent.id"))
    name: Mapped[str] = mapped_column(String(200))
    all_products: Mapped[bool] = mapped_column(Boolean, default=True)
    include_pending: Mapped[bool] = mapped_column(Boolean, default=False)


class Checkin(db.Model):
    __tablename__ = "checkin"
    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("checkin_list.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("order_position.id"), index=True)
    datetime: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    type: Mapped[str] = mapped_column(String(20), default="entry")
    gate: Mapped[int | None] = mapped_column(Integer)
    device_id: Mapped[int | None] = mapped_column(Integer)
    auto_checked_in: Mapped[bool] = mapped_column(Boolean, default=False)

    list: Mapped[CheckinList] = relationship()
