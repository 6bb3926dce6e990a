"""Quotas without HTTP: what they count (the same as the order actions), saving, shrinking below
what is sold, sub-events, and the history."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.domain import availability, quotas
from backoffice.domain.audit import Actor, history
from backoffice.domain.errors import Conflict, Invalid
from backoffice.domain.models import OrderStatus, Quota
from backoffice.extensions import db
from tests import factories


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def test_usages_count_paid_and_pending_as_the_order_actions_do(world, count_queries):
    item = factories.item(world.event, "Seat", "10.00", variations=[("Front", "20.00"), ("Back", "5.00")])
    front, back = item.variations
    date = factories.subevent(world.event)
    fronts = factories.quota(world.event, [item], 10, name="Front only", variations=[front])
    everything = factories.quota(world.event, [item, world.ticket], None, name="All")
    dated = factories.quota(world.event, [world.ticket], 5, name="Dated", subevent=date)
    factories.order(world.event, [(item, front), (item, back)], status=OrderStatus.PAID)
    factories.order(world.event, [(item, front), world.ticket])
    factories.order(world.event, [world.ticket], subevent=date)
    factories.order(world.event, [(item, front)], status=OrderStatus.CANCELED)
    factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED)
    canceled_position = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    canceled_position.positions[1].canceled = True
    db.session.commit()
    all_quotas = [world.quota, fronts, everything, dated]
    assert all(q.size != -1 for q in all_quotas)  # loaded, as the list page has them
    with count_queries() as counter:
        usages = quotas.usages(all_quotas)
    assert counter.count == 1
    for quota in all_quotas:
        assert usages[quota.id].used == availability.quota_used(quota), quota.name
    assert usages[fronts.id] == availability.QuotaUsage(paid=1, pending=1, free=8)
    assert usages[world.quota.id] == availability.QuotaUsage(paid=1, pending=1, free=98)
    assert usages[everything.id] == availability.QuotaUsage(paid=3, pending=2, free=None)
    assert usages[dated.id] == availability.QuotaUsage(paid=0, pending=1, free=4)


def test_quota_is_created_with_this_events_products(world, actor):
    item = factories.item(world.event, "Seat", "10.00", variations=[("Front", "20.00"), ("Back", "5.00")])
    quota = quotas.create_quota(world.event, actor=actor, name="Hall", size="50", items=[str(item.id)])
    db.session.commit()
    assert quota.size == 50 and [i.id for i in quota.items] == [item.id]
    assert sorted(v.id for v in quota.variations) == sorted(v.id for v in item.variations)
    assert history(world.event)[0].action_type == "quota.created"
    unlimited = quotas.create_quota(world.event, actor=actor, name="Open", size="", unlimited="on",
                                    items=[str(world.ticket.id)])
    assert unlimited.size is None


def test_quota_refuses_other_events_products_and_bad_sizes(world, actor):
    other = factories.item(factories.event(world.organizer), "Theirs")
    db.session.commit()
    with pytest.raises(Invalid) as e:
        quotas.create_quota(world.event, actor=actor, name="", size="-1", items=[str(other.id)])
    assert set(e.value.errors) == {"name", "size", "items"}
    for size in ("1e999", "9" * 30, "10000001", "1.5", ""):
        with pytest.raises(Invalid):
            quotas.create_quota(world.event, actor=actor, name="Q", size=size, items=[])
    db.session.rollback()
    assert len(quotas.list_quotas(world.event)) == 1


def test_variation_without_its_product_is_refused(world, actor):
    item = factories.item(world.event, "Seat", "10.00", variations=[("Front", "20.00")])
    db.session.commit()
    with pytest.raises(Invalid, match="tick the product too"):
        quotas.create_quota(world.event, actor=actor, name="Q", size="1", items=[],
                            variations=[str(item.variations[0].id)])


def test_event_with_dates_needs_the_date_of_a_quota(world, actor):
    date = factories.subevent(world.event)
    other_date = factories.subevent(factories.event(world.organizer))
    db.session.commit()
    with pytest.raises(Invalid, match="Choose the date"):
        quotas.create_quota(world.event, actor=actor, name="Q", size="1", items=[str(world.ticket.id)])
    with pytest.raises(Invalid, match="this event's dates"):
        quotas.create_quota(world.event, actor=actor, name="Q", size="1", items=[str(world.ticket.id)],
                            subevent_id=str(other_date.id))
    quota = quotas.create_quota(world.event, actor=actor, name="Q", size="1", items=[str(world.ticket.id)],
                                subevent_id=str(date.id))
    assert quota.subevent_id == date.id


def test_shrinking_below_what_is_sold_is_allowed_with_a_warning(world, actor):
    for _ in range(3):
        factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    changed, warning = quotas.update_quota(world.quota, actor=actor, seen=quotas.version(world.quota),
                                           name="Regular", size="2", items=[str(world.ticket.id)])
    db.session.commit()
    assert changed == ["size"]
    assert "now holds 2 tickets, but 3 are already sold" in warning and "1 of them are canceled" in warning
    entry = history(world.event)[0]
    assert entry.data["size"] == {"old": 100, "new": 2} and entry.data["overbooked"] is True
    assert availability.quota_available(world.quota) == 0
    _, warning = quotas.update_quota(world.quota, actor=actor, seen=quotas.version(world.quota), name="Regular",
                                     size="3", items=[str(world.ticket.id)])
    assert warning is None


def test_stale_quota_save_is_refused(world, actor):
    seen = quotas.version(world.quota)
    quotas.update_quota(world.quota, actor=actor, seen=seen, name="Renamed", size="100", items=[str(world.ticket.id)])
    db.session.commit()
    with pytest.raises(Conflict):
        quotas.update_quota(world.quota, actor=actor, seen=seen, name="Mine", size="1", items=[])
    db.session.rollback()
    assert db.session.get(Quota, world.quota.id).size == 100


def test_quota_is_deleted_and_orders_stay(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    quotas.delete_quota(world.quota, actor=actor)
    db.session.commit()
    assert db.session.scalars(select(Quota)).all() == []
    assert order.positions[0].item_id == world.ticket.id
    assert history(world.event)[0].action_type == "quota.deleted"
