"""The body of 003's order create. The domain (order_create.create_order) checks every rule;
these models give the JSON types and the documentation."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .common import Body, Id
from .orders import AmountIn


class AnswerIn(Body):
    question: Id | str = Field(description="The question's id or identifier")
    answer: str | int | float | bool | None = None
    options: list[Id | str] = Field(default_factory=list)


class PositionIn(Body):
    positionid: Id | None = Field(None, description="1, 2, 3 … for every position or for none; needed for add-ons")
    item: Id
    variation: Id | None = None
    price: AmountIn | None = Field(None, description="Default: the product's price")
    seat: str | None = Field(None, description="seat_guid; required exactly when the product needs a seat")
    attendee_name: str | None = None
    attendee_name_parts: dict[str, str] | None = None
    attendee_email: str | None = None
    company: str | None = None
    street: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country: str | None = None
    state: str | None = None
    secret: str | None = None
    addon_to: Id | None = Field(None, description="positionid of the ticket this add-on belongs to; add-ons "
                                                   "follow right after it")
    subevent: Id | None = None
    valid_from: str | None = Field(None, json_schema_extra={"format": "date-time"})
    valid_until: str | None = Field(None, json_schema_extra={"format": "date-time"})
    answers: list[AnswerIn] = Field(default_factory=list)
    voucher: str | None = Field(None, description="Not offered here: refused when given")
    requested_valid_from: str | None = Field(None, description="Not offered here: refused when given")
    use_reusable_medium: Id | None = Field(None, description="Not offered here: refused when given")


class FeeIn(Body):
    fee_type: Literal["payment", "passbook", "other"]
    value: AmountIn
    description: str = ""
    internal_type: str = ""
    tax_rule: Id | None = None
    treat_value_as_percentage: bool = Field(False, alias="_treat_value_as_percentage",
                                            description="value is a percentage of the products' sum")
    split_taxes_like_products: bool = Field(False, alias="_split_taxes_like_products",
                                            description="Not offered here: refused when true")


class InvoiceAddressCreate(Body):
    is_business: bool = False
    company: str | None = None
    name: str | None = None
    name_parts: dict[str, str] | None = None
    street: str | None = None
    zipcode: str | None = None
    city: str | None = None
    country: str | None = None
    state: str | None = None
    internal_reference: str | None = None
    custom_field: str | None = None
    vat_id: str | None = None
    vat_id_validated: bool = False


class OrderCreate(Body):
    code: str | None = Field(None, description="A-Z and 0-9 without O and 1; default: a new code")
    status: Literal["n", "p"] | None = Field(None, description="Default: pending, paid when free")
    customer: str | None = Field(None, description="Customer identifier")
    testmode: bool = False
    consume_carts: list[str] | None = Field(None, description="There are no carts here: only an empty list")
    email: str | None = None
    phone: str | None = None
    locale: str | None = None
    sales_channel: str = "web"
    payment_provider: str | None = Field(None, description="Required for a paid order that costs something")
    payment_info: dict[str, Any] | None = None
    payment_date: str | None = Field(None, json_schema_extra={"format": "date-time"})
    comment: str | None = None
    custom_followup_at: str | None = Field(None, json_schema_extra={"format": "date"})
    checkin_attention: bool = False
    checkin_text: str | None = None
    require_approval: bool = False
    valid_if_pending: bool = False
    invoice_address: InvoiceAddressCreate | None = None
    positions: list[PositionIn] = Field(min_length=1, max_length=500)
    fees: list[FeeIn] = Field(default_factory=list, max_length=500)
    force: bool = Field(False, description="Overbook quotas")
    send_email: bool | None = Field(None, description="Email the buyer as for a new order; null or missing: no")
    send_mail: bool | None = Field(None, description="The old name of send_email")
    simulate: bool = Field(False, description="Check everything and answer the order it would be, code PREVIEW, "
                                              "without creating it")
