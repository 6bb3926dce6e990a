"""Changing, adding and canceling positions, and 003's change of an order, through the API."""
from __future__ import annotations

from sqlalchemy import select

from backoffice.domain.models import Answer, Order, OrderPosition, OrderStatus, Question
from backoffice.extensions import db
from tests import factories

EVENT = "/api/v1/organizers/demo/events/conf/"


def _order(world, items=None, **kw):
    order = factories.order(world.event, items or [world.ticket], **kw)
    db.session.commit()
    return order


def _fresh(model, obj_id):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, obj_id)


def test_patch_attendee_and_answers_replace_all_answers(api, world):
    question = Question(event_id=world.event.id, identifier="DIET", question="Diet?", type="S")
    question.items = [world.ticket]
    db.session.add(question)
    order = _order(world)
    position = order.all_positions[0]
    url = f"{EVENT}orderpositions/{position.id}/"
    response = api.patch(url, {"attendee_name": "Peter", "attendee_email": "peter@example.org",
                               "answers": [{"question": question.id, "answer": "vegan"}]})
    assert response.status_code == 200, response.json
    assert response.json["attendee_name"] == "Peter" and response.json["answers"][0]["answer"] == "vegan"
    cleared = api.patch(url, {"answers": []})
    assert cleared.json["answers"] == [] and cleared.json["attendee_name"] == "Peter"
    db.session.rollback()
    assert db.session.scalar(select(Answer)) is None


def test_patch_price_changes_the_total_without_a_new_invoice(api, world):
    order = _order(world)
    response = api.patch(f"{EVENT}orderpositions/{order.all_positions[0].id}/", {"price": "40.00"})
    assert response.status_code == 200, response.json
    assert response.json["price"] == "40.00"
    assert _fresh(Order, order.id).total == 40


def test_patch_refusals_change_nothing(api, world):
    order = _order(world)
    position = order.all_positions[0]
    for body, field in (({"attendee_email": "nope"}, "attendee_email"), ({"price": "-5"}, None),
                        ({"item": 999999}, None), ({"answers": "x"}, "answers")):
        response = api.patch(f"{EVENT}orderpositions/{position.id}/", body)
        assert response.status_code == 400, (body, response.json)
        if field:
            assert field in response.json, (body, response.json)
    fresh = _fresh(OrderPosition, position.id)
    assert fresh.price == 50 and fresh.attendee_email is None


def test_add_a_position_and_cancel_it(api, world):
    order = _order(world, status=OrderStatus.PAID)
    added = api.post(f"{EVENT}orderpositions/", {"order": order.code, "item": world.ticket.id,
                                                 "attendee_name": "Second"})
    assert added.status_code == 201, added.json
    assert added.json["positionid"] == 2 and added.json["price"] == "50.00"
    fresh = _fresh(Order, order.id)
    assert fresh.total == 100 and fresh.status == OrderStatus.PENDING  # now owes money
    assert api.post(f"{EVENT}orderpositions/", {"order": "NOPE1", "item": world.ticket.id}).json.keys() == {"order"}
    gone = api.delete(f"{EVENT}orderpositions/{added.json['id']}/")
    assert gone.status_code == 204
    assert _fresh(OrderPosition, added.json["id"]).canceled is True
    last = api.delete(f"{EVENT}orderpositions/{order.all_positions[0].id}/")
    assert last.status_code == 400  # never the last ticket


def test_change_cancels_patches_and_adds_in_one_go(api, world):
    order = _order(world, [world.ticket, world.ticket], fees=[("payment", "2.00")])
    first, second = order.all_positions
    fee = order.all_fees[0]
    response = api.post(f"{EVENT}orders/{order.code}/change/", {
        "cancel_positions": [{"position": second.id}],
        "patch_positions": [{"position": first.id, "body": {"price": "45.00"}}],
        "create_positions": [{"item": world.ticket.id, "attendee_name": "Peter"}],
        "change_fees": [{"fee": fee.id, "body": {"value": "1.00"}}],
        "send_email": False})
    assert response.status_code == 200, response.json
    assert [p["price"] for p in response.json["positions"]] == ["45.00", "50.00"]
    assert response.json["total"] == "96.00"
    assert _fresh(OrderPosition, second.id).canceled is True


def test_change_refuses_as_a_whole(api, world):
    order = _order(world, [world.ticket, world.ticket])
    first, second = order.all_positions
    response = api.post(f"{EVENT}orders/{order.code}/change/", {
        "patch_positions": [{"position": first.id, "body": {"price": "45.00"}}],
        "cancel_positions": [{"position": 999999}]})
    assert response.status_code == 400 and "cancel_positions.0.position" in response.json
    assert api.post(f"{EVENT}orders/{order.code}/change/", {}).status_code == 400
    assert _fresh(OrderPosition, first.id).price == 50


def test_ids_beyond_the_database_in_free_form_parts_are_400(api, world):
    order = _order(world, [world.ticket, world.ticket])
    response = api.post(f"{EVENT}orders/{order.code}/change/", {
        "patch_positions": [{"position": order.all_positions[0].id, "body": {"item": 2**40}}]})
    assert response.status_code == 400 and response.mimetype == "application/json"
    response = api.post(f"{EVENT}orders/{order.code}/change/", {
        "create_positions": [{"item": 2**62}]})
    assert response.status_code == 400
    assert _fresh(Order, order.id).total == 100
