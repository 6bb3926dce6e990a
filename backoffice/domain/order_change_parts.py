"""The parts of one order change (seed 003's `change`): reading each part, checking its fields
and applying it to the order in memory. order_change.change_order checks the final state, moves
split tickets and writes the history.

Every refusal names its part ("Ticket 2: …", "New ticket 1: …", "Fee 7: …"), so that a change of
many parts says which one is wrong. Products, dates, seats, add-on parents and attendee fields
are checked by the same functions that add a single ticket (positions.py, position_fields.py).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from ..extensions import db
from . import codes, parsing
from .errors import FieldErrors, Invalid
from .texts import T_, joined, lowercased
from .models import Item, Order, OrderFee, OrderPosition, TaxRule
from .orders import ZERO
from .position_fields import EDITABLE_FIELDS, clean_attendee
# the checks of a single added ticket, shared so that every way of adding one agrees
from .positions import (choose_parent, lookup, build_position, choose_product, choose_seat, choose_subevent,
                        default_price, tax_included)

PATCH_FIELDS = ("item", "variation", "subevent", "seat", "price", "tax_rule", "valid_from", "valid_until")
CREATE_FIELDS = ("item", "variation", "subevent", "seat", "price", "addon_to", *EDITABLE_FIELDS)
TAX_MODES = ("keep_net", "keep_gross")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


# --- errors named after their part --------------------------------------------------------------------

def _sentence(message: str) -> str:
    """'There is no seat …' reads 'there is no seat …' after 'Ticket 2: '; names stay as they are.
    A translation keeps its own spelling."""
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        return lowercased(message)
    return message


class PartErrors:
    """Every refused part of a change, keyed `<part>.<field>` (e.g. `position.2.seat`), each
    message starting with the part's name, refused together."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}
        self.codes: dict[str, str] = {}

    def add(self, key: str, label: str, message: str, code: str = "invalid") -> None:
        self.errors.setdefault(key, T_("%(part)s: %(problem)s", part=label, problem=_sentence(message)))
        self.codes.setdefault(key, code)

    def merge(self, key: str, label: str, errors: FieldErrors) -> None:
        for name, message in errors.errors.items():
            self.add(f"{key}.{name}", label, message, errors.codes.get(name, "invalid"))

    @contextmanager
    def check(self, key: str, label: str):
        try:
            yield
        except Invalid as e:
            for name, message in (e.errors or {e.field or "": e.message}).items():
                self.add(f"{key}.{name}" if name else key, label, message, e.code)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        first = next(iter(self.errors))
        code = self.codes[first] if len(self.errors) == 1 else "invalid_change"
        raise Invalid(joined(list(self.errors.values())), code=code, field=first, errors=self.errors)


# --- reading the request ----------------------------------------------------------------------------

@dataclass
class Plan:
    """What one change asks for, by part; ids still as they were given."""
    patches: list[tuple[Any, dict]] = field(default_factory=list)
    cancels: list[Any] = field(default_factory=list)
    creates: list[dict] = field(default_factory=list)
    splits: list[Any] = field(default_factory=list)
    fee_values: list[tuple[Any, Any]] = field(default_factory=list)
    fee_cancels: list[Any] = field(default_factory=list)
    recalculate_taxes: str | None = None

    def empty(self) -> bool:
        return not (self.patches or self.cancels or self.creates or self.splits or self.fee_values
                    or self.fee_cancels or self.recalculate_taxes)


def _entries(value, name: str) -> list:
    if value in (None, ""):
        return []
    if not isinstance(value, (list, tuple)):
        raise Invalid(T_("%(name)s must be a list.", name=name), code="invalid", field=name)
    if len(value) > 500:
        raise Invalid(T_("%(name)s: at most 500 entries in one change.", name=name), code="too_many", field=name)
    return list(value)


def _ref(entry, key: str):
    """003 sends {"position": 12} (or {"fee": 5}); a bare id is accepted too."""
    return entry.get(key) if isinstance(entry, dict) else entry


