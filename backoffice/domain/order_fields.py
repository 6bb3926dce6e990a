"""Editing an order's fields and its invoice address (seed 003's PATCH).

Every field is checked before anything changes, and all bad fields are reported together so
that a form can show every mistake at once.
"""
from __future__ import annotations

import datetime as dt
from datetime import datetime

from ..extensions import db
from . import audit, parsing
from .audit import Actor
from .contact import default_region, parse_phone
from .errors import FieldErrors, Invalid
from .models import InvoiceAddress, Order, utcnow
from .names import clean_name_parts, derive_name
from .orders import MAX_TEXT, begin_change, end_of_day
from .texts import T_


EDITABLE_FIELDS = ("email", "phone", "locale", "comment", "checkin_attention", "checkin_text",
                   "custom_followup_at", "valid_if_pending", "expires", "api_meta")


def update_order_fields(order: Order, *, actor: Actor, seen_last_modified: str | None = None,
                        **fields) -> Order:
    """Change the fields 003's PATCH allows (except the invoice address, see set_invoice_address)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid(T_("These fields cannot be changed: %(fields)s.",
                         fields=', '.join(sorted(unknown))), code="not_editable")
    errors = FieldErrors()  # every bad field at once, so a form can show them together
    cleaned = {}
    for name, value in fields.items():
        with errors.check(name):
            cleaned[name] = _CLEANERS[name](value, order)
    errors.raise_if_any()
    order = begin_change(order, seen_last_modified)
    changes = {}
    for name, value in cleaned.items():
        before = getattr(order, name)
        if before != value:
            setattr(order, name, value)
            changes[name] = {"old": before, "new": value}
    if changes:
        audit.log(actor, order, "order.changed", data=changes)
    return order


#: how a field is called inside a sentence ("The checkin text must be text.")
FIELD_LABELS = {
    "email": T_("email"), "phone": T_("phone"), "locale": T_("locale"), "comment": T_("comment"),
    "checkin_attention": T_("checkin attention"), "checkin_text": T_("checkin text"),
    "valid_if_pending": T_("valid if pending"), "testmode": T_("testmode"),
    "require_approval": T_("require approval"), "force": T_("force"), "send_email": T_("send email"),
    "simulate": T_("simulate"), "company": T_("company"), "street": T_("street"), "zipcode": T_("zipcode"),
    "city": T_("city"), "state": T_("state"), "country": T_("country"), "vat_id": T_("vat id"),
    "internal_reference": T_("internal reference"),
}


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field) or field.replace("_", " ")


def _text(limit: int, field: str, required: bool = False):
    def clean(value, _order):
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        if not isinstance(value, str):
            raise Invalid(T_("The %(label)s must be text.", label=field_label(field)), code="invalid", field=field)
        if len(value) > limit:
            raise Invalid(T_("The %(label)s may be at most %(limit)s characters long.", label=field_label(field),
                             limit=f"{limit:,}"), code="too_long", field=field)
        if required and not value:
            raise Invalid(T_("The %(label)s cannot be empty.", label=field_label(field)), code="required",
                          field=field)
        return value
    return clean


def _optional(cleaner):
    def clean(value, order):
        value = cleaner(value, order)
        return value or None
    return clean


def _email(value, order):
    value = _text(254, "email")(value, order)
    if not value:
        return None
    from email_validator import EmailNotValidError, validate_email
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(T_("'%(value)s' is not a valid email address.",
                         value=value), code="email_invalid", field="email") from None


def _phone(value, order):
    value = _text(32, "phone")(value, order)
    return parse_phone(value, default_region(order.event.organizer))


def _locale(value, order):
    value = _text(16, "locale", required=True)(value, order)
    allowed = order.event.organizer.locales or ["en"]
    if value not in allowed:
        raise Invalid(T_("The locale must be one of %(languages)s.",
                         languages=', '.join(allowed)), code="locale_invalid", field="locale")
    return value


def _boolean(field):
    def clean(value, _order):
        if not isinstance(value, bool):
            raise Invalid(T_("The %(label)s must be true or false.", label=field_label(field)), code="invalid",
                          field=field)
        return value
    return clean


def _date(value, _order):
    if value is None or value == "":
        return None
    if isinstance(value, datetime) or not isinstance(value, dt.date):
        raise Invalid(T_("The follow-up date must be a date."), code="date_invalid", field="custom_followup_at")
    return parsing.parse_date(value, label=T_("follow-up date"), field="custom_followup_at")


def _expires(value, order):
    if isinstance(value, dt.date) and not isinstance(value, datetime):
        day = parsing.parse_date(value, label=T_("payment deadline"), field="expires")
        return end_of_day(day, order.event.timezone)
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise Invalid(T_("The payment deadline must be a date or a date and time with a time zone."),
                      code="date_invalid", field="expires")
    return parsing.parse_moment(value, label=T_("payment deadline"), field="expires")


def _api_meta(value, _order):
    if not isinstance(value, dict):
        raise Invalid(T_("The API meta data must be an object."), code="invalid", field="api_meta")
    return value


_CLEANERS = {
    "email": _email, "phone": _phone, "locale": _locale, "comment": _text(MAX_TEXT, "comment"),
    "checkin_attention": _boolean("checkin_attention"), "checkin_text": _optional(_text(MAX_TEXT, "checkin_text")),
    "custom_followup_at": _date, "valid_if_pending": _boolean("valid_if_pending"), "expires": _expires,
    "api_meta": _api_meta,
}


ADDRESS_FIELDS = {"company": 255, "street": 2000, "zipcode": 30, "city": 255, "country": 100, "state": 100,
                  "internal_reference": 2000, "custom_field": 255, "vat_id": 255}


def set_invoice_address(order: Order, *, actor: Actor, data: dict, seen_last_modified: str | None = None,
                        now: datetime | None = None) -> InvoiceAddress:
    """Create or replace the invoice address; `data` is the full address (003: always the whole object)."""
    now = now or utcnow()
    cleaned = clean_address(data, order)
    order = begin_change(order, seen_last_modified)
    address = order.invoice_address
    created = address is None
    if created:
        address = InvoiceAddress(order=order)
        db.session.add(address)
    for name, value in cleaned.items():
        setattr(address, name, value)
    address.last_modified = now
    audit.log(actor, order, "order.invoice_address_changed", data={
        "created": created, **{k: v for k, v in cleaned.items() if k != "name_parts"}})
    return address


def clean_address(data: dict, order: Order) -> dict:
    cleaned = {}
    errors = FieldErrors()  # every bad field at once, so a form can show them together
    for name, limit in ADDRESS_FIELDS.items():
        value = data.get(name)
        with errors.check(name):
            value = _text(limit, name)(value, order) if value is not None else ""
            cleaned[name] = value or None
    if cleaned.get("country"):
        country = cleaned["country"].upper()
        with errors.check("country"):
            if len(country) != 2 or not country.isalpha():
                raise Invalid(T_("The country must be a two-letter code such as DE."), code="country_invalid",
                              field="country")
        cleaned["country"] = country
    cleaned["is_business"] = bool(data.get("is_business"))
    with errors.check("name_parts"):
        cleaned["name_parts"] = clean_name_parts(data.get("name_parts"), order.event.organizer.name_scheme)
        cleaned["name_cached"] = derive_name(cleaned["name_parts"])
    if cleaned["is_business"] and "company" in cleaned and not cleaned["company"]:
        with errors.check("company"):
            raise Invalid(T_("A business address needs a company name."), code="company_required", field="company")
    errors.raise_if_any()
    return cleaned


def remove_invoice_address(order: Order, *, actor: Actor, seen_last_modified: str | None = None) -> Order:
    order = begin_change(order, seen_last_modified)
    if order.invoice_address is None:
        raise Invalid(T_("Order %(code)s has no invoice address.", code=order.code), code="no_invoice_address")
    db.session.delete(order.invoice_address)
    db.session.flush()
    db.session.expire(order, ["invoice_address"])
    audit.log(actor, order, "order.invoice_address_removed")
    return order
