"""An event's products (items): name, price, tax rule, admission, seat, add-on, active, order.

Changing a product never rewrites orders: every ticket stores the price and tax it was sold
with. A product that orders use cannot be deleted, only deactivated (no longer sold); the
refusal says how many orders use it. Variations are in item_variations.py.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from . import product_common, tax_rules
from .audit import Actor
from .errors import FieldErrors, Invalid
from .models import Event, Item, OrderPosition, Quota, Question, TaxRule, Voucher
from .models.organizers import question_item, quota_item
from .versions import version_of
from .texts import T_

FIELDS = ("name", "default_price", "tax_rule_id", "admission", "requires_seat", "active", "is_addon",
          "addon_of_id")
LABELS = {"name": "name", "default_price": "price", "tax_rule_id": "tax rule", "admission": "admission",
          "requires_seat": "requires a seat", "active": "on sale", "is_addon": "add-on",
          "addon_of_id": "add-on of"}
#: the yes-or-no fields as a refusal names them
FLAG_LABELS = {"admission": T_("'admission'"), "requires_seat": T_("'requires a seat'"), "active": T_("'on sale'"),
               "is_addon": T_("'add-on'")}


def list_items(event: Event) -> list[Item]:
    """The event's products in their order."""
    return list(db.session.scalars(select(Item).where(Item.event_id == event.id).order_by(Item.position, Item.id)
                                   .options(selectinload(Item.variations), selectinload(Item.tax_rule),
                                            selectinload(Item.addon_of))))


def get_item(event: Event, raw_id: Any) -> Item:
    return product_common.get_in_event(Item, event, raw_id, T_("product"))


def current_values(item: Item) -> dict:
    return {"name": item.name, "default_price": f"{item.default_price:.2f}", "tax_rule_id": item.tax_rule_id,
            "admission": bool(item.admission), "requires_seat": bool(item.requires_seat),
            "active": bool(item.active), "is_addon": bool(item.is_addon), "addon_of_id": item.addon_of_id}


def version(item: Item) -> str:
    return version_of(current_values(item))


def clean_values(event: Event, item: Item | None, *, name: Any, default_price: Any, tax_rule_id: Any = None,
                 admission: Any = False, requires_seat: Any = False, active: Any = True, is_addon: Any = False,
                 addon_of_id: Any = None) -> dict:
    """The values to save; every refused field at once."""
    errors = FieldErrors()
    values: dict = {}
    with errors.check("name"):
        values["name"] = product_common.clean_text(name, field="name", label=T_("name"), limit=200, required=True)
    with errors.check("default_price"):
        values["default_price"] = product_common.clean_price(default_price, field="default_price", label=T_("price"))
    with errors.check("tax_rule_id"):
        values["tax_rule_id"] = _tax_rule_id(event, tax_rule_id)
    flags = {"admission": admission, "requires_seat": requires_seat, "active": active, "is_addon": is_addon}
    for field, raw in flags.items():
        with errors.check(field):
            values[field] = product_common.clean_bool(raw, field=field, label=FLAG_LABELS[field])
    with errors.check("addon_of_id"):
        values["addon_of_id"] = _addon_of(event, item, addon_of_id, values.get("is_addon", False))
    errors.raise_if_any()
    return values


