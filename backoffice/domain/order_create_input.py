"""Checking what an order is to be created with (order_create.create_order): the order's own
fields, its tickets (with 003's position ids and add-on order) and its fees. Every bad field is
collected, per ticket as `positions.<index>.<field>`, so that a form can show them all at once.
Nothing here writes.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from . import codes, order_fields, parsing
from .errors import FieldErrors, Invalid
from .models import Customer, Event, Item, ItemVariation, Order, Seat, SubEvent, TaxRule, utcnow
from .orders import MAX_TEXT, ZERO
from .position_fields import EDITABLE_FIELDS, clean_attendee, clean_text
from .positions import choose_product, choose_seat, choose_subevent, default_price
from .texts import T_

MAX_POSITIONS = 500
FEE_TYPES = ("payment", "passbook", "other")
#: 003 position fields this back office does not offer: refused rather than silently dropped
UNSUPPORTED = {"voucher": T_("vouchers"), "requested_valid_from": T_("requested validity"),
               "use_reusable_medium": T_("reusable media")}
POSITION_KEYS = {"positionid", "item", "variation", "subevent", "seat", "price", "addon_to", "secret", "valid_from",
                 "valid_until", *EDITABLE_FIELDS, *UNSUPPORTED}
FEE_KEYS = {"fee_type", "value", "description", "internal_type", "tax_rule", "_treat_value_as_percentage",
            "_split_taxes_like_products"}
#: what 003 allows in a given order code (generated ones use the smaller codes.CODE_ALPHABET)
CODE_CHARACTERS = frozenset(string.ascii_uppercase + string.digits) - {"O", "1"}
HUNDRED = Decimal("100")


def on_ticket(number: int, problem: str) -> str:
    """A problem of one ticket of a new order, named by its place in the order."""
    return T_("Ticket %(number)s: %(problem)s", number=number, problem=problem)


@dataclass
class Ticket:
    """One checked position of the new order."""
    index: int
    positionid: int
    item: Item
    variation: ItemVariation | None
    subevent: SubEvent | None
    seat: Seat | None
    price: Decimal
    addon_to: int | None
    cleaned: dict
    secret: str | None
    valid_from: datetime | None
    valid_until: datetime | None


# --- the order's own fields ------------------------------------------------------------------------

def clean_header(event: Event, stand_in, errors: FieldErrors, *, email, phone, locale, comment, checkin_text,
                  custom_followup_at, sales_channel, code, payment_date, payment_info, now) -> dict:
    header: dict = {}
    cleaners = order_fields._CLEANERS
    with errors.check("email"):
        header["email"] = cleaners["email"](email, stand_in)
    with errors.check("phone"):
        header["phone"] = cleaners["phone"](phone, stand_in)
    with errors.check("locale"):
        header["locale"] = (cleaners["locale"](locale, stand_in) if locale not in (None, "")
                            else (event.organizer.locales or ["en"])[0])
    with errors.check("comment"):
        header["comment"] = cleaners["comment"](comment, stand_in)
    with errors.check("checkin_text"):
        header["checkin_text"] = cleaners["checkin_text"](checkin_text, stand_in)
    with errors.check("custom_followup_at"):
        header["custom_followup_at"] = parsing.parse_date(custom_followup_at, label=T_("follow-up date"),
                                                          field="custom_followup_at")
    with errors.check("sales_channel"):
        header["sales_channel"] = _sales_channel(sales_channel)
    with errors.check("code"):
        header["code"] = _clean_code(event, code)
    with errors.check("payment_date"):
        when = parsing.parse_moment(payment_date, event.timezone, label=T_("payment date"), field="payment_date")
        if when is not None and when > now + timedelta(minutes=5):
            raise Invalid(T_("The payment date cannot be in the future."), code="date_in_future", field="payment_date")
        header["payment_date"] = when
    with errors.check("payment_info"):
        header["payment_info"] = _payment_info(payment_info)
    return header


def clean_boolean(value, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Invalid(T_("The %(label)s must be true or false.", label=order_fields.field_label(name)), code="invalid",
                      field=name)
    return value


def _sales_channel(value) -> str:
    text = clean_text(value, "sales_channel", 64, T_("sales channel")) or "web"
    if not all(c.isascii() and (c.isalnum() or c in "._-") for c in text):
        raise Invalid(T_("The sales channel may contain only letters, digits, dots, dashes and underscores."),
                      code="invalid", field="sales_channel")
    return text


def _clean_code(event: Event, value) -> str | None:
    """003: only A-Z and 0-9 without O and 1; unique among the organizer's orders."""
    text = clean_text(value, "code", 16, T_("order code"))
    if text is None:
        return None
    text = text.upper()
    if any(c not in CODE_CHARACTERS for c in text):
        raise Invalid(T_("The order code may contain only the letters A-Z and the digits 0-9, without O and 1."),
                      code="code_invalid", field="code")
    if _code_taken(event, text):
        raise Invalid(T_("The order code %(text)s is already in use.", text=text), code="code_taken", field="code")
    return text


