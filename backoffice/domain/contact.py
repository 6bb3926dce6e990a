"""Contact data every form and the API read the same way: phone numbers and countries.

Phone numbers are stored in E.164 (+4917012345678). Staff may type them as people say them in
the organizer's country ("0170 1234567"); the organizer's region is derived from its time zone,
so an organizer in Europe/Berlin reads national numbers as German ones.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

import phonenumbers
from babel import Locale
from babel.core import get_global

from .errors import Invalid
from .texts import T_

MAX_PHONE_INPUT = 64
#: codes in the territory list that are no country (EU, UN, pseudo-locales, "unknown")
NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


def default_region(organizer: Any) -> str | None:
    """The country a national phone number of this organizer belongs to, from its time zone.

    None when the zone names no country (e.g. UTC): then numbers need their country code.
    """
    zone = getattr(organizer, "timezone", None) or ""
    region = get_global("zone_territories").get(zone)
    if region in phonenumbers.SUPPORTED_REGIONS:
        return region
    return None


def _example(region: str | None) -> str:
    number = phonenumbers.example_number_for_type(region or "DE", phonenumbers.PhoneNumberType.FIXED_LINE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_phone(raw: Any, region: str | None, field: str = "phone") -> str | None:
    """A phone number in E.164, or None for an empty value.

    Accepts international numbers (+49 …, 0049 …) and, with a `region`, national ones.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or len(raw) > MAX_PHONE_INPUT:
        raise Invalid(T_("This is not a phone number."), code="phone_invalid", field=field)
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if region:
        hint = (T_("Write it with the country code, e.g. %(example)s, "
                   "or as a number in %(country)s.", example=_example(region), country=country_name(region)))
    else:
        hint = T_("Write it in international format, starting with + and the country code, e.g. %(example)s.",
                  example=_example(None))
    message = T_("'%(text)s' is not a valid phone number. %(hint)s", text=text[:40], hint=hint)
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise Invalid(message, code="phone_invalid", field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(message, code="phone_invalid", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=8)
def _countries(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).territories
    codes = (code for code in names if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES)
    return tuple(sorted(((code, names[code]) for code in codes), key=lambda pair: _sort_key(pair[1])))


def _sort_key(name: str) -> str:
    # "Åland Islands" next to "Albania", not after "Zimbabwe"
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=8)
def _names(locale: str) -> dict[str, str]:
    return dict(_countries(locale))


def country_choices(locale: str = "en") -> list[tuple[str, str]]:
    """(ISO code, name) of every country, sorted by name, for a select."""
    return list(_countries(locale))


def country_name(code: str | None, locale: str = "en") -> str:
    """The country's name, or the code itself when it names no country."""
    if not code:
        return ""
    return _names(locale).get(code, code)


def clean_country(raw: Any, field: str = "country") -> str | None:
    """An ISO country code (DE), or None for an empty value."""
    if raw is None or raw == "":
        return None
    value = str(raw).strip().upper()
    if value not in _names("en"):
        raise Invalid(T_("'%(raw)s' is not a country code (two letters, e.g. DE).", raw=str(raw)[:20]),
                      code="country_invalid", field=field)
    return value