def _body(entry, key: str, fields: tuple[str, ...]) -> tuple[Any, dict]:
    """(id, body) of a patch: 003's {"position": 1, "body": {...}} or a flat {"position": 1, ...}."""
    if not isinstance(entry, dict):
        raise Invalid(T_("Each entry of the changes must name the %(key)s and the values to change.", key=key),
                      code="invalid")
    body = entry.get("body") if "body" in entry else {k: v for k, v in entry.items() if k != key}
    if not isinstance(body, dict):
        raise Invalid(T_("The values to change of %(key)s %(value)s must be an object.", key=key,
                         value=str(entry.get(key))[:20]), code="invalid")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise Invalid(T_("These fields cannot be changed here: %(fields)s.",
                         fields=', '.join(str(u)[:30] for u in unknown[:10])),
                      code="not_editable")
    return entry.get(key), body


def read_plan(*, patch_positions=None, cancel_positions=None, create_positions=None, split_positions=None,
              patch_fees=None, cancel_fees=None, recalculate_taxes=None) -> Plan:
    """The parts of a change as lists; refuses a shape no part can have."""
    plan, errors = Plan(), PartErrors()
    with errors.check("patch_positions", T_("Changed tickets")):
        plan.patches = [_body(e, "position", PATCH_FIELDS) for e in _entries(patch_positions, "patch_positions")]
    with errors.check("cancel_positions", T_("Canceled tickets")):
        plan.cancels = [_ref(e, "position") for e in _entries(cancel_positions, "cancel_positions")]
    with errors.check("create_positions", T_("New tickets")):
        plan.creates = _entries(create_positions, "create_positions")
        if not all(isinstance(e, dict) for e in plan.creates):
            raise Invalid(T_("Each new ticket must be an object with its product and attendee."), code="invalid")
    with errors.check("split_positions", T_("Split tickets")):
        plan.splits = [_ref(e, "position") for e in _entries(split_positions, "split_positions")]
    with errors.check("patch_fees", T_("Changed fees")):
        plan.fee_values = [(fee, body.get("value")) for fee, body in
                           (_body(e, "fee", ("value",)) for e in _entries(patch_fees, "patch_fees"))]
    with errors.check("cancel_fees", T_("Canceled fees")):
        plan.fee_cancels = [_ref(e, "fee") for e in _entries(cancel_fees, "cancel_fees")]
    if recalculate_taxes not in (None, "", *TAX_MODES):
        errors.add("recalculate_taxes", T_("Taxes"), T_("'%(value)s' is not a way to recalculate "
                                                        "taxes: choose keep_net, keep_gross or none.",
                                                        value=str(recalculate_taxes)[:20]), "recalculate_taxes_invalid")
    plan.recalculate_taxes = recalculate_taxes or None
    errors.raise_if_any()
    return plan


# --- changing a ticket ------------------------------------------------------------------------------

def _given(body: dict, name: str) -> bool:
    return name in body


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _name(position_or_item, variation=None) -> str:
    item = position_or_item.item if isinstance(position_or_item, OrderPosition) else position_or_item
    variation = position_or_item.variation if isinstance(position_or_item, OrderPosition) else variation
    return f"{item.name} – {variation.value}" if variation is not None else item.name


