"""Products, their variations and tax rules, without HTTP: what is accepted, what is refused
(and then nothing changes), stale saves, deletion rules and the event's history."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain import item_variations, items, tax_rules
from backoffice.domain.audit import Actor, history
from backoffice.domain.errors import Conflict, Invalid, NotFound
from backoffice.domain.models import Item, ItemVariation, LogEntry, OrderPosition, OrderStatus, TaxRule
from backoffice.extensions import db
from tests import factories

ITEM = dict(name="Workshop", default_price="25.00", tax_rule_id="", admission="on", requires_seat="",
            active="on", is_addon="", addon_of_id="")


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def log_count() -> int:
    return db.session.scalar(select(func.count(LogEntry.id)))


def actions(world) -> list[str]:
    return [e.action_type for e in history(world.event)]


# --- tax rules --------------------------------------------------------------------------------------

def test_tax_rule_is_created_edited_and_logged(world, actor):
    rule = tax_rules.create_tax_rule(world.event, actor=actor, name="VAT", rate="19", price_includes_tax="on")
    db.session.commit()
    assert (rule.name, rule.rate, rule.price_includes_tax) == ("VAT", Decimal("19.00"), True)
    changed = tax_rules.update_tax_rule(rule, actor=actor, seen=tax_rules.version(rule), name="VAT reduced",
                                        rate="7.5", price_includes_tax="")
    db.session.commit()
    assert changed == ["name", "rate", "price_includes_tax"]
    assert history(world.event)[0].data["rate"] == {"old": "19.00", "new": "7.50"}
    assert actions(world)[:2] == ["tax_rule.changed", "tax_rule.created"]


@pytest.mark.parametrize("rate,message", [("100.01", "at most 100"), ("-1", "cannot be negative"),
                                          ("1e999", "amount such as"), ("19.123", "two decimal places"),
                                          ("", "Enter the rate")])
def test_tax_rule_refuses_bad_rates(world, actor, rate, message):
    count = log_count()
    with pytest.raises(Invalid) as e:
        tax_rules.create_tax_rule(world.event, actor=actor, name="VAT", rate=rate, price_includes_tax="on")
    assert message in e.value.errors["rate"]
    db.session.rollback()
    assert log_count() == count and tax_rules.list_tax_rules(world.event) == []


def test_tax_rule_used_by_a_product_or_an_order_cannot_be_deleted(world, actor):
    rule = tax_rules.create_tax_rule(world.event, actor=actor, name="VAT", rate="19", price_includes_tax="on")
    world.ticket.tax_rule_id = rule.id
    db.session.commit()
    with pytest.raises(Invalid, match="1 product uses it"):
        tax_rules.delete_tax_rule(rule, actor=actor)
    db.session.rollback()
    world.ticket.tax_rule_id = None
    order = factories.order(world.event, [world.ticket])
    order.positions[0].tax_rule_id = rule.id
    db.session.commit()
    with pytest.raises(Invalid, match="1 order was sold with it"):
        tax_rules.delete_tax_rule(rule, actor=actor)
    db.session.rollback()
    assert db.session.get(TaxRule, rule.id) is not None


def test_unused_tax_rule_is_deleted(world, actor):
    rule = tax_rules.create_tax_rule(world.event, actor=actor, name="VAT", rate="19", price_includes_tax="on")
    tax_rules.delete_tax_rule(rule, actor=actor)
    db.session.commit()
    assert tax_rules.list_tax_rules(world.event) == [] and actions(world)[0] == "tax_rule.deleted"


def test_stale_tax_rule_edit_is_refused(world, actor):
    rule = tax_rules.create_tax_rule(world.event, actor=actor, name="VAT", rate="19", price_includes_tax="on")
    seen = tax_rules.version(rule)
    tax_rules.update_tax_rule(rule, actor=actor, seen=seen, name="VAT 2", rate="19", price_includes_tax="on")
    db.session.commit()
    with pytest.raises(Conflict) as e:
        tax_rules.update_tax_rule(rule, actor=actor, seen=seen, name="Mine", rate="19", price_includes_tax="on")
    assert e.value.code == "stale"


# --- products ---------------------------------------------------------------------------------------

def test_item_is_created_at_the_end_and_logged(world, actor):
    item = items.create_item(world.event, actor=actor, **ITEM)
    db.session.commit()
    assert [i.name for i in items.list_items(world.event)] == ["Regular ticket", "Workshop"]
    assert item.default_price == Decimal("25.00") and item.admission and item.active and not item.is_addon
    entry = history(world.event)[0]
    assert entry.action_type == "item.created" and entry.data["default_price"] == "25.00"


@pytest.mark.parametrize("price,message", [
    ("-1", "cannot be negative"), ("1e999", "amount such as"), ("NaN", "amount such as"),
    ("10.001", "two decimal places"), ("1000000.01", "too large"), ("9" * 27, "too large"), ("", "Enter the price")])
def test_item_refuses_bad_prices_and_writes_nothing(world, actor, price, message):
    count = log_count()
    with pytest.raises(Invalid) as e:
        items.create_item(world.event, actor=actor, **{**ITEM, "default_price": price})
    assert message in e.value.errors["default_price"]
    db.session.rollback()
    assert log_count() == count and len(items.list_items(world.event)) == 1


def test_item_reports_every_bad_field_at_once(world, actor):
    with pytest.raises(Invalid) as e:
        items.create_item(world.event, actor=actor, **{**ITEM, "name": " ", "default_price": "x",
                                                       "tax_rule_id": "99999", "admission": "maybe"})
    assert set(e.value.errors) == {"name", "default_price", "tax_rule_id", "admission"}


def test_tax_rule_and_addon_of_must_be_of_the_same_event(world, actor):
    other_event = factories.event(world.organizer)
    foreign_rule = TaxRule(event_id=other_event.id, name="Theirs", rate=Decimal("7"))
    foreign_item = factories.item(other_event, "Theirs")
    db.session.add(foreign_rule)
    db.session.commit()
    with pytest.raises(Invalid) as e:
        items.create_item(world.event, actor=actor, **{**ITEM, "tax_rule_id": str(foreign_rule.id),
                                                       "is_addon": "on", "addon_of_id": str(foreign_item.id)})
    assert set(e.value.errors) == {"tax_rule_id", "addon_of_id"}


def test_addon_of_one_item(world, actor):
    addon = items.create_item(world.event, actor=actor, **{**ITEM, "name": "Parking", "admission": "",
                                                           "is_addon": "on", "addon_of_id": str(world.ticket.id)})
    db.session.commit()
    assert addon.is_addon and addon.addon_of.id == world.ticket.id
    with pytest.raises(Invalid, match="Only an add-on"):
        items.create_item(world.event, actor=actor, **{**ITEM, "addon_of_id": str(world.ticket.id)})
    db.session.rollback()
    with pytest.raises(Invalid, match="itself an add-on"):
        items.create_item(world.event, actor=actor, **{**ITEM, "is_addon": "on", "addon_of_id": str(addon.id)})
    db.session.rollback()
    with pytest.raises(Invalid, match="has add-ons of its own"):
        items.update_item(world.ticket, actor=actor, seen=items.version(world.ticket),
                          **{**ITEM, "name": "Regular ticket", "is_addon": "on"})
    db.session.rollback()
    with pytest.raises(Invalid, match="Parking"):
        items.delete_item(world.ticket, actor=actor)


def test_changing_a_product_never_rewrites_orders(world, actor):
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    items.update_item(world.ticket, actor=actor, seen=items.version(world.ticket),
                      **{**ITEM, "name": "Renamed", "default_price": "80.00"})
    db.session.commit()
    db.session.expire_all()
    position = db.session.scalars(select(OrderPosition).where(OrderPosition.order_id == order.id)).one()
    assert position.price == Decimal("50.00") and position.order.total == Decimal("50.00")
    assert db.session.get(Item, world.ticket.id).default_price == Decimal("80.00")
    assert history(world.event)[0].data["default_price"] == {"old": "50.00", "new": "80.00"}


def test_product_with_orders_cannot_be_deleted_only_deactivated(world, actor):
    factories.order(world.event, [world.ticket])
    factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED)
    db.session.commit()
    with pytest.raises(Invalid, match="2 orders use it. Deactivate it instead"):
        items.delete_item(world.ticket, actor=actor)
    db.session.rollback()
    assert items.set_active(world.ticket, actor=actor, active=False)
    db.session.commit()
    assert not db.session.get(Item, world.ticket.id).active
    assert actions(world)[0] == "item.deactivated"
    assert not items.set_active(world.ticket, actor=actor, active=False)


def test_unused_product_is_deleted_with_its_variations_and_quota_links(world, actor):
    item = factories.item(world.event, "Extra", "5.00", variations=[("S", "5.00"), ("M", "6.00")])
    factories.quota(world.event, [item], 10, name="Extras")
    db.session.commit()
    items.delete_item(item, actor=actor)
    db.session.commit()
    assert db.session.get(Item, item.id) is None
    assert db.session.scalar(select(func.count(ItemVariation.id))) == 0
    assert actions(world)[0] == "item.deleted"


def test_items_move_up_and_down(world, actor):
    second = items.create_item(world.event, actor=actor, **{**ITEM, "name": "Second"})
    third = items.create_item(world.event, actor=actor, **{**ITEM, "name": "Third"})
    assert items.move_item(third, actor=actor, direction="up")
    assert [i.name for i in items.list_items(world.event)] == ["Regular ticket", "Third", "Second"]
    assert not items.move_item(world.ticket, actor=actor, direction="up")
    assert items.move_item(world.ticket, actor=actor, direction="down")
    db.session.commit()
    assert [i.name for i in items.list_items(world.event)] == ["Third", "Regular ticket", "Second"]
    assert second.id


def test_stale_item_edit_is_refused_and_changes_nothing(world, actor):
    seen = items.version(world.ticket)
    items.update_item(world.ticket, actor=actor, seen=seen, **{**ITEM, "name": "Colleague's"})
    db.session.commit()
    with pytest.raises(Conflict):
        items.update_item(world.ticket, actor=actor, seen=seen, **{**ITEM, "name": "Mine"})
    db.session.rollback()
    assert db.session.get(Item, world.ticket.id).name == "Colleague's"


def test_other_events_item_is_not_found(world):
    other = factories.item(factories.event(world.organizer), "Theirs")
    with pytest.raises(NotFound):
        items.get_item(world.event, other.id)
    for raw in ("9" * 30, "abc", "", "-1"):
        with pytest.raises(NotFound):
            items.get_item(world.event, raw)


# --- variations -------------------------------------------------------------------------------------

def test_variation_price_empty_means_the_item_price(world, actor):
    variation = item_variations.add_variation(world.ticket, actor=actor, value="Student", default_price="",
                                              active="on")
    db.session.commit()
    assert variation.default_price is None and variation.price == Decimal("50.00")
    item_variations.update_variation(variation, actor=actor, seen=item_variations.version(variation),
                                     value="Student", default_price="30", active="on", position="3")
    db.session.commit()
    assert variation.price == Decimal("30.00") and variation.position == 3
    assert actions(world)[:2] == ["item.variation_changed", "item.variation_added"]


def test_variation_with_orders_cannot_be_deleted(world, actor):
    item = factories.item(world.event, "Seat", "10.00", variations=[("Front", "20.00")])
    factories.order(world.event, [(item, item.variations[0])])
    db.session.commit()
    with pytest.raises(Invalid, match="1 order uses it"):
        item_variations.delete_variation(item.variations[0], actor=actor)
    db.session.rollback()
    variation = item_variations.add_variation(item, actor=actor, value="Back", default_price="5")
    item_variations.delete_variation(variation, actor=actor)
    db.session.commit()
    assert [v.value for v in db.session.get(Item, item.id).variations] == ["Front"]


def test_variation_of_another_item_is_not_found(world):
    item = factories.item(world.event, "Seat", "10.00", variations=[("Front", "20.00")])
    with pytest.raises(NotFound):
        item_variations.get_variation(world.ticket, item.variations[0].id)
