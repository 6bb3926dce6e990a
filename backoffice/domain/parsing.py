"""Reading typed values from what people and programs send: dates, date-times, whole numbers,
ids and amounts.

Every interface (list filters, forms, the JSON API, commands) reads its input through these
functions, so that a value no time-zone conversion or database column can hold is refused with
a clear sentence instead of failing deep inside a query. The bounds:

- dates and date-times: years 1900 to 2999 (in the time zone they are given in). The end of a
  day in any zone, and the next day, then stay within what Python and both databases hold.
- ids: 1 to 2**63 - 1 (the largest BIGINT); other whole numbers within the same 64 bits.
- amounts: finite, at most two decimal places and ten digits before the point (money columns
  are numeric(12, 2)).

Each function returns None for an empty value (None or blank text) and raises `Invalid` with
`field` set for a value it cannot accept. `label` (e.g. "payment deadline") makes the message
speak about the field; without it the message speaks about the value.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from .errors import Invalid
from .texts import T_

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
# Whole-number columns (ids too) are 32-bit INTEGER on PostgreSQL: a bigger number would reach
# the database and fail there ("integer out of range") instead of being refused here.
MAX_INTEGER = 2**31 - 1
MIN_INTEGER = -(2**31)
MAX_ID = MAX_INTEGER
AMOUNT_DIGITS = 10
AMOUNT_PLACES = 2
MAX_AMOUNT = Decimal(10) ** AMOUNT_DIGITS - Decimal("0.01")
CENT = Decimal("0.01")
SHOWN = 40  # characters of a refused value repeated in the message

_INTEGER = re.compile(r"[+-]?[0-9]+")
_AMOUNT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _the(label: str | None) -> str:
    return T_("The %(label)s", label=label) if label else T_("The value")


# --- dates ---------------------------------------------------------------------------------------

def _date_in_range(day: date, raw: Any, label: str | None, field: str | None) -> date:
    if not MIN_DATE <= day <= MAX_DATE:
        raise Invalid(T_("%(the)s '%(raw)s' is out of range: dates from %(low)s to %(high)s are accepted.",
                         the=_the(label), raw=_shown(raw), low=MIN_DATE.isoformat(), high=MAX_DATE.isoformat()),
                      code="date_out_of_range", field=field)
    return day


def parse_date(value: Any, *, label: str | None = None, field: str | None = None) -> date | None:
    """A day: a `date` or text YYYY-MM-DD."""
    if _blank(value):
        return None
    if isinstance(value, datetime):
        raise Invalid(T_("%(the)s must be a date without a time.", the=_the(label)), code="date_invalid", field=field)
    if isinstance(value, date):
        return _date_in_range(value, value, label, field)
    text = str(value).strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        message = (T_("Enter the %(label)s as a date (YYYY-MM-DD): '%(text)s' is not one.", label=label,
                      text=_shown(text)) if label
                   else T_("'%(text)s' is not a date (YYYY-MM-DD).", text=_shown(text)))
        raise Invalid(message, code="date_invalid", field=field) from None
    return _date_in_range(day, text, label, field)


def parse_moment(value: Any, tz: str = "UTC", *, label: str | None = None,
                 field: str | None = None) -> datetime | None:
    """A point in time as an aware UTC datetime: a `datetime` (aware), a `date` or ISO text.

    A date, or a date-time without offset, is read in `tz` (a bare date is its midnight there).
    """
    if _blank(value):
        return None
    raw = value
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            message = (T_("Enter the %(label)s as a date or a date and time (YYYY-MM-DD or YYYY-MM-DDTHH:MM): "
                          "'%(text)s' is neither.", label=label, text=_shown(text)) if label
                       else T_("'%(text)s' is not a date or a date and time.", text=_shown(text)))
            raise Invalid(message, code="date_invalid", field=field) from None
    # checked in the zone it was given in, so that converting it to UTC cannot overflow
    _date_in_range(moment.date(), raw, label, field)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(timezone.utc)


# --- whole numbers -------------------------------------------------------------------------------

def parse_integer(value: Any, *, minimum: int | None = MIN_INTEGER, maximum: int | None = MAX_INTEGER,
                  label: str | None = None, field: str | None = None) -> int | None:
    """A whole number that fits an integer column (or the given bounds); digits 0-9 with an
    optional sign."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not _INTEGER.fullmatch(text):
            number = None
        elif len(text) > 25:
            # far beyond any bound: refused below without converting a huge text
            number = MIN_INTEGER - 1 if text.startswith("-") else MAX_INTEGER + 1
        else:
            number = int(text)
    if number is None:
        message = (T_("%(the)s must be a whole number: '%(value)s' is not one.", the=_the(label),
                      value=_shown(value)) if label
                   else T_("'%(value)s' is not a whole number.", value=_shown(value)))
        raise Invalid(message, code="number_invalid", field=field)
    low = MIN_INTEGER if minimum is None else minimum
    high = MAX_INTEGER if maximum is None else maximum
    if number < low:
        raise Invalid(T_("%(the)s must be at least %(low)s.", the=_the(label), low=low), code="number_out_of_range",
                      field=field)
    if number > high:
        raise Invalid(T_("%(the)s must be at most %(high)s.", the=_the(label), high=high), code="number_out_of_range",
                      field=field)
    return number


def parse_id(value: Any, *, label: str | None = None, field: str | None = None) -> int | None:
    """The id of a database row: 1 to 2**63 - 1."""
    return parse_integer(value, minimum=1, maximum=MAX_ID, label=label or T_("id"), field=field)


# --- amounts -------------------------------------------------------------------------------------

def parse_amount(value: Any, *, minimum: Decimal | None = None, label: str | None = None,
                 field: str | None = None) -> Decimal | None:
    """An amount of money: a Decimal with two places, e.g. from text such as 10, 10.5 or 10.50.

    Text in exponent form (1e3), NaN and Infinity are refused; so are more than two decimal
    places and more than ten digits before the point.
    """
    if _blank(value):
        return None
    amount = _to_decimal(value)
    if amount is None or not amount.is_finite():
        message = (T_("%(the)s must be an amount such as 10.00.", the=_the(label)) if label
                   else T_("'%(value)s' is not an amount such as 10.00.", value=_shown(value)))
        raise Invalid(message, code="amount_invalid", field=field)
    if abs(amount) > MAX_AMOUNT:
        raise Invalid(T_("%(the)s is too large: at most %(digits)s digits before the decimal point.",
                         the=_the(label), digits=AMOUNT_DIGITS),
                      code="amount_out_of_range", field=field)
    if amount != amount.quantize(CENT):
        raise Invalid(T_("%(the)s can have at most two decimal places.", the=_the(label)), code="amount_invalid",
                      field=field)
    if minimum is not None and amount < minimum:
        message = (T_("%(the)s cannot be negative.", the=_the(label)) if minimum == 0
                   else T_("%(the)s must be at least %(minimum)s.", the=_the(label), minimum=minimum))
        raise Invalid(message, code="amount_out_of_range", field=field)
    return amount.quantize(CENT)


def _to_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if value == value and abs(value) != float("inf") else None
    text = str(value).strip()
    if not _AMOUNT.fullmatch(text) or len(text) > 40:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def contains_nul(value: Any) -> bool:
    """Whether a text, or any key or value of a JSON-like structure, holds a NUL character: no
    field has a use for it, and PostgreSQL can neither store it nor compare with it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains_nul(v) for v in value)
    return False