def _code_taken(event: Event, code: str) -> bool:
    stmt = (select(Order.id).join(Event, Event.id == Order.event_id)
            .where(Event.organizer_id == event.organizer_id, Order.code == code).limit(1))
    return db.session.scalar(stmt) is not None


def new_code(event: Event) -> str:
    for _ in range(20):
        code = codes.order_code()
        if not _code_taken(event, code):
            return code
    raise Invalid(T_("No free order code was found; try again."), code="code_exhausted")  # pragma: no cover


def _payment_info(value) -> dict:
    if value in (None, ""):
        return {}
    if isinstance(value, dict):
        return value
    text = clean_text(str(value), "payment_info", MAX_TEXT, T_("payment information"))
    return {"info": text} if text else {}


def clean_customer(event: Event, value) -> Customer | None:
    if value in (None, ""):
        return None
    if isinstance(value, Customer):
        customer = value if value.organizer_id == event.organizer_id else None
    else:
        identifier = clean_text(value, "customer", 7 * 4, T_("customer")) or ""
        customer = db.session.scalar(select(Customer).where(Customer.organizer_id == event.organizer_id,
                                                            Customer.identifier == identifier.upper()))
    if customer is None:
        raise Invalid(T_("There is no customer %(identifier)s of this organizer.",
                         identifier=str(getattr(value, 'identifier', value))[:20]),
                      code="customer_invalid", field="customer")
    if customer.anonymized_at is not None:
        raise Invalid(T_("Customer %(identifier)s is anonymized: an order cannot be linked to it.",
                         identifier=customer.identifier),
                      code="customer_invalid", field="customer")
    return customer


def clean_invoice_address(value, stand_in) -> dict | None:
    if value in (None, {}):
        return None
    if not isinstance(value, dict):
        raise Invalid(T_("The invoice address must be an object."), code="invalid", field="invoice_address")
    data = dict(value)
    if data.get("name_parts") is None and data.get("name"):  # 003: name or name_parts
        data["name_parts"] = {"full_name": data["name"]} if stand_in.event.organizer.name_scheme == "full" else None
    data.pop("name", None)
    data.pop("vat_id_validated", None)
    try:
        cleaned = order_fields.clean_address(data, stand_in)
    except Invalid as e:  # named as the invoice address's fields, apart from the order's own
        errors = {f"invoice_address.{k}": v for k, v in (e.errors or {e.field or "name_parts": e.message}).items()}
        raise Invalid(e.message, code=e.code, field=next(iter(errors)), errors=errors) from None
    cleaned["vat_id_validated"] = value.get("vat_id_validated") is True
    return cleaned


# --- tickets ----------------------------------------------------------------------------------------

def clean_positions(event: Event, raw, errors: FieldErrors) -> list[Ticket]:
    if not isinstance(raw, list) or not raw:
        with errors.check("positions"):
            raise Invalid(T_("An order needs at least one ticket."), code="positions_missing", field="positions")
        return []
    if len(raw) > MAX_POSITIONS:
        with errors.check("positions"):
            raise Invalid(T_("An order can have at most %(max_positions)s tickets.",
                             max_positions=MAX_POSITIONS), code="too_many", field="positions")
        return []
    numbers = _position_ids(raw, errors)
    tickets = []
    for index, entry in enumerate(raw):
        inner = FieldErrors()
        ticket = _clean_position(event, entry, index, numbers, inner)
        for field, message in inner.errors.items():
            errors.errors.setdefault(f"positions.{index}.{field}", on_ticket(index + 1, message))
            errors.codes.setdefault(f"positions.{index}.{field}", inner.codes[field])
        if ticket is not None and not inner:
            tickets.append(ticket)
    if not errors:
        _check_addons(tickets, errors)
    return tickets


