"""Request bodies of order PATCH, position blocks, payments and refunds (seed 003)."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from .common import Body, Id
from .orders import AmountIn, Comment


class InvoiceAddressIn(Body):
    """Always the whole address: what is not sent is emptied."""
    is_business: bool = False
    company: str | None = None
    name_parts: dict[str, str] | None = None
    street: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country: str | None = None
    state: str | None = None
    internal_reference: str | None = None
    custom_field: str | None = None
    vat_id: str | None = None


class OrderPatch(Body):
    email: str | None = None
    phone: str | None = None
    checkin_attention: bool = False
    checkin_text: str | None = None
    locale: str = "en"
    comment: str = ""
    api_meta: dict[str, Any] = Field(default_factory=dict)
    custom_followup_at: date | None = None
    invoice_address: InvoiceAddressIn | None = Field(None, description="The whole address, or null to remove it")
    valid_if_pending: bool = False
    expires: str = Field("", max_length=40, description="A date (the end of that day in the event's time zone) "
                                                        "or a date and time with a zone")


class BlockBody(Body):
    name: str = Field("admin", max_length=64, description='"admin" or "api:" followed by letters, digits, dots '
                                                          'or underscores')


class PaymentCreate(Body):
    state: Literal["created", "pending", "confirmed"] = "confirmed"
    amount: AmountIn
    payment_date: str | None = Field(None, description="When the money arrived (ISO 8601); default now",
                                     json_schema_extra={"format": "date-time"})
    info: dict[str, Any] = Field(default_factory=dict, description="Kept as the payment's details")
    send_email: bool = Field(False, description="A confirmed payment that makes the order paid: email the buyer")
    provider: str = Field(max_length=50)
    force: bool = False


class PaymentConfirm(Body):
    send_email: bool = True
    force: bool = False


class PaymentRefund(Body):
    amount: AmountIn | None = Field(None, description="Default: all that is refundable")
    mark_canceled: bool = False
    comment: Comment | None = None


class RefundCreate(Body):
    state: Literal["created", "transit", "external", "done"] = "created"
    source: Literal["admin", "buyer", "external"] = "admin"
    amount: AmountIn
    payment: Id | None = Field(None, description="local_id of the payment it gives back")
    execution_date: str | None = Field(None, json_schema_extra={"format": "date-time"})
    comment: Comment | None = None
    provider: str | None = Field(None, max_length=50)
    mark_canceled: bool = False
    mark_pending: bool = False


class RefundProcess(Body):
    mark_canceled: bool = False


# --- positions -------------------------------------------------------------------------------------

class AnswerBody(Body):
    question: Id | str = Field(description="The question's id or identifier")
    answer: str | int | float | bool | None = None
    options: list[Id | str] = Field(default_factory=list)


class AttendeeFields(Body):
    attendee_name: str | None = None
    attendee_name_parts: dict[str, str] | None = None
    attendee_email: str | None = None
    company: str | None = None
    street: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country: str | None = None
    state: str | None = None
    answers: list[AnswerBody] | None = Field(None, description="All answers of the ticket: those not sent are "
                                                               "removed")


class ProductFields(Body):
    item: Id | None = None
    variation: Id | None = None
    subevent: Id | None = None
    seat: str | None = Field(None, description="seat_guid")
    price: AmountIn | None = None
    tax_rule: Id | None = None
    valid_from: str | None = Field(None, json_schema_extra={"format": "date-time"})
    valid_until: str | None = Field(None, json_schema_extra={"format": "date-time"})


class PositionPatch(AttendeeFields, ProductFields):
    """Only the fields sent change; a new product or price issues no new invoice."""


class PositionCreate(AttendeeFields):
    order: str = Field(max_length=16, description="The code of the order the ticket is added to")
    addon_to: Id | None = Field(None, description="positionid of the ticket this one is an add-on to")
    item: Id
    variation: Id | None = None
    subevent: Id | None = None
    seat: str | None = None
    price: AmountIn | None = Field(None, description="Default: the product's price")


# --- change ----------------------------------------------------------------------------------------

class PositionRef(Body):
    position: Id = Field(description="The position's id")


class PositionChange(PositionRef):
    body: dict[str, Any] = Field(description="item, variation, subevent, seat, price, tax_rule, valid_from, "
                                             "valid_until")


class FeeRef(Body):
    fee: Id


class FeeChange(FeeRef):
    body: dict[str, Any] = Field(description="value")


class OrderChange(Body):
    patch_positions: list[PositionChange] = Field(default_factory=list)
    cancel_positions: list[PositionRef] = Field(default_factory=list)
    split_positions: list[PositionRef] = Field(default_factory=list)
    create_positions: list[dict[str, Any]] = Field(default_factory=list, description="As the body of a new order "
                                                                                      "position, without order")
    patch_fees: list[FeeChange] = Field(default_factory=list)
    change_fees: list[FeeChange] = Field(default_factory=list, description="Another name for patch_fees")
    cancel_fees: list[FeeRef] = Field(default_factory=list)
    recalculate_taxes: Literal["keep_net", "keep_gross"] | None = None
    send_email: bool = False
    reissue_invoice: bool = True
