"""Customers through the API (seed 000): shapes, rules of the domain, audit, mails."""
from __future__ import annotations

from sqlalchemy import select

from backoffice.domain.models import Customer, LogEntry, Order, OutboxEmail
from backoffice.extensions import db
from tests import factories

from .conftest import seed_example
from .shapes import assert_same_shape

BASE = "/api/v1/organizers/demo/customers/"


def _customer(world, **kw):
    kw.setdefault("phone", "+493012345678")
    kw.setdefault("locale", "de")
    c = factories.customer(world.organizer, email=kw.pop("email", "customer@example.org"), name="John Doe", **kw)
    db.session.commit()
    return c


def _entries(customer_id: int, action: str) -> list[LogEntry]:
    db.session.rollback()
    return list(db.session.scalars(select(LogEntry).where(LogEntry.object_type == "customer",
                                                          LogEntry.object_id == customer_id,
                                                          LogEntry.action_type == action).order_by(LogEntry.id)))


def test_list_replays_the_seed_example(api, world):
    _customer(world)
    response = api.get(BASE)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert_same_shape(response.json, seed_example("customer_list"),
                      nullable=frozenset({"$.next", "$.previous", "$.results[].last_login",
                                          "$.results[].external_identifier", "$.results[].notes"}))
    assert response.json["count"] == 1


def test_detail_replays_the_seed_example(api, world):
    c = _customer(world)
    response = api.get(f"{BASE}{c.identifier}/")
    assert response.status_code == 200
    assert_same_shape(response.json, seed_example("customer"),
                      nullable=frozenset({"$.last_login", "$.external_identifier", "$.notes"}))
    assert response.json["identifier"] == c.identifier
    assert response.json["name"] == "John Doe"
    assert "password" not in response.json


def test_list_filters_by_email_regardless_of_case(api, world):
    _customer(world, email="Mixed.Case@example.org")
    _customer(world, email="other@example.org")
    response = api.get(BASE + "?email=mixed.case@EXAMPLE.org")
    assert [c["email"] for c in response.json["results"]] == ["Mixed.Case@example.org"]


def test_list_pages_with_absolute_links_from_base_url(api, world):
    for n in range(51):
        factories.customer(world.organizer, email=f"c{n}@example.org")
    db.session.commit()
    first = api.get(BASE + "?email=&page=1").json
    assert first["count"] == 51 and len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"] == "http://backoffice.test/api/v1/organizers/demo/customers/?email=&page=2"
    second = api.get(first["next"].removeprefix("http://backoffice.test")).json
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["previous"] == "http://backoffice.test/api/v1/organizers/demo/customers/?email="
    assert api.get(BASE + "?page=3").status_code == 404
    assert api.get(BASE + "?page=0").status_code == 400


def test_unknown_customer_is_404(api, world):
    assert api.get(BASE + "NOSUCH1/").status_code == 404
    assert api.get(BASE + ("x" * 300) + "/").status_code == 404


def test_create_with_password_and_without_mail_by_default(api, world):
    response = api.post(BASE, {"email": "test@example.org", "phone": "+493012345678", "password": "verysecret"},
                        content_type="text/json")
    assert response.status_code == 201, response.json
    assert response.json["email"] == "test@example.org"
    assert response.json["external_identifier"] is None
    assert "password" not in response.json
    db.session.rollback()
    customer = db.session.scalar(select(Customer).where(Customer.identifier == response.json["identifier"]))
    assert customer.password_hash and "verysecret" not in customer.password_hash
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.to == "test@example.org")) is None
    entry = _entries(customer.id, "customer.created")[0]
    assert entry.api_token_id is not None and entry.user_id is None


def test_create_with_send_email_mails_a_password_link(api, world):
    response = api.post(BASE, {"email": "test@example.org", "send_email": True})
    assert response.status_code == 201
    db.session.rollback()
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.to == "test@example.org")) is not None


def test_create_refuses_a_taken_email_and_names_the_field(api, world):
    _customer(world, email="taken@example.org")
    response = api.post(BASE, {"email": "TAKEN@example.org"})
    assert response.status_code == 400
    assert list(response.json) == ["email"] and isinstance(response.json["email"], list)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count()).select_from(Customer)) == 1


def test_create_refuses_wrong_types_naming_each_field(api, world):
    response = api.post(BASE, {"email": 12, "send_email": "yes", "name_parts": ["x"]})
    assert response.status_code == 400
    assert {"email", "send_email", "name_parts"} <= set(response.json)


def test_patch_changes_only_what_was_sent(api, world):
    c = _customer(world, notes="keep me")
    response = api.patch(f"{BASE}{c.identifier}/", {"email": "test@example.org"})
    assert response.status_code == 200, response.json
    assert response.json["email"] == "test@example.org"
    assert response.json["notes"] == "keep me"
    assert response.json["phone"] == "+493012345678"
    changed = _entries(c.id, "customer.changed")
    assert changed[0].data["changed"]["email"]["new"] == "test@example.org"
    assert changed[0].api_token_id is not None


def test_put_resets_what_was_not_sent(api, world):
    c = _customer(world, notes="gone after put", external_identifier="ext-1")
    response = api.put(f"{BASE}{c.identifier}/", {"email": "customer@example.org", "phone": "+493012345678"})
    assert response.status_code == 200, response.json
    assert response.json["notes"] is None
    assert response.json["external_identifier"] is None
    assert response.json["phone"] == "+493012345678"
    assert response.json["locale"] == "en"  # the organizer's first language
    assert response.json["is_active"] is True


def test_put_without_email_is_refused_and_changes_nothing(api, world):
    c = _customer(world, notes="stays")
    response = api.put(f"{BASE}{c.identifier}/", {"phone": "+493012345678"})
    assert response.status_code == 400 and "email" in response.json
    db.session.rollback()
    assert db.session.get(Customer, c.id).notes == "stays"


def test_patch_is_active_false_blocks_through_the_domain(api, world):
    c = _customer(world)
    response = api.patch(f"{BASE}{c.identifier}/", {"is_active": False})
    assert response.status_code == 200 and response.json["is_active"] is False
    assert _entries(c.id, "customer.deactivated")


def test_patch_of_an_anonymized_customer_is_refused(api, world):
    c = _customer(world)
    api.post(f"{BASE}{c.identifier}/anonymize/")
    response = api.patch(f"{BASE}{c.identifier}/", {"notes": "new"})
    assert response.status_code == 400 and "detail" in response.json


def test_anonymize_erases_and_detaches_and_answers_200_twice(api, world):
    c = _customer(world)
    order = factories.order(world.event, [world.ticket], customer=c)
    db.session.commit()
    first = api.post(f"{BASE}{c.identifier}/anonymize/")
    assert first.status_code == 200
    assert first.json["email"] is None and first.json["phone"] is None
    assert first.json["identifier"] == c.identifier
    second = api.post(f"{BASE}{c.identifier}/anonymize/")
    assert second.status_code == 200 and second.json == first.json
    db.session.rollback()
    assert db.session.get(Order, order.id).customer_id is None
    assert len(_entries(c.id, "customer.anonymized")) == 1


def test_delete_is_405_and_deletes_nothing(api, world):
    c = _customer(world)
    response = api.delete(f"{BASE}{c.identifier}/")
    assert response.status_code == 405
    assert response.json == {"detail": "Customers cannot be deleted; anonymize them instead."}
    db.session.rollback()
    assert db.session.get(Customer, c.id) is not None
