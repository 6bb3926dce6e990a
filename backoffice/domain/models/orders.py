"""Orders and what they contain (seed 003)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint, func)
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from .customers import Customer
from .organizers import (Checkin, Event, Item, ItemVariation, Question, QuestionOption, Seat,
                         SubEvent, TaxRule, Voucher)
from .types import Money, UTCDateTime, utcnow


class OrderStatus:
    PENDING = "n"
    PAID = "p"
    EXPIRED = "e"
    CANCELED = "c"
    LABELS = {"n": "pending", "p": "paid", "e": "expired", "c": "canceled"}


class Order(db.Model):
    __tablename__ = "order"
    __table_args__ = (
        UniqueConstraint("event_id", "code"),
        Index("ix_order_event_datetime", "event_id", "datetime"),
        Index("ix_order_event_status", "event_id", "status"),
        Index("ix_order_event_last_modified", "event_id", "last_modified"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    code: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(1), default=OrderStatus.PENDING)
    testmode: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    sales_channel: Mapped[str] = mapped_column(String(64), default="web", index=True)
    datetime: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    expires: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    comment: Mapped[str] = mapped_column(Text, default="")
    api_meta: Mapped[dict] = mapped_column(JSON, default=dict)
    custom_followup_at: Mapped[dt.date | None] = mapped_column(Date)
    checkin_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    checkin_text: Mapped[str | None] = mapped_column(Text)
    require_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_if_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    cancellation_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_modified: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # what the searches look in (domain/search_index.py keeps it)
    search_text: Mapped[str | None] = mapped_column(Text)

    event: Mapped[Event] = relationship()
    customer: Mapped[Customer | None] = relationship()
    invoice_address: Mapped["InvoiceAddress | None"] = relationship(back_populates="order", uselist=False)
    all_positions: Mapped[list["OrderPosition"]] = relationship(
        back_populates="order", order_by="OrderPosition.positionid", foreign_keys="OrderPosition.order_id")
    all_fees: Mapped[list["OrderFee"]] = relationship(back_populates="order", order_by="OrderFee.id")
    payments: Mapped[list["OrderPayment"]] = relationship(back_populates="order", order_by="OrderPayment.local_id")
    refunds: Mapped[list["OrderRefund"]] = relationship(back_populates="order", order_by="OrderRefund.local_id")
    invoices: Mapped[list["Invoice"]] = relationship(back_populates="order", order_by="Invoice.id")

    @property
    def positions(self) -> list["OrderPosition"]:
        return [p for p in self.all_positions if not p.canceled]

    @property
    def fees(self) -> list["OrderFee"]:
        return [f for f in self.all_fees if not f.canceled]


# Email filters compare case-insensitively, like pretix's email__iexact.
Index("ix_order_email_lower", func.lower(Order.email))


class InvoiceAddress(db.Model):
    __tablename__ = "invoice_address"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), unique=True)
    last_modified: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_business: Mapped[bool] = mapped_column(Boolean, default=False)
    company: Mapped[str | None] = mapped_column(String(255), index=True)
    name_parts: Mapped[dict] = mapped_column(JSON, default=lambda: {"_scheme": "full"})
    name_cached: Mapped[str | None] = mapped_column(String(255), index=True)
    street: Mapped[str | None] = mapped_column(Text)
    zipcode: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[str | None] = mapped_column(String(100))
    internal_reference: Mapped[str | None] = mapped_column(Text)
    custom_field: Mapped[str | None] = mapped_column(String(255))
    vat_id: Mapped[str | None] = mapped_column(String(255))
    vat_id_validated: Mapped[bool] = mapped_column(Boolean, default=False)

    order: Mapped[Order] = relationship(back_populates="invoice_address")

    @property
    def name(self) -> str | None:
        return self.name_cached


class OrderPosition(db.Model):
    __tablename__ = "order_position"
    __table_args__ = (UniqueConstraint("order_id", "positionid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"))
    # the order's event, copied so that counting an event's tickets reads one index instead of
    # joining every ticket to its order; set on insert (below), and an order never changes event
    event_id: Mapped[int] = mapped_column(Integer)
    positionid: Mapped[int] = mapped_column(Integer)
    canceled: Mapped[bool] = mapped_column(Boolean, default=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    variation_id: Mapped[int | None] = mapped_column(ForeignKey("item_variation.id"), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    attendee_name_parts: Mapped[dict] = mapped_column(JSON, default=lambda: {"_scheme": "full"})
    attendee_name_cached: Mapped[str | None] = mapped_column(String(255), index=True)
    attendee_email: Mapped[str | None] = mapped_column(String(254))
    company: Mapped[str | None] = mapped_column(String(255))
    street: Mapped[str | None] = mapped_column(Text)
    zipcode: Mapped[str | None] = mapped_column(String(30))
    city: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[str | None] = mapped_column(String(100))
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("voucher.id"))
    voucher_budget_use: Mapped[Decimal | None] = mapped_column(Money)
    tax_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax_value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax_rule_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rule.id"))
    secret: Mapped[str] = mapped_column(String(64), index=True)
    addon_to_id: Mapped[int | None] = mapped_column(ForeignKey("order_position.id"))
    subevent_id: Mapped[int | None] = mapped_column(ForeignKey("subevent.id"), index=True)
    seat_id: Mapped[int | None] = mapped_column(ForeignKey("seat.id"), index=True)
    discount_id: Mapped[int | None] = mapped_column(Integer)
    # SQL NULL (not JSON null) when there is no block, so `blocked IS NULL` finds unblocked tickets
    blocked: Mapped[list | None] = mapped_column(JSON(none_as_null=True), default=None)
    valid_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pseudonymization_id: Mapped[str] = mapped_column(String(16), index=True)

    order: Mapped[Order] = relationship(back_populates="all_positions", foreign_keys=[order_id])
    item: Mapped[Item] = relationship()
    variation: Mapped[ItemVariation | None] = relationship()
    subevent: Mapped[SubEvent | None] = relationship()
    seat: Mapped[Seat | None] = relationship()
    voucher: Mapped[Voucher | None] = relationship()
    tax_rule: Mapped[TaxRule | None] = relationship()
    addon_to: Mapped["OrderPosition | None"] = relationship(remote_side=[id])
    answers: Mapped[list["Answer"]] = relationship(back_populates="position", order_by="Answer.id")
    checkins: Mapped[list["Checkin"]] = relationship(order_by="Checkin.datetime")

    @property
    def attendee_name(self) -> str | None:
        return self.attendee_name_cached


Index("ix_order_position_order", OrderPosition.order_id)
Index("ix_order_position_event_canceled", OrderPosition.event_id, OrderPosition.canceled)


@orm_event.listens_for(OrderPosition, "before_insert")
def _copy_event_of_order(mapper, connection, position: OrderPosition) -> None:
    # the order is written before its tickets, so its event id is known here
    position.event_id = position.order.event_id


answer_option = Table(
    "answer_option", db.metadata,
    Column("answer_id", ForeignKey("answer.id"), primary_key=True),
    Column("option_id", ForeignKey("question_option.id"), primary_key=True),
)


class Answer(db.Model):
    __tablename__ = "answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("order_position.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    answer: Mapped[str] = mapped_column(Text)

    position: Mapped[OrderPosition] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()
    options: Mapped[list[QuestionOption]] = relationship(secondary=answer_option)


class OrderFee(db.Model):
    __tablename__ = "order_fee"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    fee_type: Mapped[str] = mapped_column(String(20))  # payment, passbook, other, cancellation
    value: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(String(255), default="")
    internal_type: Mapped[str] = mapped_column(String(255), default="")
    tax_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax_value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax_rule_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rule.id"))
    canceled: Mapped[bool] = mapped_column(Boolean, default=False)

    order: Mapped[Order] = relationship(back_populates="all_fees")


class PaymentState:
    CREATED = "created"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELED = "canceled"
    FAILED = "failed"
    REFUNDED = "refunded"


class OrderPayment(db.Model):
    __tablename__ = "order_payment"
    __table_args__ = (UniqueConstraint("order_id", "local_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"))
    local_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=PaymentState.CREATED)
    amount: Mapped[Decimal] = mapped_column(Money)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    payment_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str] = mapped_column(String(50), index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="payments")


class RefundState:
    CREATED = "created"
    TRANSIT = "transit"
    EXTERNAL = "external"
    CANCELED = "canceled"
    FAILED = "failed"
    DONE = "done"


class OrderRefund(db.Model):
    __tablename__ = "order_refund"
    __table_args__ = (UniqueConstraint("order_id", "local_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"))
    local_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=RefundState.CREATED)
    source: Mapped[str] = mapped_column(String(20), default="admin")  # buyer, admin, external
    amount: Mapped[Decimal] = mapped_column(Money)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)
    execution_date: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    provider: Mapped[str] = mapped_column(String(50))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("order_payment.id"))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship(back_populates="refunds")
    payment: Mapped[OrderPayment | None] = relationship()


class Invoice(db.Model):
    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("event_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    is_cancellation: Mapped[bool] = mapped_column(Boolean, default=False)
    refers_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What the invoice said when it was issued (domain/invoices.py): an invoice is never edited,
    # so later changes to the organizer, the address or the order do not reach it.
    issuer: Mapped[str] = mapped_column(Text, default="", server_default="")
    recipient: Mapped[str] = mapped_column(Text, default="", server_default="")
    currency: Mapped[str] = mapped_column(String(3), default="", server_default="")

    order: Mapped[Order] = relationship(back_populates="invoices")
    refers: Mapped["Invoice | None"] = relationship(remote_side=[id])
    lines: Mapped[list["InvoiceLine"]] = relationship(back_populates="invoice", order_by="InvoiceLine.position")


class InvoiceLine(db.Model):
    """One line of an invoice: a ticket or a fee as it was invoiced (negated on a cancellation)."""
    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    gross_value: Mapped[Decimal] = mapped_column(Money)
    tax_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax_value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax_name: Mapped[str] = mapped_column(String(100), default="")

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def net_value(self) -> Decimal:
        return self.gross_value - self.tax_value


class RevokedSecret(db.Model):
    __tablename__ = "revoked_secret"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("order_position.id"))
    secret: Mapped[str] = mapped_column(String(64), index=True)
    created: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class BlockedSecret(db.Model):
    __tablename__ = "blocked_secret"
    __table_args__ = (UniqueConstraint("event_id", "secret"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    secret: Mapped[str] = mapped_column(String(64))
    blocked: Mapped[bool] = mapped_column(Boolean, default=True)
    updated: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