def patch_position(order: Order, position: OrderPosition, body: dict) -> dict:
    """Apply the changed values of `body` to `position`; returns {field: {old, new}} of what
    changed. Raises Invalid (fields named) and changes nothing when a value is refused."""
    errors = FieldErrors()
    product_given = _given(body, "item") or _given(body, "variation")
    item, variation = position.item, position.variation
    if product_given:
        wanted = position.item
        if _given(body, "item"):
            with errors.check("item"):
                wanted = lookup(Item, body["item"], "item", T_("There is no product %(item)s in "
                                    "this event.", item=str(body['item'])[:20]), Item.event_id == order.event_id)
        if not errors:
            same = wanted.id == position.item_id
            variation_value = body["variation"] if _given(body, "variation") else (
                position.variation_id if same else None)
            item, variation = choose_product(order.event, wanted.id, variation_value, errors)
            if item is not None and item.id != position.item_id:
                with errors.check("item"):
                    _check_addon_kind(position, item)
    subevent = position.subevent
    if _given(body, "subevent"):
        if order.event.has_subevents and _blank(body["subevent"]):
            with errors.check("subevent"):
                raise Invalid(T_("Choose the date."), code="subevent_required", field="subevent")
        else:
            subevent = choose_subevent(order.event, body["subevent"], errors)
    seat = position.seat
    if item is not None and (product_given or _given(body, "subevent") or _given(body, "seat")):
        guid = body["seat"] if _given(body, "seat") else (position.seat.seat_guid if position.seat else None)
        seat = choose_seat(order.event, item, subevent, guid, errors)
    price = position.price
    with errors.check("price"):
        given_price = parsing.parse_amount(body.get("price"), minimum=ZERO, label=T_("price"), field="price")
        if given_price is not None:
            price = given_price
        elif item is not None and (item.id, getattr(variation, "id", None)) != (position.item_id,
                                                                                 position.variation_id):
            price = default_price(item, variation)
    rule = position.tax_rule
    with errors.check("tax_rule"):
        if _given(body, "tax_rule"):
            rule = None if _blank(body["tax_rule"]) else lookup(
                TaxRule, body["tax_rule"], "tax_rule", T_("There is no tax rule %(tax_rule)s in this "
                   "event.", tax_rule=str(body['tax_rule'])[:20]), TaxRule.event_id == order.event_id)
        elif item is not None and item.id != position.item_id:
            rule = item.tax_rule
    valid_from, valid_until = position.valid_from, position.valid_until
    tz = order.event.timezone
    with errors.check("valid_from"):
        if _given(body, "valid_from"):
            valid_from = parsing.parse_moment(body["valid_from"], tz, label=T_("start of validity"), field="valid_from")
    with errors.check("valid_until"):
        if _given(body, "valid_until"):
            valid_until = parsing.parse_moment(body["valid_until"], tz, label=T_("end of validity"),
                                               field="valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            raise Invalid(T_("The end of validity must not be before its start."), code="date_order",
                          field="valid_until")
    errors.raise_if_any()
    before, before_rule = _snapshot(position), position.tax_rule
    position.item, position.variation, position.subevent, position.seat = item, variation, subevent, seat
    position.price, position.valid_from, position.valid_until = price, valid_from, valid_until
    if rule is not before_rule or price != before["price"]:
        # the price is the gross price: its tax follows the rule's rate
        position.tax_rule = rule
        position.tax_rule_id = rule.id if rule is not None else None
        position.tax_rate = rule.rate if rule is not None else ZERO
        position.tax_value = tax_included(price, position.tax_rate)
    after = _snapshot(position)
    return {k: {"old": before[k], "new": after[k]} for k in before if before[k] != after[k]}


def _check_addon_kind(position: OrderPosition, item: Item) -> None:
    if position.addon_to_id is not None and not item.is_addon:
        raise Invalid(T_("'%(name)s' is not an add-on product, and this ticket is an add-on.", name=item.name),
                      code="item_invalid", field="item")
    if position.addon_to_id is None and item.is_addon:
        raise Invalid(T_("'%(name)s' is an add-on product: add it as a new ticket to the ticket it belongs to.",
                         name=item.name),
                      code="item_invalid", field="item")


def _snapshot(position: OrderPosition) -> dict:
    """What the history shows of a ticket, before and after."""
    return {"product": _name(position), "date": position.subevent.name if position.subevent else None,
            "seat": position.seat.name if position.seat else None, "price": position.price,
            "tax_rate": position.tax_rate, "valid_from": position.valid_from, "valid_until": position.valid_until}


# --- a new ticket -----------------------------------------------------------------------------------------

