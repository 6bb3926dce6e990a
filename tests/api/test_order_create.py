"""Creating orders through the API (003's POST …/orders/), through the domain's create_order."""
from __future__ import annotations

import copy
from decimal import Decimal

from sqlalchemy import func, select

from backoffice.domain.models import (Answer, LogEntry, Order, OrderPayment, OutboxEmail, Question,
                                      TaxRule)
from backoffice.extensions import db
from tests import factories

from .conftest import seed_example
from .shapes import assert_same_shape

URL = "/api/v1/organizers/demo/events/conf/orders/"
SEED_BODY = {
    "email": "dummy@example.org", "locale": "en", "sales_channel": "web",
    "fees": [{"fee_type": "payment", "value": "0.25", "description": "", "internal_type": "", "tax_rule": 2}],
    "payment_provider": "banktransfer",
    "invoice_address": {"is_business": False, "company": "Sample company", "name_parts": {"full_name": "John Doe"},
                        "street": "Sesam Street 12", "zipcode": "12345", "city": "Sample City", "country": "GB",
                        "state": "", "internal_reference": "", "vat_id": ""},
    "positions": [{"positionid": 1, "item": 1, "variation": None, "price": "23.00",
                   "attendee_name_parts": {"full_name": "Peter"}, "attendee_email": None, "addon_to": None,
                   "answers": [{"question": 1, "answer": "23", "options": []}], "subevent": None}],
}


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _seed_body(world) -> dict:
    """The seed's example request with the ids of the demo data."""
    rule = TaxRule(event_id=world.event.id, name="VAT", rate=Decimal("19.00"))
    question = Question(event_id=world.event.id, identifier="AGE", question="Age?", type="N")
    question.items = [world.ticket]
    db.session.add_all([rule, question])
    db.session.commit()
    body = copy.deepcopy(SEED_BODY)
    body["fees"][0]["tax_rule"] = rule.id
    body["positions"][0]["item"] = world.ticket.id
    body["positions"][0]["answers"][0]["question"] = question.id
    return body


def test_the_seed_example_creates_a_pending_order(api, world):
    response = api.post(URL, _seed_body(world))
    assert response.status_code == 201, response.json
    order = response.json
    assert_same_shape(order, seed_example("order_list")["results"][0],
                      nullable=frozenset({"$.customer", "$.custom_followup_at", "$.checkin_text",
                                          "$.positions[].variation", "$.positions[].addon_to",
                                          "$.positions[].subevent", "$.positions[].blocked", "$.positions[].seat"}))
    assert order["status"] == "n" and order["total"] == "23.25"
    assert order["positions"][0]["price"] == "23.00" and order["positions"][0]["attendee_name"] == "Peter"
    assert order["positions"][0]["answers"][0]["answer"] == "23"
    assert order["fees"][0]["value"] == "0.25" and order["fees"][0]["tax_rate"] == "19.00"
    assert order["invoice_address"]["country"] == "GB"
    assert [(p["state"], p["provider"], p["amount"]) for p in order["payments"]] == [
        ("created", "banktransfer", "23.25")]
    db.session.rollback()
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "order.created"))
    assert entry.api_token_id is not None
    assert _count(OutboxEmail) == 0  # send_email defaults to false


def test_free_order_is_paid_through_the_free_provider(api, world):
    response = api.post(URL, {"positions": [{"item": world.ticket.id, "price": "0.00"}]})
    assert response.status_code == 201, response.json
    assert response.json["status"] == "p"
    assert [(p["state"], p["provider"]) for p in response.json["payments"]] == [("confirmed", "free")]


def test_paid_order_needs_a_provider_and_gets_a_confirmed_payment(api, world):
    refused = api.post(URL, {"status": "p", "positions": [{"item": world.ticket.id}]})
    assert refused.status_code == 400 and "payment_provider" in refused.json
    assert _count(Order) == 0
    paid = api.post(URL, {"status": "p", "payment_provider": "manual", "positions": [{"item": world.ticket.id}],
                          "email": "buyer@example.org"})
    assert paid.status_code == 201, paid.json
    assert paid.json["status"] == "p" and paid.json["payments"][0]["state"] == "confirmed"
    assert paid.json["positions"][0]["price"] == "50.00"  # from the product


