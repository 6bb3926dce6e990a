"""The tickets (order positions) of an order: find one, add a ticket, cancel one (seed 003's
POST and DELETE of orderpositions), and the order total they make up. Editing the attendee is in
position_fields.py, blocks and secrets in secrets.py.

Every change locks the order first (orders.begin_change), so two staff members never both take
the last ticket of a quota, and a page showing an older state is refused.
"""
from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from ..extensions import db
from . import audit, codes, parsing
from .audit import Actor
from .availability import Need, ensure_available
from .errors import FieldErrors, Invalid, NotFound
from .models import Event, Item, ItemVariation, Order, OrderPosition, OrderStatus, Seat, SubEvent, utcnow
from .orders import ZERO, begin_change, canceled_with_fee, new_deadline, paid_in_full, payment_refund_sum
from .position_fields import (apply_changes, clean_attendee, clean_text, ensure_changeable, questions_by_item,
                              questions_for, store_answers, update_position)
from .texts import T_

__all__ = ["get_position", "questions_for", "questions_by_item", "recompute_total", "update_position", "add_position",
           "cancel_position", "build_position", "choose_product", "choose_subevent", "choose_seat", "default_price"]

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


# --- reading -----------------------------------------------------------------------------------------

def get_position(order: Order, positionid) -> OrderPosition:
    """Ticket number `positionid` of `order` (canceled ones too); NotFound for anything else,
    also for a number no ticket can have (text, 30 digits)."""
    number = None
    # digits only: a number in a URL is the ticket's number exactly as the page printed it
    if isinstance(positionid, int) or (isinstance(positionid, str) and positionid.isascii() and positionid.isdigit()):
        try:
            number = parsing.parse_id(positionid, label=T_("ticket number"))
        except Invalid:
            number = None
    position = None
    if number is not None:
        position = db.session.scalar(select(OrderPosition).where(OrderPosition.order_id == order.id,
                                                                 OrderPosition.positionid == number))
    if position is None:
        raise NotFound(T_("Order %(code)s has no ticket %(number)s.",
                          code=order.code, number=str(positionid)[:20]), code="position_not_found")
    return position


def recompute_total(order: Order) -> Decimal:
    """The order's total: its non-canceled tickets and fees. The one place that sums them."""
    order.total = (sum((p.price for p in order.positions), ZERO) + sum((f.value for f in order.fees), ZERO))
    return order.total


def settle_status(order: Order, now: datetime) -> str | None:
    """After the total changed, as pretix does: a paid order that now owes money is pending again
    (with a new deadline); a pending order whose payments now cover the total is paid."""
    paid = payment_refund_sum(order)
    if order.status == OrderStatus.PAID and paid < order.total:
        order.status = OrderStatus.PENDING
        order.expires = new_deadline(order, now)
        return OrderStatus.PENDING
    if order.status == OrderStatus.PENDING and paid_in_full(order):
        order.status = OrderStatus.PAID
        return OrderStatus.PAID
    return None


def _ensure_order_open(order: Order, what: str) -> None:
    if order.status == OrderStatus.CANCELED or canceled_with_fee(order):
        raise Invalid(T_("Order %(code)s is canceled: reactivate it before you %(what)s.", code=order.code, what=what),
                      code="wrong_status")


# --- adding a ticket ------------------------------------------------------------------------------------

def lookup(model, value, field: str, missing: str, *conditions):
    """The row of `model` with id `value` that meets `conditions` (belongs to this event);
    refused with the `missing` sentence otherwise, also for an id no row can have."""
    try:
        row_id = parsing.parse_id(value, field=field)
    except Invalid:
        row_id = None
    row = db.session.scalar(select(model).where(model.id == row_id, *conditions)) if row_id else None
    if row is None:
        raise Invalid(missing, code=f"{field}_invalid", field=field)
    return row


def _id(value):
    return value.id if hasattr(value, "id") else value


def choose_product(event: Event, item, variation, errors: FieldErrors) -> tuple[Item | None, ItemVariation | None]:
    """The product (and its variation) of a new ticket of `event`; refusals go into `errors`."""
    chosen_item = chosen_variation = None
    with errors.check("item"):
        if item in (None, ""):
            raise Invalid(T_("Choose the product of the new ticket."), code="item_required", field="item")
        chosen_item = lookup(Item, _id(item), "item", T_("There is no product %(item)s in this event.",
                                                         item=str(_id(item))[:20]),
                              Item.event_id == event.id)
    if chosen_item is None:
        return None, None
    with errors.check("variation"):
        variation = _id(variation)
        if not chosen_item.variations:
            if variation not in (None, ""):
                raise Invalid(T_("'%(name)s' has no variations.",
                                 name=chosen_item.name), code="variation_invalid", field="variation")
        elif variation in (None, ""):
            raise Invalid(T_("Choose a variation of '%(name)s'.", name=chosen_item.name), code="variation_required",
                          field="variation")
        else:
            chosen_variation = lookup(ItemVariation, variation, "variation",
                                       T_("'%(name)s' has no variation %(variation)s.",
                                          name=chosen_item.name, variation=str(variation)[:20]),
                                       ItemVariation.item_id == chosen_item.id)
    return chosen_item, chosen_variation


