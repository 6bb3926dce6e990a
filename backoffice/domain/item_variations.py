"""Variations of a product (e.g. "Balcony", "Student"): a name, a price (empty: the product's),
active, and their order.

Like products, a variation that orders use cannot be deleted, only deactivated.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from . import parsing, product_common
from .audit import Actor
from .errors import FieldErrors, Invalid
from .models import Event, Item, ItemVariation, OrderPosition, Voucher
from .models.organizers import quota_variation
from .versions import version_of
from .texts import T_

FIELDS = ("value", "default_price", "active", "position")
MAX_POSITION = 100_000


def get_variation(item: Item, raw_id: Any) -> ItemVariation:
    event = db.session.get(Event, item.event_id)
    variation = product_common.get_in_event(ItemVariation, event, raw_id, T_("variation"),
                                      event_of=lambda v: v.item.event_id if v.item_id == item.id else None)
    return variation


def current_values(variation: ItemVariation) -> dict:
    price = variation.default_price
    return {"value": variation.value, "default_price": None if price is None else f"{price:.2f}",
            "active": bool(variation.active), "position": variation.position or 0}


def version(variation: ItemVariation) -> str:
    return version_of(current_values(variation))


def clean_values(*, value: Any, default_price: Any = None, active: Any = True, position: Any = None,
                 default_position: int = 0) -> dict:
    errors = FieldErrors()
    values: dict = {}
    with errors.check("value"):
        values["value"] = product_common.clean_text(value, field="value", label=T_("variation name"), limit=200,
                                                    required=True)
    with errors.check("default_price"):
        values["default_price"] = product_common.clean_price(default_price, field="default_price",
                                                             label=T_("variation price"),
                                                      required=False)
    with errors.check("active"):
        values["active"] = product_common.clean_bool(active, field="active", label=T_("'on sale'"))
    with errors.check("position"):
        parsed = parsing.parse_integer(position, minimum=0, maximum=MAX_POSITION, label=T_("position"),
                                       field="position")
        values["position"] = default_position if parsed is None else parsed
    errors.raise_if_any()
    return values


def _logged(values: dict) -> dict:
    price = values["default_price"]
    return {**values, "default_price": None if price is None else f"{price:.2f}"}


def add_variation(item: Item, *, actor: Actor, **fields) -> ItemVariation:
    event = db.session.get(Event, item.event_id)
    product_common.lock_event(event)
    last = db.session.scalar(select(func.max(ItemVariation.position)).where(ItemVariation.item_id == item.id))
    values = clean_values(default_position=(last or 0) + 1 if last is not None else 0, **fields)
    variation = ItemVariation(item_id=item.id, **values)
    db.session.add(variation)
    db.session.flush()
    db.session.expire(item, ["variations"])
    product_common.log(actor, event, "item.variation_added", {"item": item.id, "name": item.name,
                                                         "variation": variation.id, **_logged(values)})
    return variation


def update_variation(variation: ItemVariation, *, actor: Actor, seen: str | None, **fields) -> list[str]:
    item = variation.item
    event = db.session.get(Event, item.event_id)
    product_common.lock_event(event)
    db.session.refresh(variation)
    product_common.check_version(current_values(variation), seen, T_("the variation '%(value)s'",
                                                                     value=variation.value))
    values = clean_values(default_position=variation.position or 0, **fields)
    changed = product_common.changes(current_values(variation), _logged(values))
    if not changed:
        return []
    for field in FIELDS:
        setattr(variation, field, values[field])
    db.session.expire(item, ["variations"])
    product_common.log(actor, event, "item.variation_changed", {"item": item.id, "name": item.name,
                                                           "variation": variation.id, **changed})
    return list(changed)


def orders_using(variation: ItemVariation) -> int:
    return db.session.scalar(select(func.count(func.distinct(OrderPosition.order_id)))
                             .where(OrderPosition.variation_id == variation.id)) or 0


def unlink_variations(variation_ids: list[int]) -> None:
    """Take deleted variations out of the quotas that counted them."""
    db.session.execute(quota_variation.delete().where(quota_variation.c.variation_id.in_(variation_ids)))


def delete_variation(variation: ItemVariation, *, actor: Actor) -> None:
    item = variation.item
    event = db.session.get(Event, item.event_id)
    product_common.lock_event(event)
    used = orders_using(variation)
    if used:
        orders = T_("1 order uses it") if used == 1 else T_("%(count)s orders use it", count=f"{used:,}")
        raise Invalid(T_("The variation '%(value)s' cannot be deleted: %(orders)s. "
                         "Deactivate it instead: it is then no longer sold, and the orders keep it.",
                         value=variation.value, orders=orders),
                      code="variation_in_use")
    vouchers = db.session.scalar(select(func.count(Voucher.id)).where(Voucher.variation_id == variation.id)) or 0
    if vouchers:
        raise Invalid(T_("The variation '%(value)s' cannot be deleted: %(vouchers)s voucher(s) are for it. "
                         "Deactivate it instead.", value=variation.value, vouchers=vouchers), code="variation_in_use")
    data = {"item": item.id, "name": item.name, "variation": variation.id, **current_values(variation)}
    unlink_variations([variation.id])
    db.session.delete(variation)
    db.session.flush()
    db.session.expire(item, ["variations"])
    product_common.log(actor, event, "item.variation_deleted", data)
