"""Customers as seed 000 describes them."""
from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .common import Body, Output, Page, Query

NameParts = dict[str, str]


class Customer(Output):
    identifier: str
    external_identifier: str | None
    email: str | None
    phone: str | None
    name: str | None
    name_parts: NameParts
    is_active: bool
    is_verified: bool
    last_login: datetime | None
    date_joined: datetime
    locale: str
    last_modified: datetime
    notes: str | None


class CustomerListQuery(Query):
    page: Page = 1
    email: str | None = Field(None, max_length=254, description="Only customers with this email address "
                                                                "(case-insensitive)")


class CustomerFields(Body):
    """What PATCH may change; PUT sends all of them (omitted ones go back to their defaults)."""
    external_identifier: str | None = None
    email: str | None = Field(None, json_schema_extra={"format": "email"})
    phone: str | None = None
    name_parts: NameParts | None = None
    is_active: bool = True
    is_verified: bool = False
    locale: str | None = None
    notes: str | None = None


class CustomerCreate(CustomerFields):
    email: str = Field(json_schema_extra={"format": "email"})
    password: str | None = Field(None, description="Only on creation; never shown in any response")
    send_email: bool = Field(False, description="Send an account activation email with a link to set a password")