def create_position(order: Order, body: dict, number: int) -> OrderPosition:
    """A new ticket number `number` of the order from 003's create fields; checked as adding one
    ticket is (quota and seats are checked on the final state by the caller)."""
    unknown = sorted(set(body) - set(CREATE_FIELDS))
    if unknown:
        raise Invalid(T_("These fields cannot be set on a new ticket: %(fields)s.",
                         fields=', '.join(str(u)[:30] for u in unknown[:10])),
                      code="not_editable")
    errors = FieldErrors()
    item, variation = choose_product(order.event, body.get("item"), body.get("variation"), errors)
    subevent = choose_subevent(order.event, body.get("subevent"), errors)
    seat = choose_seat(order.event, item, subevent, body.get("seat"), errors)
    parent = choose_parent(order, item, body.get("addon_to"), errors)
    price = None
    with errors.check("price"):
        price = parsing.parse_amount(body.get("price"), minimum=ZERO, label=T_("price"), field="price")
    cleaned = {}
    with errors.check("attendee"):
        attendee = {k: v for k, v in body.items() if k in EDITABLE_FIELDS}
        cleaned = clean_attendee(attendee, order, item.id if item else 0, require_answers=False)
    errors.raise_if_any()
    return build_position(order, positionid=number, item=item, variation=variation, subevent=subevent, seat=seat,
                          price=price, addon_to=parent, cleaned=cleaned)


# --- fees and taxes ----------------------------------------------------------------------------------

def find_fee(order: Order, value) -> OrderFee:
    """A fee of this order that is not canceled, by its id."""
    try:
        fee_id = parsing.parse_id(value, label=T_("fee"))
    except Invalid:
        fee_id = None
    fee = next((f for f in order.all_fees if f.id == fee_id), None) if fee_id else None
    if fee is None:
        raise Invalid(T_("Order %(code)s has no fee %(fee)s.", code=order.code, fee=str(value)[:20]),
                      code="fee_not_found",
                      field="fee")
    if fee.canceled:
        raise Invalid(T_("It is canceled already."), code="fee_canceled", field="fee")
    return fee


def fee_label(fee_id) -> str:
    return T_("Fee %(fee)s", fee=str(fee_id)[:20])


def set_fee_value(fee: OrderFee, value) -> dict:
    amount = parsing.parse_amount(value, minimum=ZERO, label=T_("fee"), field="value")
    if amount is None:
        raise Invalid(T_("Enter the new value of the fee."), code="amount_missing", field="value")
    old = fee.value
    fee.value = amount
    fee.tax_value = tax_included(amount, fee.tax_rate)
    return {"fee": fee.id, "type": fee.fee_type, "value": {"old": old, "new": amount}}


def recalculate_taxes(order: Order, mode: str) -> list[dict]:
    """Each ticket and fee with a tax rule gets the rule's current rate; `keep_gross` keeps the
    price and moves the tax inside it, `keep_net` keeps the price without tax and moves the price."""
    changes = []
    for part, label in [(p, f"ticket {p.positionid}") for p in order.positions] + \
                       [(f, f"fee {f.id}") for f in order.fees]:
        rule = db.session.get(TaxRule, part.tax_rule_id) if part.tax_rule_id else None
        if rule is None:
            continue
        amount_name = "price" if isinstance(part, OrderPosition) else "value"
        old_amount, old_rate = getattr(part, amount_name), part.tax_rate
        amount = old_amount
        if mode == "keep_net":
            net = old_amount - part.tax_value
            amount = (net * (HUNDRED + rule.rate) / HUNDRED).quantize(CENT, ROUND_HALF_UP)
        setattr(part, amount_name, amount)
        part.tax_rate = rule.rate
        part.tax_value = tax_included(amount, rule.rate)
        if (amount, rule.rate) != (old_amount, old_rate):
            changes.append({"part": label, "price": {"old": old_amount, "new": amount},
                            "tax_rate": {"old": old_rate, "new": rule.rate}})
    return changes


def next_positionid(order: Order) -> int:
    return max((p.positionid for p in order.all_positions), default=0) + 1


def taken_codes(event_id: int, code: str) -> bool:
    return db.session.scalar(select(Order.id).where(Order.event_id == event_id, Order.code == code)) is not None


def new_order_code(event_id: int) -> str:
    for _ in range(20):
        code = codes.order_code()
        if not taken_codes(event_id, code):
            return code
    raise Invalid(T_("No free order code was found; try again."), code="code_exhausted")  # pragma: no cover

