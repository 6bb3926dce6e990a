"""A refusal of the domain reads in the staff user's language on a page; the JSON API keeps
answering the same refusal in English."""
from __future__ import annotations

from decimal import Decimal

from backoffice.domain.models import Customer, Order, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.api.conftest import Api, make_token, team_of

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
EVENT_API = "/api/v1/organizers/demo/events/conf/orders/"


def german(world) -> None:
    world.admin.locale = "de"
    db.session.commit()


def api(app, world) -> Api:
    """A client of its own, so that the page's session does not ride along."""
    return Api(app.test_client(), make_token(team_of(world.admin)))


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_a_refused_order_action_is_german_on_the_page_and_english_in_the_api(app, staff, world):
    german(world)
    order = factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED)
    db.session.commit()
    response = staff.post(f"/demo/events/conf/orders/{order.code}/mark_expired",
                          {"seen": order.last_modified.isoformat()}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (f"Die Bestellung {order.code} kann nicht als abgelaufen markiert werden: "
            "Ihr Status ist „storniert“.") in html
    assert "cannot be marked as expired" not in html
    assert fresh(order).status == OrderStatus.CANCELED

    refused = api(app, world).post(f"{EVENT_API}{order.code}/mark_expired/", headers=dict(GERMAN))
    assert refused.status_code == 400
    assert f"Order {order.code} cannot be marked as expired: it is canceled." in refused.get_data(as_text=True)
    assert fresh(order).status == OrderStatus.CANCELED


def test_a_refused_amount_names_both_amounts_in_german(staff, world):
    german(world)
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    response = staff.post(f"/demo/events/conf/orders/{order.code}/cancel",
                          {"seen": order.last_modified.isoformat(), "cancellation_fee": "99.00"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Die Stornogebühr (99.00) darf nicht höher sein als die Bestellsumme ({order.total})." in html
    assert fresh(order).status == OrderStatus.PAID and fresh(order).total == Decimal(order.total)


def test_a_refused_customer_field_is_german_in_the_form_and_english_in_the_api(app, staff, world):
    german(world)
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    factories.customer(world.organizer, "bob@example.org")
    db.session.commit()
    response = staff.post(f"/demo/customers/{anna.identifier}/edit",
                          {"email": "BOB@example.org", "name_full_name": "Anna Smith", "locale": "en",
                           "company": "Getippt"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ein anderer Kunde verwendet die E-Mail-Adresse BOB@example.org bereits." in html
    assert "Another customer already uses" not in html and 'value="Getippt"' in html
    db.session.expire_all()
    assert db.session.get(Customer, anna.id).email == "anna@example.org"

    refused = api(app, world).post("/api/v1/organizers/demo/customers/", {"email": "bob@example.org"},
                                   headers=dict(GERMAN))
    assert refused.status_code == 400
    assert refused.json["email"] == ["Another customer already uses the email address bob@example.org."]


def test_the_same_refusal_reads_english_for_a_staff_user_who_chose_english(staff, world):
    world.admin.locale = "en"
    order = factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED)
    db.session.commit()
    response = staff.post(f"/demo/events/conf/orders/{order.code}/mark_expired",
                          {"seen": order.last_modified.isoformat()}, htmx=True, headers=dict(GERMAN))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Order {order.code} cannot be marked as expired: it is canceled." in html