def _position_ids(raw: list, errors: FieldErrors) -> list[int]:
    """003: position ids are given for all tickets (1, 2, 3, …) or for none (then numbered in order)."""
    given = [isinstance(e, dict) and e.get("positionid") not in (None, "") for e in raw]
    if not any(given):
        if any(isinstance(e, dict) and e.get("addon_to") not in (None, "") for e in raw):
            with errors.check("positions"):
                raise Invalid(T_("Add-ons need position ids: give every ticket its positionid (1, 2, 3, …)."),
                              code="positionid_required", field="positions")
        return list(range(1, len(raw) + 1))
    numbers = []
    for index, entry in enumerate(raw):
        with errors.check(f"positions.{index}.positionid"):
            number = parsing.parse_id(entry.get("positionid") if isinstance(entry, dict) else None,
                                      label=T_("position id"))
            if number != index + 1:
                raise Invalid(T_("Ticket %(number)s: position ids must be given for every ticket and be consecutive "
                                 "from 1.",
                                 number=index + 1), code="positionid_invalid", field=f"positions.{index}.positionid")
        numbers.append(index + 1)
    return numbers


def _clean_position(event: Event, entry, index: int, numbers: list[int], errors: FieldErrors) -> Ticket | None:
    if not isinstance(entry, dict):
        with errors.check("item"):
            raise Invalid(T_("A ticket must be an object with item, variation, price and attendee fields."),
                          code="invalid", field="item")
        return None
    with errors.check("item"):
        unknown = sorted(set(entry) - POSITION_KEYS)
        if unknown:
            raise Invalid(T_("Unknown ticket fields: %(fields)s.",
                             fields=', '.join(k[:40] for k in unknown[:5])), code="invalid",
                          field="item")
        for key, what in UNSUPPORTED.items():
            if entry.get(key) not in (None, ""):
                raise Invalid(T_("Orders created here cannot use %(what)s.", what=what), code="unsupported", field=key)
    item, variation = choose_product(event, entry.get("item"), entry.get("variation"), errors)
    subevent = choose_subevent(event, entry.get("subevent"), errors)
    seat = choose_seat(event, item, subevent, entry.get("seat"), errors)
    price = secret = valid_from = valid_until = addon_to = None
    with errors.check("price"):
        price = parsing.parse_amount(entry.get("price"), minimum=ZERO, label=T_("price"), field="price")
    with errors.check("addon_to"):
        if entry.get("addon_to") not in (None, ""):
            addon_to = parsing.parse_id(entry.get("addon_to"), label=T_("add-on parent"), field="addon_to")
    with errors.check("secret"):
        secret = _clean_secret(entry.get("secret"))
    with errors.check("valid_from"):
        valid_from = parsing.parse_moment(entry.get("valid_from"), event.timezone, label=T_("valid from"),
                                          field="valid_from")
    with errors.check("valid_until"):
        valid_until = parsing.parse_moment(entry.get("valid_until"), event.timezone, label=T_("valid until"),
                                           field="valid_until")
    cleaned = {}
    attendee = {k: v for k, v in entry.items() if k in EDITABLE_FIELDS}
    with errors.check("attendee"):
        cleaned = clean_attendee(attendee, event, item.id if item else 0, require_answers=True)
    if item is None or errors:
        return None
    if "valid_from" not in entry and "valid_until" not in entry:
        valid_from, valid_until = _validity(item)  # 003: computed from the product when both are missing
    return Ticket(index=index, positionid=numbers[index], item=item, variation=variation, subevent=subevent,
                   seat=seat, price=price if price is not None else default_price(item, variation),
                   addon_to=addon_to, cleaned=cleaned, secret=secret, valid_from=valid_from,
                   valid_until=valid_until)


def _clean_secret(value) -> str | None:
    text = clean_text(value, "secret", 64)
    if text is None:
        return None
    if not all(c.isascii() and (c.isalnum() or c in "._-+/=") for c in text) or len(text) < 8:
        raise Invalid(T_("A ticket secret must be 8 to 64 letters, digits or . _ - + / =."), code="secret_invalid",
                      field="secret")
    return text