def choose_subevent(event: Event, subevent, errors: FieldErrors) -> SubEvent | None:
    """The date of a new ticket: required exactly when the event is a series."""
    with errors.check("subevent"):
        subevent = _id(subevent)
        if not event.has_subevents:
            if subevent not in (None, ""):
                raise Invalid(T_("Event %(name)s has no dates to choose from.",
                                 name=event.name), code="subevent_invalid",
                              field="subevent")
            return None
        if subevent in (None, ""):
            raise Invalid(T_("Choose the date of the new ticket."), code="subevent_required", field="subevent")
        return lookup(SubEvent, subevent, "subevent", T_("There is no date %(date)s in this event.",
                                                         date=str(subevent)[:20]),
                       SubEvent.event_id == event.id)
    return None


def choose_seat(event: Event, item: Item | None, subevent: SubEvent | None, seat, errors: FieldErrors) -> Seat | None:
    """The seat (by its guid) of a new ticket: required exactly when the product is sold with seats."""
    with errors.check("seat"):
        guid = seat.seat_guid if isinstance(seat, Seat) else clean_text(seat, "seat", 190)
        if item is None:
            return None
        if not guid:
            if item.requires_seat:
                raise Invalid(T_("'%(name)s' is sold with seats: choose a seat.",
                                 name=item.name), code="seat_required", field="seat")
            return None
        if not item.requires_seat:
            raise Invalid(T_("'%(name)s' is not sold with seats.", name=item.name), code="seat_invalid", field="seat")
        found = db.session.scalar(select(Seat).where(
            Seat.event_id == event.id, Seat.seat_guid == guid,
            Seat.subevent_id.is_(None) if subevent is None else Seat.subevent_id == subevent.id))
        if found is None:
            raise Invalid(T_("There is no seat '%(seat)s' for this date.",
                             seat=guid[:40]), code="seat_invalid", field="seat")
        return found
    return None


def choose_parent(order: Order, item: Item | None, addon_to, errors: FieldErrors) -> OrderPosition | None:
    with errors.check("addon_to"):
        if addon_to in (None, ""):
            if item is not None and item.is_addon:
                raise Invalid(T_("'%(name)s' is an add-on: choose the ticket it belongs to.", name=item.name),
                              code="addon_to_required", field="addon_to")
            return None
        if item is not None and not item.is_addon:
            raise Invalid(T_("'%(name)s' is not an add-on product.",
                             name=item.name), code="addon_to_invalid", field="addon_to")
        try:
            parent = get_position(order, addon_to)
        except NotFound:
            parent = None
        if parent is None or parent.canceled or parent.addon_to_id is not None:
            raise Invalid(T_("Ticket %(ticket)s of order %(code)s cannot take add-ons: choose a "
                             "ticket of this order that is not canceled and not an add-on itself.",
                             ticket=str(addon_to)[:20], code=order.code),
                          code="addon_to_invalid", field="addon_to")
        return parent
    return None


