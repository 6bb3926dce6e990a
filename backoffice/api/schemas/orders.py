"""Orders, positions, payments and refunds as seed 003 describes them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from .common import Body, Id, InMoment, Money, Output, Page, Query, Trimmable

STATUS = Literal["n", "p", "e", "c"]
ORDERING = Literal["datetime", "-datetime", "code", "-code", "last_modified", "-last_modified", "status", "-status"]
FieldPath = Annotated[str, Field(max_length=200)]


class InvoiceAddress(Trimmable):
    last_modified: datetime
    is_business: bool
    company: str | None
    name: str | None
    name_parts: dict[str, str]
    street: str | None
    zipcode: str | None
    city: str | None
    country: str | None
    state: str | None
    internal_reference: str | None
    custom_field: str | None
    vat_id: str | None
    vat_id_validated: bool


class Fee(Trimmable):
    id: int
    fee_type: str
    value: Money
    description: str
    internal_type: str
    tax_rate: Money
    tax_value: Money
    tax_rule: int | None
    canceled: bool


class Download(Trimmable):
    output: str
    url: str


class Checkin(Trimmable):
    id: int
    list: int
    datetime: datetime
    type: str
    gate: int | None
    device: int | None
    device_id: int | None
    auto_checked_in: bool


class Answer(Trimmable):
    question: int
    question_identifier: str
    answer: str
    options: list[int]
    option_identifiers: list[str]


class Seat(Trimmable):
    id: int
    name: str
    zone_name: str
    row_name: str
    row_label: str | None
    seat_number: str
    seat_label: str | None
    seat_guid: str


class PdfData(Output):
    """What the position's ticket PDF prints, in the order's language (domain/ticket_pdf.py
    draws the page from these values)."""
    organizer: str = Field(description="The organizer's name")
    event_name: str
    event_date: str = Field(description="The date of the ticket (its date of the series, if any), with its time zone")
    event_location: str
    itemvar: str = Field(description="The product, with its variation")
    attendee_name: str
    attendee_company: str
    seat: str = Field(description="The seat as printed, empty without one")
    order: str = Field(description="The order's code")
    positionid: int
    price: str = Field(description="The price as printed, with its currency")
    secret: str = Field(description="What the ticket's QR code holds")


class Position(Trimmable):
    id: int
    order: str
    positionid: int
    canceled: bool
    item: int
    variation: int | None
    price: Money
    attendee_name: str | None
    attendee_name_parts: dict[str, str]
    attendee_email: str | None
    company: str | None
    street: str | None
    zipcode: str | None
    city: str | None
    country: str | None
    state: str | None
    voucher: int | None
    voucher_budget_use: Money | None
    tax_rate: Money
    tax_value: Money
    tax_rule: int | None
    secret: str
    addon_to: int | None
    subevent: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    blocked: list[str] | None
    discount: int | None
    pseudonymization_id: str
    seat: Seat | None
    checkins: list[Checkin]
    answers: list[Answer]
    downloads: list[Download]
    pdf_data: PdfData | None = Field(None, description="Only on the event's order list with pdf_data=true; "
                                                         "otherwise missing")


class Payment(Output):
    local_id: int
    state: str
    amount: Money
    created: datetime
    payment_date: datetime | None
    payment_url: str | None
    details: dict[str, Any]
    provider: str


class Refund(Output):
    local_id: int
    state: str
    source: str
    amount: Money
    payment: int | None
    created: datetime
    execution_date: datetime | None
    comment: str | None
    details: dict[str, Any]
    provider: str


class Order(Trimmable):
    code: str
    event: str
    status: STATUS
    testmode: bool
    secret: str
    url: str
    email: str | None
    phone: str | None
    customer: str | None
    locale: str
    sales_channel: str
    datetime: datetime
    expires: datetime
    last_modified: datetime
    payment_date: date | None
    payment_provider: str | None
    fees: list[Fee]
    total: Money
    comment: str
    api_meta: dict[str, Any]
    custom_followup_at: date | None
    checkin_attention: bool
    checkin_text: str | None
    require_approval: bool
    valid_if_pending: bool
    invoice_address: InvoiceAddress | None
    positions: list[Position]
    downloads: list[Download]
    payments: list[Payment]
    refunds: list[Refund]


class OrderDetailQuery(Query):
    include_canceled_positions: bool = Field(False, description="Also canceled positions (position-level "
                                                                "cancellations)")
    include_canceled_fees: bool = Field(False, description="Also canceled fees")


class OrderListQuery(OrderDetailQuery):
    page: Page = 1
    ordering: ORDERING = Field("datetime", description="datetime, code, last_modified or status; '-' for "
                                                       "descending")
    code: str | None = Field(None, max_length=16, description="Only the order with this code")
    status: list[STATUS] = Field([], description="Only orders in this status (repeatable)")
    search: str | None = Field(None, max_length=200, description="Names, email addresses and company names")
    customer: str | None = Field(None, max_length=32, description="Only orders of this customer identifier")
    item: Id | None = Field(None, description="Orders with a position of this item (also canceled ones)")
    variation: Id | None = Field(None, description="Orders with a position of this variation")
    testmode: bool | None = None
    require_approval: bool | None = None
    email: str | None = Field(None, max_length=254, description="The order's email address, regardless of case")
    locale: str | None = Field(None, max_length=16)
    modified_since: InMoment | None = Field(None, description="Changed since this moment; use the previous "
                                                              "answer's X-Page-Generated")
    created_since: InMoment | None = Field(None, description="Created at or after this moment")
    created_before: InMoment | None = Field(None, description="Created before this moment")
    subevent: Id | None = None
    subevent_after: InMoment | None = None
    subevent_before: InMoment | None = None
    sales_channel: str | None = Field(None, max_length=64)
    payment_provider: str | None = Field(None, max_length=50)
    include: list[FieldPath] = Field([], description="Only these fields, dotted paths such as positions.secret "
                                               "(repeatable)")
    exclude: list[FieldPath] = Field([], description="Without these fields, e.g. positions.downloads (repeatable; "
                                               "applied after include)")


class EventOrderListQuery(OrderListQuery):
    pdf_data: bool = Field(False, description="Each position with pdf_data: what its ticket PDF prints")


class PageQuery(Query):
    page: Page = 1


# --- bodies of the state operations ------------------------------------------------------------

#: an amount as text ("10.00") or a JSON number; the domain's parser reads and bounds it
AmountIn = Annotated[str | int | float, Field(description='An amount such as "10.00"')]
Comment = Annotated[str, Field(description="Shown to the buyer where the email template uses it")]


class MarkPaidBody(Body):
    send_email: bool = Field(True, description="Email the buyer that the payment was received")
    force: bool = Field(False, description="An expired order: overbook its products if they were sold again")


class MarkCanceledBody(Body):
    send_email: bool = Field(True, description="Email the buyer about the cancellation")
    comment: Comment | None = None
    cancellation_fee: AmountIn | None = Field(None, description="Keep this much as a cancellation fee; "
                                                                "the fee becomes the order's only component")


class ExtendBody(Body):
    expires: date = Field(description="The new payment deadline: the end of this day in the event's time zone")
    force: bool = Field(False, description="An expired order: overbook its products if they were sold again")


class ApproveBody(Body):
    send_email: bool = Field(True, description="Email the buyer that the order was approved")


class DenyBody(Body):
    send_email: bool = Field(True, description="Email the buyer that the order was denied")
    comment: Comment | None = None
