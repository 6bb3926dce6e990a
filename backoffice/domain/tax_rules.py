"""An event's tax rules: a name, a rate in percent, and whether prices include the tax.

A rule that products use cannot be deleted (their prices would lose their tax); positions of
orders keep the rate they were sold with, so changing a rule never changes an order.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from . import parsing, product_common
from .audit import Actor
from .errors import FieldErrors, Invalid
from .models import Event, Item, OrderFee, OrderPosition, TaxRule
from .versions import version_of
from .texts import T_

FIELDS = ("name", "rate", "price_includes_tax")
MAX_RATE = Decimal("100.00")


def list_tax_rules(event: Event) -> list[TaxRule]:
    return list(db.session.scalars(select(TaxRule).where(TaxRule.event_id == event.id).order_by(TaxRule.id)))


def get_tax_rule(event: Event, raw_id: Any) -> TaxRule:
    return product_common.get_in_event(TaxRule, event, raw_id, T_("tax rule"))


def current_values(rule: TaxRule) -> dict:
    return {"name": rule.name, "rate": f"{rule.rate:.2f}", "price_includes_tax": bool(rule.price_includes_tax)}


def version(rule: TaxRule) -> str:
    return version_of(current_values(rule))


def clean_values(*, name: Any, rate: Any, price_includes_tax: Any) -> dict:
    errors = FieldErrors()
    values: dict = {}
    with errors.check("name"):
        values["name"] = product_common.clean_text(name, field="name", label=T_("name"), limit=100, required=True)
    with errors.check("rate"):
        parsed = parsing.parse_amount(rate, minimum=Decimal(0), label=T_("rate"), field="rate")
        if parsed is None:
            raise Invalid(T_("Enter the rate in percent, for example 19.00."), code="required", field="rate")
        if parsed > MAX_RATE:
            raise Invalid(T_("The rate is a percentage: at most 100."), code="amount_out_of_range", field="rate")
        values["rate"] = parsed
    with errors.check("price_includes_tax"):
        values["price_includes_tax"] = product_common.clean_bool(price_includes_tax, field="price_includes_tax",
                                                          label=T_("prices include the tax"))
    errors.raise_if_any()
    return values


def _logged(values: dict) -> dict:
    return {**values, "rate": f"{values['rate']:.2f}"}


def create_tax_rule(event: Event, *, actor: Actor, **fields) -> TaxRule:
    values = clean_values(**fields)
    product_common.lock_event(event)
    rule = TaxRule(event_id=event.id, **values)
    db.session.add(rule)
    db.session.flush()
    product_common.log(actor, event, "tax_rule.created", {"tax_rule": rule.id, **_logged(values)})
    return rule


def update_tax_rule(rule: TaxRule, *, actor: Actor, seen: str | None, **fields) -> list[str]:
    event = db.session.get(Event, rule.event_id)
    product_common.lock_event(event)
    db.session.refresh(rule)
    product_common.check_version(current_values(rule), seen, T_("the tax rule '%(name)s'", name=rule.name))
    values = clean_values(**fields)
    before = current_values(rule)
    changed = product_common.changes(before, _logged(values))
    if not changed:
        return []
    for field in FIELDS:
        setattr(rule, field, values[field])
    product_common.log(actor, event, "tax_rule.changed", {"tax_rule": rule.id, "name": rule.name, **changed})
    return list(changed)


def products_using(rule: TaxRule) -> int:
    return db.session.scalar(select(func.count(Item.id)).where(Item.tax_rule_id == rule.id)) or 0


def orders_using(rule: TaxRule) -> int:
    """Orders with a ticket or fee sold under this rule."""
    positions = select(OrderPosition.order_id).where(OrderPosition.tax_rule_id == rule.id)
    fees = select(OrderFee.order_id).where(OrderFee.tax_rule_id == rule.id)
    union = positions.union(fees).subquery()
    return db.session.scalar(select(func.count()).select_from(union)) or 0


def delete_tax_rule(rule: TaxRule, *, actor: Actor) -> None:
    event = db.session.get(Event, rule.event_id)
    product_common.lock_event(event)
    used = products_using(rule)
    if used:
        message = (T_("The tax rule '%(name)s' cannot be deleted: %(count)s product uses it. "
                      "Choose another tax rule for them first.", name=rule.name, count=used) if used == 1 else
                   T_("The tax rule '%(name)s' cannot be deleted: %(count)s products use it. "
                      "Choose another tax rule for them first.", name=rule.name, count=used))
        raise Invalid(message, code="tax_rule_in_use")
    orders = orders_using(rule)
    if orders:
        message = (T_("The tax rule '%(name)s' cannot be deleted: %(count)s order was sold with it, "
                      "and they keep it.", name=rule.name, count=orders) if orders == 1 else
                   T_("The tax rule '%(name)s' cannot be deleted: %(count)s orders were sold with it, "
                      "and they keep it.", name=rule.name, count=orders))
        raise Invalid(message, code="tax_rule_in_use")
    data = {"tax_rule": rule.id, **current_values(rule)}
    db.session.delete(rule)
    db.session.flush()
    product_common.log(actor, event, "tax_rule.deleted", data)