def _tax_rule_id(event: Event, raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        return tax_rules.get_tax_rule(event, raw).id
    except Exception:  # NotFound, or an id that is not one
        raise Invalid(T_("Choose one of this event's tax rules, or none."), code="tax_rule_unknown",
                      field="tax_rule_id") from None


def _addon_of(event: Event, item: Item | None, raw: Any, is_addon: bool) -> int | None:
    if raw in (None, ""):
        return None
    try:
        main = get_item(event, raw)
    except Exception:
        raise Invalid(T_("Choose one of this event's products as the one the add-on belongs to."),
                      code="addon_of_unknown", field="addon_of_id") from None
    if not is_addon:
        raise Invalid(T_("Only an add-on belongs to another product: tick 'add-on' or choose no product."),
                      code="addon_of_without_addon", field="addon_of_id")
    if item is not None and main.id == item.id:
        raise Invalid(T_("A product cannot be an add-on of itself."), code="addon_of_self", field="addon_of_id")
    if main.is_addon:
        raise Invalid(T_("'%(name)s' is itself an add-on: choose a product sold on its own.", name=main.name),
                      code="addon_of_addon", field="addon_of_id")
    return main.id


def _logged(values: dict) -> dict:
    return {**values, "default_price": f"{values['default_price']:.2f}"}


def create_item(event: Event, *, actor: Actor, **fields) -> Item:
    values = clean_values(event, None, **fields)
    product_common.lock_event(event)
    last = db.session.scalar(select(func.max(Item.position)).where(Item.event_id == event.id))
    item = Item(event_id=event.id, position=(last or 0) + 1, **values)
    db.session.add(item)
    db.session.flush()
    product_common.log(actor, event, "item.created", {"item": item.id, **_logged(values)})
    return item


def update_item(item: Item, *, actor: Actor, seen: str | None, **fields) -> list[str]:
    """Save the product; returns the fields that changed. Orders keep what they were sold at."""
    event = db.session.get(Event, item.event_id)
    product_common.lock_event(event)
    db.session.refresh(item)
    product_common.check_version(current_values(item), seen, T_("the product '%(name)s'", name=item.name))
    values = clean_values(event, item, **fields)
    if item.is_addon is False and values["is_addon"]:
        _refuse_addon_with_addons(item)
    changed = product_common.changes(current_values(item), _logged(values))
    if not changed:
        return []
    for field in FIELDS:
        setattr(item, field, values[field])
    product_common.log(actor, event, "item.changed", {"item": item.id, "name": item.name, **changed})
    return list(changed)


def _refuse_addon_with_addons(item: Item) -> None:
    addons = db.session.scalar(select(func.count(Item.id)).where(Item.addon_of_id == item.id)) or 0
    if addons:
        raise Invalid(T_("'%(name)s' has add-ons of its own, so it cannot become an add-on.", name=item.name),
                      code="addon_of_addon", field="is_addon")


def set_active(item: Item, *, actor: Actor, active: bool) -> bool:
    """Put a product on sale or take it off; False when it already was."""
    event = db.session.get(Event, item.event_id)
    product_common.lock_event(event)
    db.session.refresh(item)
    if bool(item.active) == active:
        return False
    item.active = active
    product_common.log(actor, event, "item.activated" if active else "item.deactivated", {"item": item.id, "name": item.name})
    return True


def move_item(item: Item, *, actor: Actor, direction: str) -> bool:
    """Swap the product with its neighbour above ("up") or below ("down"); False at the end."""
    if direction not in ("up", "down"):
        raise Invalid(T_("Move a product up or down."), code="invalid", field="direction")
    event = db.session.get(Event, item.event_id)
    product_common.lock_event(event)
    items = list_items(event)
    index = next(i for i, it in enumerate(items) if it.id == item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for position, it in enumerate(items, start=1):
        it.position = position
    product_common.log(actor, event, "item.moved", {"item": item.id, "name": item.name, "direction": direction})
    return True


def orders_using(item: Item) -> int:
    """Orders with a ticket of this product, canceled ones too: they keep it."""
    return db.session.scalar(select(func.count(func.distinct(OrderPosition.order_id)))
                             .where(OrderPosition.item_id == item.id)) or 0


def orders_sentence(count: int) -> str:
    return T_("1 order uses it") if count == 1 else T_("%(count)s orders use it", count=f"{count:,}")


def delete_item(item: Item, *, actor: Actor) -> None:
    """Delete a product nobody bought; otherwise refuse and say why."""
    event = db.session.get(Event, item.event_id)
    product_common.lock_event(event)
    used = orders_using(item)
    if used:
        raise Invalid(T_("The product '%(name)s' cannot be deleted: %(orders)s. "
                         "Deactivate it instead: it is then no longer sold, and the orders keep it.",
                         name=item.name, orders=orders_sentence(used)),
                      code="item_in_use")
    vouchers = db.session.scalar(select(func.count(Voucher.id)).where(Voucher.item_id == item.id)) or 0
    if vouchers:
        raise Invalid(T_("The product '%(name)s' cannot be deleted: %(vouchers)s voucher(s) are for it. "
                         "Deactivate it instead.", name=item.name, vouchers=vouchers), code="item_in_use")
    addons = list(db.session.scalars(select(Item.name).where(Item.addon_of_id == item.id).order_by(Item.id)))
    if addons:
        raise Invalid(T_("The product '%(name)s' cannot be deleted: the add-on(s) %(addons)s belong "
                         "to it. Change them first.", name=item.name, addons=', '.join(addons)), code="item_in_use")
    data = {"item": item.id, **current_values(item)}
    variation_ids = [v.id for v in item.variations]
    db.session.execute(quota_item.delete().where(quota_item.c.item_id == item.id))
    db.session.execute(question_item.delete().where(question_item.c.item_id == item.id))
    if variation_ids:
        from .item_variations import unlink_variations
        unlink_variations(variation_ids)
    for variation in list(item.variations):
        db.session.delete(variation)
    db.session.flush()
    db.session.delete(item)
    db.session.flush()
    product_common.log(actor, event, "item.deleted", data)


def tax_rule_choices(event: Event) -> list[TaxRule]:
    return tax_rules.list_tax_rules(event)


def quotas_of(item: Item) -> list[Quota]:
    return list(db.session.scalars(select(Quota).join(quota_item, quota_item.c.quota_id == Quota.id)
                                   .where(quota_item.c.item_id == item.id).order_by(Quota.id)))


def questions_of(item: Item) -> list[Question]:
    return list(db.session.scalars(select(Question).join(question_item, question_item.c.question_id == Question.id)
                                   .where(question_item.c.item_id == item.id).order_by(Question.position, Question.id)))
