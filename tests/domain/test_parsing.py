"""The one place that reads dates, numbers and amounts: what it accepts and how it refuses."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from backoffice.domain import parsing
from backoffice.domain.errors import Invalid


def refused(parse, value, *args, **kwargs) -> Invalid:
    with pytest.raises(Invalid) as info:
        parse(value, *args, **kwargs)
    return info.value


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_dates_outside_the_supported_years_are_refused(value):
    error = refused(parsing.parse_date, value, label="payment deadline", field="expires")
    assert error.field == "expires" and error.code == "date_out_of_range"
    assert "out of range" in error.message and "1900-01-01" in error.message and "2999-12-31" in error.message


def test_dates_at_the_bounds_are_read():
    assert parsing.parse_date(" 1900-01-01 ") == date(1900, 1, 1)
    assert parsing.parse_date("2999-12-31") == date(2999, 12, 31)
    assert parsing.parse_date(date(2030, 5, 1)) == date(2030, 5, 1)
    assert parsing.parse_date("") is None and parsing.parse_date(None) is None


def test_a_date_that_is_not_one_names_the_field_when_given():
    assert refused(parsing.parse_date, "31.12.2030", label="follow-up date").message == \
        "Enter the follow-up date as a date (YYYY-MM-DD): '31.12.2030' is not one."
    assert refused(parsing.parse_date, "yesterday").message == "'yesterday' is not a date (YYYY-MM-DD)."
    assert refused(parsing.parse_date, datetime(2030, 1, 1, tzinfo=timezone.utc)).code == "date_invalid"


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31",
                                   "0001-01-01", datetime(9999, 12, 31, 23, tzinfo=timezone.utc)])
@pytest.mark.parametrize("tz", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_moments_that_would_overflow_in_a_time_zone_are_refused(value, tz):
    assert refused(parsing.parse_moment, value, tz).code == "date_out_of_range"


def test_moments_are_read_in_the_given_zone_and_returned_in_utc():
    assert parsing.parse_moment("2999-12-31", "Pacific/Pago_Pago") == datetime(2999, 12, 31, 11, tzinfo=timezone.utc)
    assert parsing.parse_moment("1900-01-01T00:00:00+14:00") == datetime(1899, 12, 31, 10, tzinfo=timezone.utc)
    assert parsing.parse_moment("2030-01-01T10:00Z", "Pacific/Kiritimati") == \
        datetime(2030, 1, 1, 10, tzinfo=timezone.utc)
    assert refused(parsing.parse_moment, "soon").message == "'soon' is not a date or a date and time."


@pytest.mark.parametrize("value", [str(2**31), str(2**40), str(2**63), str(2**64), "9" * 30, "9" * 5000])
def test_integers_beyond_an_integer_column_are_refused(value):
    error = refused(parsing.parse_integer, value)
    assert error.code == "number_out_of_range" and "at most 2147483647" in error.message


@pytest.mark.parametrize("value", ["²", "١٢", "1_000", "12.0", "0x10", "1e3", "+", "12 3"])
def test_only_ascii_digits_make_a_whole_number(value):
    assert refused(parsing.parse_integer, value).code == "number_invalid"


def test_blank_is_no_value():
    for parse in (parsing.parse_date, parsing.parse_moment, parsing.parse_integer, parsing.parse_amount):
        assert parse(None) is None and parse("  ") is None


def test_ids_are_positive_and_fit_an_integer_column():
    assert parsing.parse_id(str(2**31 - 1)) == 2**31 - 1
    assert refused(parsing.parse_id, str(2**31)).code == "number_out_of_range"
    assert parsing.parse_id("+7") == 7
    assert refused(parsing.parse_id, "0").code == "number_out_of_range"
    assert refused(parsing.parse_id, "-" + "9" * 30).code == "number_out_of_range"
    assert refused(parsing.parse_id, True).code == "number_invalid"


@pytest.mark.parametrize("value", ["1e999", "1E3", "NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "10,50",
                                   "abc", float("nan"), float("inf"), Decimal("NaN"), Decimal("Infinity"), True])
def test_amounts_must_be_plain_finite_numbers(value):
    error = refused(parsing.parse_amount, value, label="cancellation fee", field="cancellation_fee")
    assert error.message == "The cancellation fee must be an amount such as 10.00."
    assert error.field == "cancellation_fee"


@pytest.mark.parametrize("value", ["9" * 27, "10000000000", Decimal("1e999"), 10**11])
def test_amounts_above_ten_digits_are_refused(value):
    assert refused(parsing.parse_amount, value).code == "amount_out_of_range"


def test_amounts_have_two_places_at_most():
    assert parsing.parse_amount("9999999999.99") == Decimal("9999999999.99")
    assert parsing.parse_amount(" 10.5 ") == Decimal("10.50")
    assert parsing.parse_amount(".5") == Decimal("0.50")
    assert parsing.parse_amount(Decimal("10.500")) == Decimal("10.50")
    assert parsing.parse_amount(7) == Decimal("7.00")
    assert refused(parsing.parse_amount, "10.005", label="fee").message == "The fee can have at most two decimal places."
    assert refused(parsing.parse_amount, "-1", minimum=Decimal(0), label="fee").message == "The fee cannot be negative."
