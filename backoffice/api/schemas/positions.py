"""Query parameters of the position and secrets lists (seed 003)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from .common import MAX_ROW_ID, Id, InMoment, Output, Page, Query
from .orders import STATUS


def _ids(text: str) -> list[int]:
    numbers = [int(part) for part in text.split(",")]
    if any(n < 1 or n > MAX_ROW_ID for n in numbers):
        raise ValueError(f"every id must lie between 1 and {MAX_ROW_ID}")
    return numbers


def _statuses(text: str) -> list[str]:
    return text.split(",")


#: 003's `x__in`: comma-separated ids
IdList = Annotated[str, Field(pattern=r"^[0-9]{1,10}(,[0-9]{1,10}){0,99}$", description="Comma-separated ids"),
                   AfterValidator(_ids)]
StatusList = Annotated[str, Field(pattern=r"^[npec](,[npec]){0,3}$", description="Comma-separated statuses"),
                       AfterValidator(_statuses)]
POSITION_ORDERING = Literal["order__datetime,positionid", "order__datetime", "-order__datetime", "order__code",
                            "-order__code", "positionid", "-positionid", "attendee_name", "-attendee_name",
                            "order__status", "-order__status"]


class PositionListQuery(Query):
    page: Page = 1
    ordering: POSITION_ORDERING = Field("order__datetime,positionid", description="Default: order__datetime, "
                                                                                   "positionid")
    order: str | None = Field(None, max_length=16, description="Positions of the order with this code")
    search: str | None = Field(None, max_length=200, description="Attendee name, order code, invoice address "
                                                                 "name, beginning of the secret")
    customer: str | None = Field(None, max_length=32, description="Orders of this customer identifier")
    item: Id | None = None
    item__in: IdList | None = None
    variation: Id | None = None
    variation__in: IdList | None = None
    attendee_name: str | None = Field(None, max_length=255)
    secret: str | None = Field(None, max_length=64)
    pseudonymization_id: str | None = Field(None, max_length=16)
    order__status: STATUS | None = None
    order__status__in: StatusList | None = None
    has_checkin: bool | None = None
    subevent: Id | None = None
    subevent__in: IdList | None = None
    addon_to: Id | None = None
    addon_to__in: IdList | None = None
    voucher: Id | None = None
    voucher__code: str | None = Field(None, max_length=100)
    include_canceled_positions: bool = False


class PositionDetailQuery(Query):
    include_canceled_positions: bool = Field(False, description="Show a canceled position (otherwise 404)")


class RevokedListQuery(Query):
    page: Page = 1
    ordering: Literal["created", "-created", "secret", "-secret"] = "-created"
    created_since: InMoment | None = Field(None, description="Revoked since this moment; use the previous "
                                                             "answer's X-Page-Generated")


class BlockedListQuery(Query):
    page: Page = 1
    updated_since: InMoment | None = Field(None, description="Changed since this moment; use the previous "
                                                             "answer's X-Page-Generated")
    blocked: bool | None = Field(None, description="Only blocked (true) or unblocked (false) secrets")


class RevokedSecret(Output):
    id: int
    secret: str
    created: datetime


class BlockedSecret(Output):
    id: int
    secret: str
    blocked: bool
    updated: datetime
