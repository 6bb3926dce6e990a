"""An organizer's own settings: its name, how people's names are asked, its time zone, the
currency and language new events start with, and the issuer printed on invoices.

The checks of a time zone, a currency and a language live here; creating an organizer and
events use the same ones.

The organizer row has no `last_modified`, so a form carries a version of what it showed: a hash
of the editable values (`version`). A save whose version differs from the current one is refused
as stale, so two people editing at once cannot silently overwrite each other. The organizer row
is locked while saving. Every save that changes something is written to the organizer's history.
"""
from __future__ import annotations

import unicodedata
import re
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name, list_currencies

from ..extensions import db
from . import audit, tx
from .audit import Actor
from .errors import Conflict, FieldErrors, Invalid
from .models import Organizer
from .names import SCHEMES
from .versions import version_of
from .texts import T_

#: the editable fields, in the order the form shows them
FIELDS = ("name", "name_scheme", "timezone", "currency", "default_locale", "invoice_issuer_name", "invoice_issuer_address",
          "invoice_issuer_vat_id")
LABELS = {
    "name": "Name", "name_scheme": "Names of people", "timezone": "Time zone", "currency": "Currency",
    "default_locale": "Default language",
    "invoice_issuer_name": "Issuer name", "invoice_issuer_address": "Issuer address",
    "invoice_issuer_vat_id": "VAT ID",
}
SCHEME_LABELS = {"full": "One field: the full name", "given_family": "Two fields: given name and family name"}
#: the column lengths (organizer model); the address is a text column, kept to what fits an invoice
MAX_LENGTH = {"name": 200, "invoice_issuer_name": 200, "invoice_issuer_address": 1000,
              "invoice_issuer_vat_id": 255}
MULTILINE = {"invoice_issuer_address"}
STALE_SETTINGS_MESSAGE = (T_("The organizer settings were changed by someone else since you opened the form. "
                             "The values now saved are listed below; your entries are kept: save again to "
                             "replace them."))


#: the labels as they stand inside a sentence: "the issuer name", "the VAT ID"
PHRASES = {
    "name": T_("name"), "name_scheme": T_("names of people"), "timezone": T_("time zone"),
    "currency": T_("currency"), "default_locale": T_("default language"),
    "invoice_issuer_name": T_("issuer name"), "invoice_issuer_address": T_("issuer address"),
    "invoice_issuer_vat_id": T_("VAT ID"),
}


def phrase(field: str) -> str:
    """The field's label inside a sentence: "the issuer name", "the VAT ID"."""
    return PHRASES[field]


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    """Valid IANA zone names (read once: the list comes from the files of the zone database)."""
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def currencies() -> dict[str, str]:
    """ISO 4217 codes with their English names, by code."""
    return {code: get_currency_name(code, locale="en") for code in sorted(list_currencies())
            if len(code) == 3 and code.isalpha() and code.isupper()}


#: languages offered in the forms' lists; any other language Babel knows is accepted too
COMMON_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "da", "sv", "pl", "cs", "pt", "pt-br")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")


def language_name(code: str) -> str:
    try:
        return Locale.parse(code, sep="-").get_display_name("en") or code
    except (ValueError, UnknownLocaleError):
        return code


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in COMMON_LANGUAGES]


def clean_currency(raw: Any, field: str = "currency") -> str:
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if not code:
        raise Invalid(T_("Choose a currency, for example EUR."), code="required", field=field)
    if code not in currencies():
        shown = _shown(code, 10)
        raise Invalid(T_("“%(shown)s” is not a currency code: use three letters such as EUR, USD or CHF.",
                         shown=shown),
                      code="currency_unknown", field=field)
    return code


def clean_language(raw: Any, field: str = "default_locale", label: str = T_("language")) -> str:
    code = raw.strip().lower().replace("_", "-") if isinstance(raw, str) else ""
    if not code:
        raise Invalid(T_("Choose a %(label)s, for example en (English).", label=label), code="required", field=field)
    known = bool(_LANGUAGE_CODE.fullmatch(code))
    if known:
        try:
            Locale.parse(code, sep="-")
        except (ValueError, UnknownLocaleError):
            known = False
    if not known:
        raise Invalid(T_("“%(code)s” is not a language code: use one such as en, de or pt-br.",
                         code=_shown(code, 20)),
                      code="language_unknown", field=field)
    return code


def clean_timezone(raw: Any, field: str = "timezone") -> str:
    try:
        return _timezone(raw)
    except Invalid as e:
        raise Invalid(e.message, code=e.code, field=field) from None


def _shown(text: str, limit: int) -> str:
    shown = text[:limit] + ("…" if len(text) > limit else "")
    return "".join(c if unicodedata.category(c) != "Cc" else "?" for c in shown)


def current_values(organizer: Organizer) -> dict[str, str]:
    return {field: getattr(organizer, field) or "" for field in FIELDS}


def version(organizer: Organizer) -> str:
    """What a form carries as `seen`: changes whenever any editable value does."""
    return version_of(current_values(organizer))


