"""An event's quotas: a name, a size (or unlimited), the products and variations they count, and
for an event with dates (sub-events) the date they are for.

What a quota has sold, holds for pending orders and has free comes from availability.py, the
same counting the order actions check before selling.

Shrinking a quota below what it already counts is allowed (an organizer may need to stop sales
at once, and orders that exist stay valid) but the save returns a warning saying so: no ticket
of it is sold again until enough orders are canceled.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from . import availability, parsing, product_common, tx
from .audit import Actor
from .errors import FieldErrors, Invalid
from .models import Event, Item, ItemVariation, Quota, SubEvent, Voucher
from .versions import version_of
from .texts import T_

#: a size above this is a typing mistake
MAX_SIZE = 10_000_000


def list_quotas(event: Event) -> list[Quota]:
    stmt = (select(Quota).where(Quota.event_id == event.id).order_by(Quota.subevent_id, Quota.name, Quota.id)
            .options(selectinload(Quota.items), selectinload(Quota.subevent)))
    return list(db.session.scalars(stmt))


def get_quota(event: Event, raw_id: Any) -> Quota:
    return product_common.get_in_event(Quota, event, raw_id, T_("quota"))


def usages(quotas: list[Quota]) -> dict[int, availability.QuotaUsage]:
    return availability.quota_usages(quotas)


def current_values(quota: Quota) -> dict:
    return {"name": quota.name, "size": quota.size, "subevent_id": quota.subevent_id,
            "items": sorted(i.id for i in quota.items), "variations": sorted(v.id for v in quota.variations)}


def version(quota: Quota) -> str:
    return version_of(current_values(quota))


def subevents_of(event: Event) -> list[SubEvent]:
    return list(db.session.scalars(select(SubEvent).where(SubEvent.event_id == event.id)
                                   .order_by(SubEvent.date_from, SubEvent.id)))


def clean_values(event: Event, *, name: Any, size: Any, unlimited: Any = False, items: Any = (),
                 variations: Any = (), subevent_id: Any = None) -> dict:
    """The values to save; the products, variations and date must be this event's."""
    errors = FieldErrors()
    values: dict = {}
    with errors.check("name"):
        values["name"] = product_common.clean_text(name, field="name", label=T_("name"), limit=200, required=True)
    with errors.check("size"):
        values["size"] = _size(size, product_common.clean_bool(unlimited, field="unlimited", label=T_("'unlimited'")))
    with errors.check("subevent_id"):
        values["subevent_id"] = _subevent(event, subevent_id)
    with errors.check("items"):
        chosen_items, chosen_variations = _products(event, items, variations)
        values["items"], values["variations"] = chosen_items, chosen_variations
    errors.raise_if_any()
    return values


def _size(raw: Any, unlimited: bool) -> int | None:
    if unlimited:
        return None
    size = parsing.parse_integer(raw, minimum=0, maximum=MAX_SIZE, label=T_("size"), field="size")
    if size is None:
        raise Invalid(T_("Enter how many tickets the quota holds, or tick 'unlimited'."), code="required", field="size")
    return size


def _subevent(event: Event, raw: Any) -> int | None:
    if raw in (None, ""):
        if event.has_subevents:
            raise Invalid(T_("Choose the date this quota is for: this event has several dates."),
                          code="required", field="subevent_id")
        return None
    try:
        return product_common.get_in_event(SubEvent, event, raw, T_("date")).id
    except Exception:
        raise Invalid(T_("Choose one of this event's dates."), code="subevent_unknown", field="subevent_id") from None