def _validity(item: Item) -> tuple[datetime | None, datetime | None]:
    if item.validity_fixed_from or item.validity_fixed_until:
        return item.validity_fixed_from, item.validity_fixed_until
    if item.validity_dynamic_days:
        start = utcnow()
        return start, start + timedelta(days=item.validity_dynamic_days)
    return None, None


def _check_addons(tickets: list[Ticket], errors: FieldErrors) -> None:
    """Add-ons come right after their ticket (003) and follow the products' add-on rules."""
    parent: Ticket | None = None
    for ticket in tickets:
        field = f"positions.{ticket.index}.addon_to"
        with errors.check(field):
            number = ticket.index + 1
            if ticket.addon_to is None:
                if ticket.item.is_addon:
                    raise Invalid(on_ticket(number, T_("'%(name)s' is an add-on: choose the ticket it belongs to.",
                                                       name=ticket.item.name)),
                                  code="addon_to_required", field=field)
                parent = ticket
                continue
            if not ticket.item.is_addon:
                raise Invalid(on_ticket(number, T_("'%(name)s' is not an add-on product.",
                                                   name=ticket.item.name)), code="addon_to_invalid",
                              field=field)
            if parent is None or ticket.addon_to != parent.positionid:
                raise Invalid(on_ticket(number, T_("an add-on must come right after the ticket it belongs to "
                                                   "(positionid %(addon_to)s), after that ticket's other add-ons.",
                                                   addon_to=ticket.addon_to)), code="addon_to_invalid",
                              field=field)
            if ticket.subevent != parent.subevent:
                raise Invalid(on_ticket(number, T_("an add-on must be for the same date as its ticket.")),
                              code="addon_to_invalid",
                              field=field)


# --- fees -------------------------------------------------------------------------------------------

@dataclass
class Fee:
    fee_type: str
    value: Decimal
    description: str
    internal_type: str
    tax_rule: TaxRule | None


def clean_fees(event: Event, raw, tickets: list[Ticket], errors: FieldErrors) -> list[Fee]:
    if raw in (None, []):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_POSITIONS:
        with errors.check("fees"):
            raise Invalid(T_("The fees must be a list of objects."), code="invalid", field="fees")
        return []
    products = sum((t.price for t in tickets), ZERO)
    result = []
    for index, entry in enumerate(raw):
        field = f"fees.{index}"
        with errors.check(field):
            result.append(_clean_fee(event, entry, products, field))
    return result


def _clean_fee(event: Event, entry, products: Decimal, field: str) -> Fee:
    if not isinstance(entry, dict) or set(entry) - FEE_KEYS:
        raise Invalid(T_("Fee %(fee)s: give fee_type, value, description, internal_type and tax_rule only.",
                         fee=field[5:]),
                      code="invalid", field=field)
    if entry.get("_split_taxes_like_products"):
        raise Invalid(T_("Fees taxed like the products are not offered here: give the fee's tax rule."),
                      code="unsupported", field=field)
    fee_type = entry.get("fee_type")
    if fee_type not in FEE_TYPES:
        raise Invalid(T_("The fee type must be one of %(types)s.",
                         types=', '.join(FEE_TYPES)), code="fee_type_invalid", field=field)
    value = parsing.parse_amount(entry.get("value"), label=T_("fee value"), field=field)
    if value is None:
        raise Invalid(T_("Enter the fee's value."), code="amount_missing", field=field)
    if entry.get("_treat_value_as_percentage") is True:
        value = (products * value / HUNDRED).quantize(Decimal("0.01"))
    rule = None
    if entry.get("tax_rule") not in (None, ""):
        rule_id = parsing.parse_id(entry.get("tax_rule"), label=T_("tax rule"), field=field)
        rule = db.session.scalar(select(TaxRule).where(TaxRule.id == rule_id, TaxRule.event_id == event.id))
        if rule is None:
            raise Invalid(T_("There is no tax rule %(rule_id)s in this event.",
                             rule_id=rule_id), code="tax_rule_invalid", field=field)
    return Fee(fee_type=fee_type, value=value,
                description=clean_text(entry.get("description"), field, 255, T_("fee description")) or "",
                internal_type=clean_text(entry.get("internal_type"), field, 255, T_("fee's internal type")) or "",
                tax_rule=rule)