def default_price(item: Item, variation: ItemVariation | None) -> Decimal:
    """The product's price; a tax rule that adds tax on top makes it the gross price."""
    price = variation.price if variation is not None else item.default_price
    rule = item.tax_rule
    if rule is not None and not rule.price_includes_tax:
        price = (price * (HUNDRED + rule.rate) / HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return price


def tax_included(price: Decimal, rate: Decimal) -> Decimal:
    return (price * rate / (HUNDRED + rate)).quantize(CENT, ROUND_HALF_UP)


def build_position(order: Order, *, positionid: int, item: Item, variation: ItemVariation | None,
                   subevent: SubEvent | None, seat: Seat | None, price: Decimal | None,
                   addon_to: OrderPosition | None, cleaned: dict, secret: str | None = None,
                   valid_from=None, valid_until=None) -> OrderPosition:
    """A new ticket of `order` from checked values (add a ticket, create an order): the price
    defaults to the product's, tax from the product's tax rule, a fresh secret; the cleaned
    attendee fields and answers (position_fields.clean_attendee) are stored with it."""
    if price is None:
        price = default_price(item, variation)
    rule = item.tax_rule
    rate = rule.rate if rule is not None else ZERO
    position = OrderPosition(
        order=order, positionid=positionid, item=item, variation=variation, subevent=subevent, seat=seat,
        price=price, tax_rule_id=rule.id if rule is not None else None, tax_rate=rate,
        tax_value=tax_included(price, rate), secret=secret or codes.position_secret(),
        pseudonymization_id=codes.pseudonymization_id(), addon_to=addon_to, valid_from=valid_from,
        valid_until=valid_until, attendee_name_parts={"_scheme": order.event.organizer.name_scheme})
    db.session.add(position)
    apply_changes(position, {k: v for k, v in cleaned.items() if k != "answers"})
    db.session.flush()
    if cleaned.get("answers"):
        store_answers(position, cleaned["answers"])
    return position


def add_position(order: Order, *, actor: Actor, item, variation=None, subevent=None, seat=None, price=None,
                 addon_to=None, force: bool = False, seen_last_modified: str | None = None,
                 now: datetime | None = None, **attendee) -> OrderPosition:
    """Add a ticket to the order (003's POST of orderpositions).

    `item`, `variation` and `subevent` are ids (or the objects), `seat` the seat's guid,
    `addon_to` the number of the ticket in this order it is an add-on to, `price` defaults to
    the product's. Quota and seat are checked inside the lock, unless `force` overbooks. The
    order total follows; a paid order that now owes money is pending again.
    """
    now = now or utcnow()
    errors = FieldErrors()
    chosen_item, chosen_variation = choose_product(order.event, item, variation, errors)
    chosen_subevent = choose_subevent(order.event, subevent, errors)
    chosen_seat = choose_seat(order.event, chosen_item, chosen_subevent, seat, errors)
    parent = choose_parent(order, chosen_item, addon_to, errors)
    with errors.check("price"):
        price = parsing.parse_amount(price, minimum=ZERO, label=T_("price"), field="price")
    cleaned = {}
    with errors.check("attendee"):
        cleaned = clean_attendee(attendee, order, chosen_item.id if chosen_item else 0, require_answers=False)
    errors.raise_if_any()
    order = begin_change(order, seen_last_modified)
    _ensure_order_open(order, T_("add tickets"))
    if parent is not None:
        db.session.refresh(parent)
        if parent.canceled:
            raise Invalid(T_("Ticket %(positionid)s was canceled in the meantime.",
                             positionid=parent.positionid), code="addon_to_invalid",
                          field="addon_to")
    ensure_available(order.event_id, [Need(chosen_item.id, chosen_variation.id if chosen_variation else None,
                                           chosen_subevent.id if chosen_subevent else None,
                                           chosen_seat.id if chosen_seat else None)], force=force)
    position = build_position(order, positionid=max((p.positionid for p in order.all_positions), default=0) + 1,
                              item=chosen_item, variation=chosen_variation, subevent=chosen_subevent,
                              seat=chosen_seat, price=price, addon_to=parent, cleaned=cleaned)
    price = position.price
    previous_total = order.total
    recompute_total(order)
    status = settle_status(order, now)
    audit.log(actor, order, "position.added", data={
        "position": position.positionid, "product": _product_name(position), "price": price,
        "addon_to": parent.positionid if parent else None, "seat": chosen_seat.name if chosen_seat else None,
        "total": {"old": previous_total, "new": order.total}, "overbooked": bool(force),
        **({"new_status": status} if status else {})})
    return position


def _product_name(position: OrderPosition) -> str:
    name = position.item.name
    return f"{name} – {position.variation.value}" if position.variation is not None else name


# --- canceling a ticket ----------------------------------------------------------------------------------

def cancel_position(position: OrderPosition, *, actor: Actor, seen_last_modified: str | None = None,
                    now: datetime | None = None) -> OrderPosition:
    """Cancel one ticket and its add-ons (003's DELETE of an orderposition). Never the last
    ticket: that is canceling the order. The total follows; what was paid beyond it shows as
    due for refund."""
    now = now or utcnow()
    order = begin_change(position.order, seen_last_modified)
    db.session.refresh(position)
    ensure_changeable(position)
    _ensure_order_open(order, T_("cancel single tickets"))
    addons = [p for p in order.positions if p.addon_to_id == position.id]
    remaining = [p for p in order.positions if p is not position and p not in addons]
    if not remaining:
        raise Invalid(T_("Ticket %(positionid)s is the last ticket of order %(code)s: cancel the order "
                         "instead.", positionid=position.positionid, code=order.code), code="last_position")
    for p in [position, *addons]:
        p.canceled = True
    previous_total = order.total
    recompute_total(order)
    status = settle_status(order, now)
    audit.log(actor, order, "position.canceled", data={
        "position": position.positionid, "product": _product_name(position), "price": position.price,
        "addons": [p.positionid for p in addons], "total": {"old": previous_total, "new": order.total},
        **({"new_status": status} if status else {})})
    return position