def _products(event: Event, raw_items: Any, raw_variations: Any) -> tuple[list[Item], list[ItemVariation]]:
    """The products and variations counted. A product with variations and none of them chosen
    counts all of its variations (a quota with the product but none of its variations would
    count nothing of it)."""
    item_ids = product_common.parse_ids(raw_items, field="items", label=T_("product"))
    variation_ids = product_common.parse_ids(raw_variations, field="items", label=T_("variation"))
    items = list(db.session.scalars(select(Item).where(Item.event_id == event.id, Item.id.in_(item_ids))
                                    .order_by(Item.position, Item.id))) if item_ids else []
    if len(items) != len(item_ids):
        raise Invalid(T_("Choose products of this event only."), code="item_unknown", field="items")
    variations = list(db.session.scalars(select(ItemVariation).join(Item, Item.id == ItemVariation.item_id)
                                         .where(Item.event_id == event.id, ItemVariation.id.in_(variation_ids))
                                         .order_by(ItemVariation.id))) if variation_ids else []
    if len(variations) != len(variation_ids):
        raise Invalid(T_("Choose variations of this event's products only."), code="variation_unknown", field="items")
    chosen_ids = {i.id for i in items}
    stray = [v for v in variations if v.item_id not in chosen_ids]
    if stray:
        raise Invalid(T_("The variation '%(value)s' is chosen, but its product '%(name)s' is "
                         "not: tick the product too.",
                         value=stray[0].value, name=stray[0].item.name), code="variation_without_item", field="items")
    for item in items:
        if item.variations and not any(v.item_id == item.id for v in variations):
            variations.extend(item.variations)
    return items, variations


def _apply(quota: Quota, values: dict) -> None:
    quota.name = values["name"]
    quota.size = values["size"]
    quota.subevent_id = values["subevent_id"]
    quota.items = values["items"]
    quota.variations = values["variations"]


def _logged(values: dict) -> dict:
    return {"name": values["name"], "size": values["size"], "subevent_id": values["subevent_id"],
            "items": sorted(i.id for i in values["items"]), "variations": sorted(v.id for v in values["variations"])}


def shrink_warning(quota: Quota) -> str | None:
    """A sentence when the quota now holds fewer tickets than it counts already."""
    if quota.size is None:
        return None
    used = availability.quota_used(quota)
    if used <= quota.size:
        return None
    return T_("The quota '%(name)s' now holds %(size)s tickets, but %(used)s are already sold or "
              "reserved by pending orders: those orders stay valid, and no ticket of it is sold until "
              "%(over)s of them are canceled.",
              name=quota.name, size=f"{quota.size:,}", used=f"{used:,}", over=f"{used - quota.size:,}")


def create_quota(event: Event, *, actor: Actor, **fields) -> Quota:
    values = clean_values(event, **fields)
    product_common.lock_event(event)
    quota = Quota(event_id=event.id, name=values["name"])
    db.session.add(quota)
    _apply(quota, values)
    db.session.flush()
    product_common.log(actor, event, "quota.created", {"quota": quota.id, **_logged(values)})
    return quota


def update_quota(quota: Quota, *, actor: Actor, seen: str | None, **fields) -> tuple[list[str], str | None]:
    """Save the quota; returns the fields that changed and a warning when it is now overbooked."""
    event = db.session.get(Event, quota.event_id)
    product_common.lock_event(event)
    tx.lock_many(Quota, [quota.id])  # orders selling from it wait for this save
    db.session.refresh(quota)
    product_common.check_version(current_values(quota), seen, T_("the quota '%(name)s'", name=quota.name))
    values = clean_values(event, **fields)
    changed = product_common.changes(current_values(quota), _logged(values))
    if not changed:
        return [], None
    _apply(quota, values)
    db.session.flush()
    warning = shrink_warning(quota)
    product_common.log(actor, event, "quota.changed", {"quota": quota.id, "name": quota.name, **changed,
                                                **({"overbooked": True} if warning else {})})
    return list(changed), warning


def delete_quota(quota: Quota, *, actor: Actor) -> None:
    """A quota only counts; deleting it changes no order (its tickets are then limited by the
    other quotas of their product, or not at all)."""
    event = db.session.get(Event, quota.event_id)
    product_common.lock_event(event)
    vouchers = db.session.scalar(select(Voucher.id).where(Voucher.quota_id == quota.id).limit(1))
    if vouchers is not None:
        raise Invalid(T_("The quota '%(name)s' cannot be deleted: vouchers are for it.",
                         name=quota.name), code="quota_in_use")
    data = {"quota": quota.id, **current_values(quota)}
    quota.items = []
    quota.variations = []
    db.session.flush()
    db.session.delete(quota)
    db.session.flush()
    product_common.log(actor, event, "quota.deleted", data)