def test_send_email_and_the_legacy_send_mail(api, world):
    for body, mails in (({"send_email": True}, 1), ({"send_mail": True}, 2), ({"send_email": None}, 2),
                        ({"send_email": False, "send_mail": True}, 2)):
        response = api.post(URL, {"email": "buyer@example.org", "positions": [{"item": world.ticket.id}], **body})
        assert response.status_code == 201, response.json
        assert _count(OutboxEmail) == mails, body


def test_simulate_writes_nothing_and_answers_preview(api, world):
    response = api.post(URL, {"simulate": True, "positions": [{"item": world.ticket.id}]})
    assert response.status_code == 201, response.json
    assert response.json["code"] == "PREVIEW" and response.json["positions"][0]["id"] == 0
    assert response.json["total"] == "50.00"
    assert _count(Order) == 0 and _count(OrderPayment) == 0 and _count(LogEntry) == 1  # the token's creation


def test_custom_code_and_secret(api, world):
    response = api.post(URL, {"code": "ABC23", "positions": [{"item": world.ticket.id, "secret": "mysecret42"}]})
    assert response.status_code == 201, response.json
    assert response.json["code"] == "ABC23" and response.json["positions"][0]["secret"] == "mysecret42"
    again = api.post(URL, {"code": "ABC23", "positions": [{"item": world.ticket.id}]})
    assert again.status_code == 400 and "code" in again.json


def test_addons_follow_their_ticket(api, world):
    addon = factories.item(world.event, "Parking", "5.00", is_addon=True)
    factories.quota(world.event, [addon], 10)
    db.session.commit()
    ok = api.post(URL, {"positions": [{"positionid": 1, "item": world.ticket.id},
                                      {"positionid": 2, "item": addon.id, "addon_to": 1}]})
    assert ok.status_code == 201, ok.json
    parent, child = ok.json["positions"]
    assert child["addon_to"] == parent["id"]
    wrong = api.post(URL, {"positions": [{"positionid": 1, "item": addon.id, "addon_to": 2},
                                         {"positionid": 2, "item": world.ticket.id}]})
    assert wrong.status_code == 400 and any(k.startswith("positions.0") for k in wrong.json)


def test_quota_refuses_and_force_overbooks(api, world):
    world.quota.size = 1
    db.session.commit()
    body = {"positions": [{"item": world.ticket.id}, {"item": world.ticket.id}]}
    refused = api.post(URL, body)
    assert refused.status_code == 400
    assert _count(Order) == 0
    assert api.post(URL, {**body, "force": True}).status_code == 201


def test_one_bad_position_writes_nothing_and_names_it(api, world):
    response = api.post(URL, {"positions": [{"item": world.ticket.id}, {"item": 999999},
                                            {"item": world.ticket.id, "price": "-1"}]})
    assert response.status_code == 400
    assert {"positions.1.item", "positions.2.price"} <= set(response.json), response.json
    assert _count(Order) == 0 and _count(Answer) == 0


def test_refused_fields_this_back_office_has_no_counterpart_for(api, world):
    for body, field in (({"consume_carts": ["abc"]}, "consume_carts"),
                        ({"positions": [{"item": world.ticket.id, "voucher": "X"}]}, "positions.0.voucher"),
                        ({"positions": [{"item": world.ticket.id, "requested_valid_from": "2030-01-01T00:00Z"}]},
                         "positions.0.requested_valid_from"),
                        ({"fees": [{"fee_type": "other", "value": "1", "_split_taxes_like_products": True}]},
                         "fees.0")):
        response = api.post(URL, {"positions": [{"item": world.ticket.id}], **body})
        assert response.status_code == 400, body
        assert field in response.json, (body, response.json)
    assert api.post(URL, {"positions": [{"item": world.ticket.id}], "consume_carts": []}).status_code == 201


def test_wrong_types_name_the_position_field(api, world):
    response = api.post(URL, {"positions": [{"item": "1"}]})
    assert response.status_code == 400 and "positions.0.item" in response.json, response.json
    assert api.post(URL, {"positions": []}).status_code == 400
    assert api.post(URL, {}).json.keys() == {"positions"}
