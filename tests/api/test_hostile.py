"""Hostile requests: always a JSON answer below 500, a field named where one was refused,
nothing written on a refusal."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from backoffice.domain.models import Customer, LogEntry, Order, OrderStatus
from backoffice.extensions import db
from tests import factories

CUSTOMERS = "/api/v1/organizers/demo/customers/"
ORDERS = "/api/v1/organizers/demo/events/conf/orders/"
QUERY_VALUES = ["0001-01-01", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", str(2**64), str(2**31),
                "9" * 30,
                "-1", "1e999", "NaN", "²", "x" * 5000, "<script>alert(1)</script>", "true", ""]
ORDER_PARAMS = ["page", "ordering", "code", "status", "search", "customer", "item", "variation", "testmode",
                "require_approval", "include_canceled_positions", "include_canceled_fees", "email", "locale",
                "modified_since", "created_since", "created_before", "subevent", "subevent_after",
                "subevent_before", "sales_channel", "payment_provider", "include", "exclude", "pdf_data"]


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _json_below_500(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code != 204:
        assert response.mimetype == "application/json", response.get_data(as_text=True)[:300]


def test_every_order_list_parameter_with_every_hostile_value(api, world):
    factories.order(world.event, [world.ticket])
    db.session.commit()
    for name in ORDER_PARAMS:
        for value in QUERY_VALUES:
            for url in (ORDERS, "/api/v1/organizers/demo/orders/"):
                response = api.get(url, query_string={name: value})
                _json_below_500(response)
                if response.status_code == 400:
                    assert name in response.json, (name, value, response.json)


@pytest.mark.parametrize("value", ["0001-01-01", "1e999", str(2**64), "x" * 5000])
def test_customer_list_parameters(api, world, value):
    for name in ("page", "email"):
        response = api.get(CUSTOMERS, query_string={name: value})
        _json_below_500(response)


def test_out_of_range_moments_name_the_parameter(api, world):
    response = api.get(ORDERS + "?modified_since=0001-01-01T00:00:00%2B14:00")
    assert response.status_code == 400 and "modified_since" in response.json


@pytest.mark.parametrize("raw,content_type", [
    (b"{", "application/json"), (b"[1, 2]", "application/json"), (b'"text"', "text/json"),
    (b'{"email": NaN}', "application/json"), (b'{"email": 1e999}', "application/json"),
    (b'{"email": "a\\u0000b@example.org"}', "application/json"), (b"\xff\xfe", "application/json"),
    (b"[" * 100000, "application/json"), (b'{"email": 1' + b"0" * 5000 + b"}", "application/json"),
    (b"email=x@example.org", "application/x-www-form-urlencoded"), (b"<xml/>", "text/xml"),
])
def test_bodies_that_are_not_a_json_object_change_nothing(api, world, raw, content_type):
    response = api.post(CUSTOMERS, raw=raw, content_type=content_type)
    assert response.status_code in (400, 415), response.json
    assert "detail" in response.json
    assert _count(Customer) == 0


@pytest.mark.parametrize("body", [
    {"email": "a@example.org", "name_parts": {"full_name": "x" * 100000}},
    {"email": "a@example.org", "notes": "x" * 20000},
    {"email": "a@example.org", "locale": "xx"},
    {"email": "a@example.org", "phone": "not a phone"},
    {"email": "<script>alert(1)</script>"},
    {"email": "a@example.org", "is_active": "false"},
    {"email": "a@example.org", "password": 12345678},
    {"email": "a@example.org", "password": "short"},
    {"email": "a@example.org", "external_identifier": ["x"]},
    {"email": "a@example.org", "name_parts": {"full_name": 1e308}},
])
def test_refused_customer_fields_are_named_and_nothing_is_written(api, world, body):
    entries = _count(LogEntry)
    response = api.post(CUSTOMERS, body)
    assert response.status_code == 400
    assert set(response.json) - {"detail"}, response.json
    assert _count(Customer) == 0
    assert _count(LogEntry) == entries


def test_too_large_body_is_413_json(api, world):
    response = api.post(CUSTOMERS, raw=b'{"notes": "' + b"x" * (3 * 1024 * 1024) + b'"}')
    assert response.status_code == 413 and response.mimetype == "application/json"


def test_nul_in_path_or_query_is_400_json(api, world):
    response = api.get(CUSTOMERS + "?email=a%00b")
    assert response.status_code == 400 and response.mimetype == "application/json"
    response = api.get(CUSTOMERS + "a%00b/")
    assert response.status_code == 400 and response.mimetype == "application/json"


def test_unknown_urls_and_methods_answer_json(api, world):
    missing = api.get("/api/v1/nothing/here/")
    assert missing.status_code == 404 and missing.json == {"detail": "Not found."}
    wrong = api.send("PUT", ORDERS)
    assert wrong.status_code == 405 and wrong.mimetype == "application/json" and "GET" in wrong.headers["Allow"]


def test_hostile_order_codes_in_the_path(api, world):
    for code in ["x" * 5000, "%00", "ABC12%2F..", "'; DROP TABLE order; --", "ä" * 10, str(2**64)]:
        for suffix in ("", "mark_paid/"):
            response = api.send("GET" if not suffix else "POST", f"{ORDERS}{code}/{suffix}")
            _json_below_500(response)
            assert response.status_code in (400, 404), (code, suffix)


def test_refused_action_body_changes_nothing(api, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    entries = _count(LogEntry)
    for body in ({"send_email": "yes"}, {"send_email": 1}, {"send_email": None}, {"cancellation_fee": [1]}, {"comment": {"x": 1}},
                 {"comment": "x" * 20000}):
        response = api.post(f"{ORDERS}{order.code}/mark_canceled/", body)
        assert response.status_code == 400, body
        assert set(response.json) & {"send_email", "cancellation_fee", "comment"}, response.json
    db.session.rollback()
    assert db.session.get(Order, order.id).status == OrderStatus.PENDING
    assert _count(LogEntry) == entries


def test_text_json_is_read_like_application_json(api, world):
    response = api.post(CUSTOMERS, raw=json.dumps({"email": "t@example.org"}).encode(), content_type="text/json")
    assert response.status_code == 201


def test_a_lock_that_cannot_be_had_is_409_and_changes_nothing(api, world, monkeypatch):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from backoffice.domain import orders
    order = factories.order(world.event, [world.ticket])
    db.session.commit()

    def locked(*args, **kwargs):
        raise OperationalError("SELECT … FOR UPDATE", {}, sqlite3.OperationalError("database is locked"))
    monkeypatch.setattr(orders, "begin_change", locked)
    response = api.post(f"{ORDERS}{order.code}/mark_paid/")
    assert response.status_code == 409 and "Try again" in response.json["detail"]
    db.session.rollback()
    assert db.session.get(Order, order.id).status == OrderStatus.PENDING


SEGMENTS = ["x" * 5000, "9" * 30, str(2**31), "0", "%00", "ä<script>"]


def test_every_api_route_with_hostile_path_segments_answers_json_below_500(app, api, world):
    order = factories.order(world.event, [world.ticket])
    customer = factories.customer(world.organizer)
    db.session.commit()
    real = {"organizer": "demo", "event": "conf", "code": order.code, "identifier": customer.identifier,
            "id": str(order.all_positions[0].id), "local_id": "1", "output": "pdf"}
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or not rule.arguments:
            continue
        for name in rule.arguments:
            for value in SEGMENTS:
                path = rule.rule
                for arg in rule.arguments:
                    segment = value if arg == name else real[arg]
                    path = path.replace(f"<{arg}>", segment).replace(f"<int:{arg}>", segment)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    response = api.send(method, path, {})
                    _json_below_500(response)
                    assert response.status_code in (400, 403, 404, 405), (method, path[:80], response.status_code)
                    checked += 1
    assert checked > 200
