"""Who may use the API: tokens, organizers, events, permissions; no session cookies."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backoffice.domain import api_tokens
from backoffice.domain.audit import Actor
from backoffice.domain.models import ApiToken, Customer, OrderStatus
from backoffice.extensions import db
from tests import factories

from .conftest import Api, limited_team, make_token, team_of

ORDERS = "/api/v1/organizers/demo/events/conf/orders/"


def _urls(world):
    order = factories.order(world.event, [world.ticket])
    customer = factories.customer(world.organizer)
    db.session.commit()
    return [
        ("GET", "/api/v1/organizers/demo/customers/"),
        ("GET", f"/api/v1/organizers/demo/customers/{customer.identifier}/"),
        ("POST", "/api/v1/organizers/demo/customers/"),
        ("PATCH", f"/api/v1/organizers/demo/customers/{customer.identifier}/"),
        ("GET", "/api/v1/organizers/demo/orders/"),
        ("GET", ORDERS),
        ("GET", f"{ORDERS}{order.code}/"),
        ("POST", f"{ORDERS}{order.code}/mark_paid/"),
    ]


@pytest.mark.parametrize("header", [None, "", "Token", "Token ", "Bearer abc", "Token wrong-token", "Token " + "x" * 500,
                                    "Basic YWRtaW46YWRtaW4="])
def test_missing_or_wrong_token_is_401_json(client, world, header):
    urls = _urls(world)
    customers_before = db.session.scalar(select(func.count()).select_from(Customer))
    for method, url in urls:
        headers = {"Authorization": header} if header is not None else {}
        response = client.open(url, method=method, headers=headers, json={})
        assert response.status_code == 401, (method, url, header)
        assert response.mimetype == "application/json" and "detail" in response.json
        assert "Set-Cookie" not in response.headers
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Customer)) == customers_before


def test_every_api_route_needs_a_token(app, client, world):
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint in ("api.openapi_json", "api.docs_page"):
            continue
        url = rule.build({arg: "1" for arg in rule.arguments} | {"organizer": "demo", "event": "conf"})[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code == 401, (method, url)
            checked += 1
    assert checked >= 15


def test_revoked_token_stops_working_at_once(api_as, world):
    plain = make_token(team_of(world.admin))
    api = api_as(plain)
    assert api.get(ORDERS).status_code == 200
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == api_tokens.token_hash(plain)))
    api_tokens.revoke_token(token, actor=Actor(user=world.admin))
    db.session.commit()
    assert api.get(ORDERS).status_code == 401


def test_use_is_recorded_as_last_used(api, world):
    assert api.get(ORDERS).status_code == 200
    db.session.rollback()
    assert db.session.scalars(select(ApiToken)).one().last_used is not None


def test_other_organizer_and_unknown_organizer_are_403(api, world):
    other = factories.organizer(slug="other")
    factories.event(other, slug="conf")
    factories.customer(other)
    db.session.commit()
    for url in ("/api/v1/organizers/other/customers/", "/api/v1/organizers/other/orders/",
                "/api/v1/organizers/other/events/conf/orders/", "/api/v1/organizers/nobody/customers/",
                "/api/v1/organizers/nobody/events/conf/orders/"):
        response = api.get(url)
        assert response.status_code == 403, url
        assert "detail" in response.json


def test_token_of_another_organizer_sees_nothing_here(client, world):
    other = factories.organizer(slug="other")
    stranger = factories.user(org=other)
    db.session.commit()
    api = Api(client, make_token(team_of(stranger)))
    assert api.get("/api/v1/organizers/demo/customers/").status_code == 403
    assert api.get(ORDERS).status_code == 403
    assert api.get("/api/v1/organizers/other/orders/").status_code == 200


def test_unknown_event_is_403(api, world):
    assert api.get("/api/v1/organizers/demo/events/nothing/orders/").status_code == 403


def test_team_limited_to_one_event(client, world):
    other = factories.event(world.organizer, slug="other")
    other_item = factories.item(other, "Other", "10.00")
    theirs = factories.order(other, [other_item])
    mine = factories.order(world.event, [world.ticket])
    db.session.commit()
    api = Api(client, make_token(limited_team(world, [world.event])))
    assert api.get(ORDERS).status_code == 200
    assert api.get(f"{ORDERS}{mine.code}/").status_code == 200
    # the other event: 403, as for an event that does not exist
    assert api.get("/api/v1/organizers/demo/events/other/orders/").status_code == 403
    assert api.get(f"/api/v1/organizers/demo/events/other/orders/{theirs.code}/").status_code == 403
    assert api.post(f"/api/v1/organizers/demo/events/other/orders/{theirs.code}/mark_paid/").status_code == 403
    # an order of the other event inside the allowed one: not found
    assert api.get(f"{ORDERS}{theirs.code}/").status_code == 404
    assert api.post(f"{ORDERS}{theirs.code}/mark_paid/").status_code == 404
    db.session.rollback()
    assert db.session.get(type(theirs), theirs.id).status == OrderStatus.PENDING


def test_permissions_of_the_team(client, world):
    customer = factories.customer(world.organizer)
    db.session.commit()
    no_customers = Api(client, make_token(limited_team(world, [world.event], can_view_customers=False,
                                                       can_change_customers=False)))
    assert no_customers.get("/api/v1/organizers/demo/customers/").status_code == 403
    read_only = Api(client, make_token(limited_team(world, [world.event], can_change_customers=False)))
    assert read_only.get("/api/v1/organizers/demo/customers/").status_code == 200
    assert read_only.patch(f"/api/v1/organizers/demo/customers/{customer.identifier}/",
                           {"notes": "x"}).status_code == 403
    assert read_only.post(f"/api/v1/organizers/demo/customers/{customer.identifier}/anonymize/").status_code == 403
    no_orders = Api(client, make_token(limited_team(world, [world.event], can_view_orders=False,
                                                    can_change_orders=False)))
    assert no_orders.get(ORDERS).status_code == 403
    assert no_orders.get("/api/v1/organizers/demo/orders/").status_code == 403


def test_a_session_login_is_no_api_login(staff, world):
    response = staff.client.get(ORDERS)
    assert response.status_code == 401


def test_responses_set_no_cookie(api, world):
    response = api.get(ORDERS)
    assert "Set-Cookie" not in response.headers
    response = api.post("/api/v1/organizers/demo/customers/", {"email": "a@example.org"})
    assert response.status_code == 201 and "Set-Cookie" not in response.headers
