"""Customer fields: what staff and the API may set, and how each value is checked.

Every refused field is reported, so that a form can show all mistakes at once.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email

from . import contact
from .errors import FieldErrors, Invalid
from .models import Organizer
from .names import clean_name_parts, derive_name
from .texts import T_

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_TAG_LENGTH = 100
MAX_NOTES_LENGTH = 10_000
#: text fields staff may set, with their longest allowed value (the column sizes)
TEXT_LIMITS = {
    "external_identifier": 255, "company": 255, "street": 255, "address_line2": 255,
    "zipcode": 30, "city": 255, "state": 100, "notes": MAX_NOTES_LENGTH,
}
LABELS = {
    "email": T_("Email"), "phone": T_("Phone"), "name_parts": T_("Name"), "locale": T_("Language"),
    "external_identifier": T_("External identifier"), "company": T_("Company"), "street": T_("Street"),
    "address_line2": T_("Address line 2"), "zipcode": T_("Postal code"), "city": T_("City"), "state": T_("State"),
    "country": T_("Country"), "notes": T_("Notes"), "date_of_birth": T_("Date of birth"),
    "is_active": T_("Active"), "is_verified": T_("Email verified"), "marketing_consent": T_("Marketing consent"),
}
#: everything update_customer accepts; identifier, name, dates and password are read-only
EDITABLE = tuple(LABELS)
READ_ONLY = ("identifier", "name", "last_login", "date_joined", "last_modified", "password")


# --- one field ------------------------------------------------------------------------------

def clean_email(raw: Any, *, required: bool = True) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise Invalid(T_("An email address is required."), code="email_required", field="email")
        return None
    if not isinstance(raw, str):
        raise Invalid(T_("The email address must be text."), code="email_invalid", field="email")
    raw = raw.strip()
    if len(raw) > 254:
        raise Invalid(T_("An email address may be at most 254 characters long."), code="email_invalid", field="email")
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise Invalid(T_("'%(raw)s' is not a valid email address: %(reason)s", raw=raw[:100], reason=str(e)),
                      code="email_invalid", field="email")


def clean_phone(raw: Any, region: str | None = None) -> str | None:
    """International numbers, or national ones of `region` (the organizer's country), as E.164."""
    return contact.parse_phone(raw, region)


def clean_locale(organizer: Organizer, raw: Any) -> str:
    locales = list(organizer.locales or ["en"])
    if raw is None or raw == "":
        return locales[0]
    if raw not in locales:
        raise Invalid(T_("'%(raw)s' is not one of this organizer's languages (%(languages)s).",
                         raw=str(raw)[:20], languages=', '.join(locales)),
                      code="locale_invalid", field="locale")
    return raw


def clean_text(field: str, raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise Invalid(T_("%(label)s must be text.", label=LABELS[field]), code="invalid", field=field)
    value = raw.strip()
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        raise Invalid(T_("%(label)s may be at most %(limit)s characters long.", label=LABELS[field],
                         limit=f"{limit:,}"),
                      code="too_long", field=field)
    return value or None


def clean_country(raw: Any) -> str | None:
    return contact.clean_country(raw)


def clean_date_of_birth(raw: Any, today: date) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime) or not isinstance(raw, date):
        try:
            raw = date.fromisoformat(str(raw))
        except ValueError:
            raise Invalid(T_("The date of birth must be a date (YYYY-MM-DD)."), code="date_invalid",
                          field="date_of_birth")
    if raw > today:
        raise Invalid(T_("The date of birth cannot be in the future."), code="date_invalid", field="date_of_birth")
    if raw.year < 1900:
        raise Invalid(T_("The date of birth must be after 1900."), code="date_invalid", field="date_of_birth")
    return raw


def clean_bool(field: str, raw: Any, *, nullable: bool = False) -> bool | None:
    if raw is None and nullable:
        return None
    if not isinstance(raw, bool):
        raise Invalid(T_("%(label)s must be yes or no.", label=LABELS[field]), code="invalid", field=field)
    return raw


def clean_name(organizer: Organizer, raw: Any) -> tuple[dict, str | None]:
    """name_parts of the organizer's scheme and the name derived from them."""
    parts = clean_name_parts(raw, organizer.name_scheme or "full")
    name = derive_name(parts)
    if name and len(name) > 255:
        raise Invalid(T_("The name may be at most 255 characters long."), code="name_too_long", field="name_parts")
    return parts, name


def clean_password(raw: Any) -> str:
    if not isinstance(raw, str) or len(raw) < MIN_PASSWORD_LENGTH:
        raise Invalid(T_("The password must be at least %(min_password_length)s characters long.",
                         min_password_length=MIN_PASSWORD_LENGTH),
                      code="password_too_short", field="password")
    if len(raw) > MAX_PASSWORD_LENGTH:
        raise Invalid(T_("The password may be at most %(max_password_length)s characters long.",
                         max_password_length=MAX_PASSWORD_LENGTH),
                      code="password_too_long", field="password")
    return raw


def clean_tag(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise Invalid(T_("Enter a tag."), code="tag_required", field="tag")
    value = " ".join(raw.split())
    if "," in value:
        # tags travel as comma-separated lists in URLs and exports
        raise Invalid(T_("A tag cannot contain a comma."), code="tag_invalid", field="tag")
    if len(value) > MAX_TAG_LENGTH:
        raise Invalid(T_("A tag may be at most %(max_tag_length)s characters long.",
                         max_tag_length=MAX_TAG_LENGTH), code="tag_too_long", field="tag")
    return value


def clean_fields(organizer: Organizer, fields: dict, today: date, errors: FieldErrors | None = None) -> dict:
    """Validate the editable fields present in `fields` into column values.

    Every refused field is collected, so that a form can show all of them at once; refused
    fields are missing from the result. Without `errors`, the refusals are raised here.
    """
    own_errors = errors is None
    errors = FieldErrors() if errors is None else errors
    for name in sorted(set(fields) - set(EDITABLE)):
        with errors.check(name):
            if name in READ_ONLY:
                raise Invalid(T_("The field '%(name)s' cannot be changed.", name=name), code="read_only", field=name)
            raise Invalid(T_("There is no customer field '%(name)s'.", name=name), code="unknown_field", field=name)
    values: dict = {}
    for field, raw in fields.items():
        if field in EDITABLE:
            with errors.check(field):
                values.update(clean_field(organizer, field, raw, today))
    if own_errors:
        errors.raise_if_any()
    return values


def clean_field(organizer: Organizer, field: str, raw: Any, today: date) -> dict:
    if field == "email":
        return {"email": clean_email(raw)}
    if field == "phone":
        return {"phone": clean_phone(raw, contact.default_region(organizer))}
    if field == "name_parts":
        parts, name = clean_name(organizer, raw)
        return {"name_parts": parts, "name_cached": name}
    if field == "locale":
        return {"locale": clean_locale(organizer, raw)}
    if field == "country":
        return {"country": clean_country(raw)}
    if field == "date_of_birth":
        return {"date_of_birth": clean_date_of_birth(raw, today)}
    if field in ("is_active", "is_verified"):
        return {field: clean_bool(field, raw)}
    if field == "marketing_consent":
        return {field: clean_bool(field, raw, nullable=True)}
    return {field: clean_text(field, raw)}