# --- checking the values ---------------------------------------------------------------------------

def _text(field: str, raw: Any, *, required: bool = False) -> str | None:
    """A cleaned text value; None when empty and optional."""
    label = phrase(field)
    text = raw if isinstance(raw, str) else ""
    if field in MULTILINE:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        text = "\n".join(line.strip() for line in lines).strip()
    else:
        text = text.strip()
    if not text:
        if required:
            raise Invalid(T_("Enter the %(label)s.", label=label), code="required", field=field)
        return None
    if len(text) > MAX_LENGTH[field]:
        raise Invalid(T_("The %(label)s is too long: at most %(limit)s characters (it has %(length)s).",
                         label=label, limit=f"{MAX_LENGTH[field]:,}", length=f"{len(text):,}"),
                      code="too_long", field=field)
    allowed = "\n" if field in MULTILINE else ""
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") and c not in allowed), None)
    if bad is not None:
        message = (T_("The %(label)s must not contain line breaks or control characters (found U+%(character)s).",
                      label=label, character=f"{ord(bad):04X}") if not allowed else
                   T_("The %(label)s must not contain control characters (found U+%(character)s).",
                      label=label, character=f"{ord(bad):04X}"))
        raise Invalid(message,
                      code="control_character", field=field)
    return text


def _scheme(raw: Any) -> str:
    if not isinstance(raw, str) or raw not in SCHEMES:
        raise Invalid(T_("Choose how names of people are asked: one field, or given and family name."),
                      code="name_scheme_unknown", field="name_scheme")
    return raw


def _timezone(raw: Any) -> str:
    zone = raw.strip() if isinstance(raw, str) else ""
    if not zone:
        raise Invalid(T_("Enter a time zone, for example Europe/Berlin."), code="required", field="timezone")
    if zone not in timezones():
        shown = zone[:60] + ("…" if len(zone) > 60 else "")
        shown = "".join(c if unicodedata.category(c) != "Cc" else "?" for c in shown)
        raise Invalid(T_("“%(shown)s” is not a known time zone: use a name like Europe/Berlin or America/New_York.",
                         shown=shown),
                      code="timezone_unknown", field="timezone")
    return zone


def clean_values(*, name: Any, name_scheme: Any, timezone: Any, invoice_issuer_name: Any,
                 invoice_issuer_address: Any, invoice_issuer_vat_id: Any, currency: Any = "EUR",
                 default_locale: Any = "en") -> dict[str, str | None]:
    """The values to save; Invalid names every refused field at once."""
    errors = FieldErrors()
    values: dict[str, str | None] = {}
    with errors.check("name"):
        values["name"] = _text("name", name, required=True)
    with errors.check("name_scheme"):
        values["name_scheme"] = _scheme(name_scheme)
    with errors.check("timezone"):
        values["timezone"] = _timezone(timezone)
    with errors.check("currency"):
        values["currency"] = clean_currency(currency)
    with errors.check("default_locale"):
        values["default_locale"] = clean_language(default_locale)
    for field, raw in (("invoice_issuer_name", invoice_issuer_name),
                       ("invoice_issuer_address", invoice_issuer_address),
                       ("invoice_issuer_vat_id", invoice_issuer_vat_id)):
        with errors.check(field):
            values[field] = _text(field, raw)
    errors.raise_if_any()
    return values


# --- saving ------------------------------------------------------------------------------------------

def update_settings(organizer: Organizer, *, actor: Actor, name: Any, name_scheme: Any, timezone: Any,
                    invoice_issuer_name: Any = None, invoice_issuer_address: Any = None,
                    invoice_issuer_vat_id: Any = None, currency: Any = None, default_locale: Any = None,
                    seen_last_modified: str | None) -> list[str]:
    """Save the settings; returns the fields that changed (empty: nothing did).

    `seen_last_modified` is the `version` the form showed; None skips the check (the system).
    `currency` and `default_locale` None keep what is saved (callers that do not show them);
    they apply to events created afterwards, existing events keep theirs.
    """
    db.session.flush()
    tx.lock(Organizer, organizer.id)  # also reads the row afresh
    if seen_last_modified is not None and seen_last_modified != version(organizer):
        raise Conflict(STALE_SETTINGS_MESSAGE, code="stale")
    values = clean_values(name=name, name_scheme=name_scheme, timezone=timezone,
                          invoice_issuer_name=invoice_issuer_name, invoice_issuer_address=invoice_issuer_address,
                          invoice_issuer_vat_id=invoice_issuer_vat_id,
                          currency=organizer.currency if currency is None else currency,
                          default_locale=organizer.default_locale if default_locale is None else default_locale)
    changed = [field for field in FIELDS if (getattr(organizer, field) or None) != values[field]]
    if not changed:
        return []
    data = {field: {"old": getattr(organizer, field), "new": values[field]} for field in changed}
    for field in changed:
        setattr(organizer, field, values[field])
    audit.log(actor, organizer, "organizer.settings_changed", data=data)
    return changed
