"""Tickets of an order: edit the attendee and answers, add a ticket, cancel one, block, new secret."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain import order_queries, positions, secrets
from backoffice.domain.audit import Actor
from backoffice.domain.errors import Conflict, Invalid, NotFound
from backoffice.domain.models import (BlockedSecret, LogEntry, Order, OrderPosition, OrderStatus, Question,
                                      QuestionOption, RevokedSecret, TaxRule)
from backoffice.extensions import db
from tests import factories

N, P, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.CANCELED


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def reload(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def state(order: Order) -> tuple:
    """Everything a refused action must leave alone."""
    order = reload(order)
    return (order.status, order.total, order.last_modified, order.expires,
            [(p.positionid, p.canceled, p.secret, p.blocked, p.attendee_name, p.attendee_email, p.price,
              sorted((a.question_id, a.answer) for a in p.answers)) for p in order.all_positions],
            db.session.scalar(select(func.count(LogEntry.id))), db.session.scalar(select(func.count(RevokedSecret.id))),
            db.session.scalar(select(func.count(BlockedSecret.id))))


def actions(order: Order) -> list[str]:
    return list(db.session.scalars(select(LogEntry.action_type).where(
        LogEntry.object_type == "order", LogEntry.object_id == order.id).order_by(LogEntry.id)))


def question(world, text: str, type_: str = "S", required: bool = False, options: tuple[str, ...] = ()) -> Question:
    q = Question(event_id=world.event.id, identifier=text.lower().replace(" ", "_"), question=text, type=type_,
                 required=required)
    db.session.add(q)
    q.items = [world.ticket]
    for i, answer in enumerate(options):
        db.session.add(QuestionOption(question=q, identifier=f"o{i}", answer=answer, position=i))
    db.session.flush()
    return q


# --- finding a ticket -----------------------------------------------------------------------------------

def test_get_position_finds_only_tickets_of_that_order(world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    other = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert positions.get_position(order, "2").positionid == 2
    for bad in ("3", "0", "-1", "9" * 30, "x", "", None, "1e3"):
        with pytest.raises(NotFound):
            positions.get_position(order, bad)
    assert positions.get_position(other, 1).order_id == other.id


# --- attendee and answers --------------------------------------------------------------------------------

def test_update_position_changes_name_email_address_and_logs(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    before = order.last_modified
    position = positions.get_position(order, 2)
    positions.update_position(position, actor=actor, seen_last_modified=before.isoformat(),
                              attendee_name_parts={"full_name": "  Grace Hopper "},
                              attendee_email="Grace@Example.org", company="Navy", street="1 Main St",
                              zipcode="12345", city="Arlington", country="us", state="VA")
    db.session.commit()
    order = reload(order)
    p = order.all_positions[1]
    assert p.attendee_name == "Grace Hopper"
    assert p.attendee_name_parts == {"_scheme": "full", "full_name": "Grace Hopper"}
    assert (p.attendee_email, p.company, p.city, p.country, p.state) == (
        "Grace@example.org", "Navy", "Arlington", "US", "VA")
    assert order.all_positions[0].attendee_name == "Attendee 1"
    assert order.last_modified > before
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "position.changed"))
    assert entry.data["position"] == 2
    assert entry.data["attendee_name"] == {"old": "Attendee 2", "new": "Grace Hopper"}


def test_update_position_uses_the_organizers_name_scheme(world, actor):
    world.organizer.name_scheme = "given_family"
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    position = order.all_positions[0]
    positions.update_position(position, actor=actor,
                              attendee_name_parts={"given_name": "Ada", "family_name": "Lovelace"})
    assert position.attendee_name == "Ada Lovelace"
    with pytest.raises(Invalid, match="Unknown name field 'full_name'"):
        positions.update_position(position, actor=actor, attendee_name_parts={"full_name": "Ada"})


def test_update_position_reports_every_bad_field_and_changes_nothing(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    before = state(order)
    with pytest.raises(Invalid) as refused:
        positions.update_position(order.all_positions[0], actor=actor, attendee_email="not-an-email",
                                  zipcode="1" * 31, country="Germany", city="x\x00y")
    assert set(refused.value.errors) == {"attendee_email", "zipcode", "country", "city"}
    db.session.rollback()
    assert state(order) == before


def test_answers_are_checked_against_type_options_and_required(world, actor):
    diet = question(world, "Diet", "C", options=("Vegan", "Vegetarian"))
    extras = question(world, "Extras", "M", options=("Parking", "Lunch"))
    age = question(world, "Age", "N", required=True)
    born = question(world, "Birthday", "D")
    terms = question(world, "Accept terms", "B", required=True)
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    position = order.all_positions[0]
    vegan, lunch = diet.options[0], extras.options[1]
    foreign = factories.order(world.event, [world.ticket])  # noqa: F841 - other objects exist too
    positions.update_position(position, actor=actor, answers=[
        {"question": diet.id, "options": [vegan.id]}, {"question": extras.id, "options": [str(lunch.id)]},
        {"question": age.id, "answer": "42.50"}, {"question": born.id, "answer": "1990-02-03"},
        {"question": terms.id, "answer": "yes"}])
    db.session.commit()
    answers = {a.question_id: (a.answer, [o.id for o in a.options]) for a in reload(order).all_positions[0].answers}
    assert answers == {diet.id: ("Vegan", [vegan.id]), extras.id: ("Lunch", [lunch.id]), age.id: ("42.5", []),
                       born.id: ("1990-02-03", []), terms.id: ("True", [])}
    assert "position.changed" in actions(order)

    before = state(order)
    cases = [
        ([{"question": diet.id, "options": [lunch.id]}, {"question": age.id, "answer": "1"},
          {"question": terms.id, "answer": "True"}], f"'{lunch.id}' is not an option of the question 'Diet'"),
        ([{"question": diet.id, "options": ["9" * 30]}, {"question": age.id, "answer": "1"},
          {"question": terms.id, "answer": "True"}], "is not an option of the question 'Diet'"),
        ([{"question": terms.id, "answer": "True"}], "The question 'Age' is required"),
        ([{"question": age.id, "answer": "old"}, {"question": terms.id, "answer": "True"}], "'Age' must be a number"),
        ([{"question": age.id, "answer": "1e999"}, {"question": terms.id, "answer": "True"}], "'Age' must be a number"),
        ([{"question": age.id, "answer": "3"}, {"question": born.id, "answer": "9999-12-31"},
          {"question": terms.id, "answer": "True"}], "out of range"),
        ([{"question": age.id, "answer": "3"}, {"question": terms.id, "answer": "False"}],
         "'Accept terms' is required: it must be answered with Yes"),
        ([{"question": age.id, "answer": "3"}, {"question": terms.id, "answer": "True"},
          {"question": 10**30, "answer": "x"}], "is not asked for this ticket's product"),
        ("not a list", "must be a list"),
    ]
    for answers, message in cases:
        with pytest.raises(Invalid, match=message):
            positions.update_position(reload(order).all_positions[0], actor=actor, answers=answers)
        db.session.rollback()
    assert state(order) == before


def test_update_position_refuses_a_stale_page_and_a_canceled_ticket(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    order.all_positions[1].canceled = True
    db.session.commit()
    with pytest.raises(Conflict):
        positions.update_position(order.all_positions[0], actor=actor, seen_last_modified="2020-01-01T00:00:00+00:00",
                                  attendee_email="a@example.org")
    db.session.rollback()
    with pytest.raises(Invalid, match="Ticket 2 of order .* is canceled"):
        positions.update_position(reload(order).all_positions[1], actor=actor, attendee_email="a@example.org")


def test_attendee_name_change_is_found_by_the_order_search(world, actor):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    positions.update_position(order.all_positions[0], actor=actor, attendee_name_parts={"full_name": "Zoë Łapińska"})
    db.session.commit()
    listed = order_queries.list_page([world.event.id], world.organizer.id,
                                     order_queries.OrderFilters(search="lapinska zoe"), "-datetime").items
    assert [row.order.id for row in listed] == [order.id]
    quick = order_queries.quick_search("ŁAPIŃSKA", [world.event.id], [], limit=10).orders
    assert [o.id for o in quick] == [order.id]
    old = order_queries.list_page([world.event.id], world.organizer.id,
                                  order_queries.OrderFilters(search="Attendee 1"), "-datetime").items
    assert old == []


# --- adding a ticket ----------------------------------------------------------------------------------------

def test_add_position_defaults_price_tax_and_numbers_and_moves_the_total(world, actor):
    rule = TaxRule(event_id=world.event.id, name="VAT", rate=Decimal("19.00"), price_includes_tax=True)
    db.session.add(rule)
    db.session.flush()
    world.ticket.tax_rule_id = rule.id
    order = factories.order(world.event, [world.ticket], fees=[("payment", "2.00")])
    db.session.commit()
    position = positions.add_position(order, actor=actor, item=str(world.ticket.id),
                                      attendee_name_parts={"full_name": "New Guest"}, attendee_email="new@example.org",
                                      seen_last_modified=order.last_modified.isoformat())
    db.session.commit()
    order = reload(order)
    added = order.all_positions[-1]
    assert (added.positionid, added.price, added.tax_rate, added.tax_value) == (
        2, Decimal("50.00"), Decimal("19.00"), Decimal("7.98"))
    assert added.tax_rule_id == rule.id and added.attendee_name == "New Guest"
    assert len(added.secret) == 32 and added.secret != order.all_positions[0].secret
    assert added.pseudonymization_id and added.blocked is None
    assert order.total == Decimal("102.00")
    assert actions(order) == ["position.added"]


def test_add_position_price_excluding_tax_and_explicit_price(world, actor):
    rule = TaxRule(event_id=world.event.id, name="VAT", rate=Decimal("10.00"), price_includes_tax=False)
    db.session.add(rule)
    db.session.flush()
    extra = factories.item(world.event, "Workshop", "100.00", tax_rule_id=rule.id)
    world.quota.items = [world.ticket, extra]
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert positions.add_position(order, actor=actor, item=extra.id).price == Decimal("110.00")
    assert positions.add_position(order, actor=actor, item=extra.id, price="0").price == Decimal("0.00")
    assert reload(order).total == Decimal("160.00")


def test_add_position_to_a_paid_order_makes_it_pending(world, actor):
    order = factories.order(world.event, [world.ticket], status=P)
    db.session.commit()
    positions.add_position(order, actor=actor, item=world.ticket.id)
    db.session.commit()
    order = reload(order)
    assert order.status == N and order.total == Decimal("100.00")
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "position.added"))
    assert entry.data["new_status"] == N


def test_add_position_checks_quota_inside_the_lock_and_can_overbook(world, actor):
    world.quota.size = 1
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    before = state(order)
    with pytest.raises(Invalid, match="Only 0 tickets left in quota 'Regular'"):
        positions.add_position(order, actor=actor, item=world.ticket.id)
    db.session.rollback()
    assert state(order) == before
    positions.add_position(order, actor=actor, item=world.ticket.id, force=True)
    db.session.commit()
    assert len(reload(order).positions) == 2


def test_add_position_with_variation_subevent_seat_and_addon(world, actor):
    ev = world.event
    date = factories.subevent(ev, "Day 1")
    other_date = factories.subevent(ev, "Day 2")
    seated = factories.item(ev, "Seated", "30.00", variations=[("Front", "40.00")], requires_seat=True)
    addon = factories.item(ev, "Parking", "5.00", is_addon=True)
    seat, taken = factories.seat(ev, "A1", date), factories.seat(ev, "A2", date)
    factories.quota(ev, [seated, addon, world.ticket], None, subevent=date)
    order = factories.order(ev, [world.ticket], subevent=date)
    factories.order(ev, [(seated, seated.variations[0])], subevent=date, seats=[taken])
    db.session.commit()
    front = seated.variations[0]
    p = positions.add_position(order, actor=actor, item=seated.id, variation=front.id, subevent=date.id,
                               seat="guid-A1")
    assert (p.price, p.seat_id, p.subevent_id) == (Decimal("40.00"), seat.id, date.id)
    parking = positions.add_position(order, actor=actor, item=addon.id, subevent=date.id, addon_to="1")
    assert parking.addon_to_id == order.all_positions[0].id and parking.positionid == 3
    db.session.commit()
    before = state(order)
    refusals = [
        (dict(item=seated.id, subevent=date.id, seat="guid-A1"), {"variation"}),
        (dict(item=seated.id, variation=front.id, subevent=date.id, seat="guid-A2"), None),  # taken
        (dict(item=seated.id, variation=front.id, subevent=other_date.id, seat="guid-A1"), {"seat"}),
        (dict(item=seated.id, variation=front.id, subevent=date.id), {"seat"}),
        (dict(item=world.ticket.id, subevent=date.id, seat="guid-A1"), {"seat"}),
        (dict(item=world.ticket.id), {"subevent"}),
        (dict(item=world.ticket.id, subevent=date.id, variation=front.id), {"variation"}),
        (dict(item=addon.id, subevent=date.id), {"addon_to"}),
        (dict(item=addon.id, subevent=date.id, addon_to="3"), {"addon_to"}),  # an add-on itself
        (dict(item=addon.id, subevent=date.id, addon_to="9" * 30), {"addon_to"}),
        (dict(item=world.ticket.id, subevent=date.id, addon_to="1"), {"addon_to"}),
        (dict(item="9" * 30, subevent="x", price="NaN"), {"item", "subevent", "price"}),
        (dict(item=world.ticket.id, subevent=date.id, price="1e999"), {"price"}),
        (dict(item=world.ticket.id, subevent=date.id, price="-1"), {"price"}),
    ]
    for kwargs, fields in refusals:
        with pytest.raises(Invalid) as refused:
            positions.add_position(reload(order), actor=actor, **kwargs)
        if fields:
            assert set(refused.value.errors) == fields, (kwargs, refused.value.errors)
        else:
            assert "Seat A2 is no longer available" in refused.value.message
        db.session.rollback()
    assert state(order) == before


def test_add_position_refuses_products_of_another_event_and_canceled_orders(world, actor):
    other_event = factories.event(world.organizer, slug="other")
    foreign = factories.item(other_event, "Foreign", "1.00")
    order = factories.order(world.event, [world.ticket])
    canceled = factories.order(world.event, [world.ticket], status=C)
    db.session.commit()
    with pytest.raises(Invalid, match=f"There is no product {foreign.id} in this event"):
        positions.add_position(order, actor=actor, item=foreign.id)
    db.session.rollback()
    with pytest.raises(Invalid, match="is canceled: reactivate it before you add tickets"):
        positions.add_position(canceled, actor=actor, item=world.ticket.id)


# --- canceling a ticket ---------------------------------------------------------------------------------------

def test_cancel_position_with_its_addons_moves_total_and_open_amount(world, actor):
    from backoffice.domain.orders import totals
    addon = factories.item(world.event, "Parking", "5.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, world.ticket, addon], status=P, fees=[("payment", "1.00")])
    order.all_positions[2].addon_to = order.all_positions[1]
    db.session.commit()
    positions.cancel_position(positions.get_position(order, 2), actor=actor,
                              seen_last_modified=order.last_modified.isoformat())
    db.session.commit()
    order = reload(order)
    assert [p.canceled for p in order.all_positions] == [False, True, True]
    assert order.total == Decimal("51.00") and order.status == P
    assert totals(order).to_refund == Decimal("55.00")
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "position.canceled"))
    assert entry.data["addons"] == [3] and entry.data["total"] == {"old": "106.00", "new": "51.00"}


def test_cancel_position_never_cancels_the_last_ticket(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    order.all_positions[1].canceled = True
    order.total = Decimal("50.00")
    db.session.commit()
    before = state(order)
    with pytest.raises(Invalid, match="Ticket 1 is the last ticket of order .*: cancel the order instead"):
        positions.cancel_position(order.all_positions[0], actor=actor)
    db.session.rollback()
    with pytest.raises(Invalid, match="Ticket 2 of order .* is canceled"):
        positions.cancel_position(reload(order).all_positions[1], actor=actor)
    db.session.rollback()
    assert state(order) == before


def test_cancel_position_makes_a_covered_pending_order_paid(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    from backoffice.domain.models import OrderPayment
    db.session.add(OrderPayment(order=order, local_id=1, state="confirmed", amount=Decimal("50.00"), provider="manual"))
    db.session.commit()
    positions.cancel_position(order.all_positions[1], actor=actor)
    db.session.commit()
    assert reload(order).status == P


def test_recompute_total_counts_only_what_is_not_canceled(world):
    order = factories.order(world.event, [world.ticket, world.ticket], fees=[("payment", "2.00"), ("other", "3.00")])
    order.all_positions[0].canceled = True
    order.all_fees[1].canceled = True
    assert positions.recompute_total(order) == Decimal("52.00") == order.total


# --- blocks and secrets ------------------------------------------------------------------------------------------

def test_block_unblock_and_new_secret_of_one_ticket(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    db.session.commit()
    first, second = order.all_positions
    untouched = first.secret
    secrets.add_block(second, actor=actor)
    db.session.commit()
    old = second.secret
    secrets.regenerate_position_secret(second, actor=actor)
    db.session.commit()
    order = reload(order)
    second = order.all_positions[1]
    assert second.secret != old and order.all_positions[0].secret == untouched
    assert second.blocked == ["admin"]
    blocked = set(db.session.scalars(select(BlockedSecret.secret).where(BlockedSecret.blocked.is_(True))))
    assert blocked == {old, second.secret}
    assert list(db.session.scalars(select(RevokedSecret.secret))) == [old]
    secrets.remove_block(second, actor=actor)
    db.session.commit()
    assert reload(order).all_positions[1].blocked is None
    assert db.session.scalar(select(func.count(OrderPosition.id)).where(OrderPosition.blocked.is_(None))) == 2
    assert set(db.session.scalars(select(BlockedSecret.secret).where(BlockedSecret.blocked.is_(True)))) == {old}
    assert actions(order) == ["position.blocked", "position.secret_regenerated", "position.unblocked"]


def test_new_secret_refuses_canceled_ticket_and_stale_page(world, actor):
    order = factories.order(world.event, [world.ticket, world.ticket])
    order.all_positions[1].canceled = True
    db.session.commit()
    before = state(order)
    with pytest.raises(Invalid, match="is canceled"):
        secrets.regenerate_position_secret(order.all_positions[1], actor=actor)
    db.session.rollback()
    with pytest.raises(Conflict):
        secrets.regenerate_position_secret(reload(order).all_positions[0], actor=actor,
                                           seen_last_modified="2001-01-01T00:00:00+00:00")
    db.session.rollback()
    assert state(order) == before
