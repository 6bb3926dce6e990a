"""Types every resource uses: money as a string with two decimals, bounded moments, pages."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic_core import to_jsonable_python

from ...domain import parsing

MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


def _money_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


#: an amount as pretix writes it: "23.00"
Money = Annotated[Decimal, PlainSerializer(_money_text, return_type=str),
                  WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["23.00"]})]


def money_json(value: Decimal | None) -> str | None:
    """An amount as `Money` sends it."""
    return None if value is None else _money_text(value)


def moment_json(value: datetime | date | None) -> str | None:
    """A moment or day as pydantic sends it (a UTC moment ends in Z)."""
    return None if value is None else to_jsonable_python(value)


def _bounded(moment: datetime) -> datetime:
    """A moment inside the years the back office handles (parsing.MIN_DATE … MAX_DATE), in UTC;
    a moment without a zone is read as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if not parsing.MIN_DATE.year <= moment.year <= parsing.MAX_DATE.year:
        raise ValueError(f"must lie between the years {parsing.MIN_DATE.year} and {parsing.MAX_DATE.year}")
    return moment.astimezone(timezone.utc)


#: a moment the client sends (query or body), ISO 8601
InMoment = Annotated[datetime, AfterValidator(_bounded)]

#: ids as the database holds them (32-bit integers on PostgreSQL): a bigger number names nothing,
#: and PostgreSQL would refuse to compare it
MAX_ROW_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
Page = Annotated[int, Field(ge=1, le=parsing.MAX_ID, description="The page number, default 1")]


class Output(BaseModel):
    """Serializers: every field always present (nulls where there is no value)."""
    model_config = ConfigDict(from_attributes=True)


def _no_required(schema: dict[str, Any]) -> None:
    schema.pop("required", None)


class Trimmable(Output):
    """A resource the `include`/`exclude` query parameters may cut down: no field is promised."""
    model_config = ConfigDict(from_attributes=True, json_schema_extra=_no_required)


class Body(BaseModel):
    """Request bodies: JSON types as they are (no "12" for 12, no "true" for true)."""
    model_config = ConfigDict(strict=True, extra="ignore")


class Query(BaseModel):
    """Query parameters: text in the URL, read as the declared type."""
    model_config = ConfigDict(extra="ignore")


T = TypeVar("T")


class PageOf(BaseModel, Generic[T]):
    count: int
    next: str | None
    previous: str | None
    results: list[T]


class Error(BaseModel):
    """`detail` for the request as a whole; otherwise each refused field with its messages."""
    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": {
        "type": "array", "items": {"type": "string"}}})
    detail: str | None = None
