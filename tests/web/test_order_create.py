"""The "New order" page: products with live availability, one attendee block per ticket, the
customer search, refusals that keep everything typed (422), hostile values, permissions, the
confirmation mail, and the new order in the list and the search."""
from __future__ import annotations

import html as htmllib
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain.models import (Answer, LogEntry, Order, OrderPayment, OrderPosition, OrderStatus, OutboxEmail,
                                      Question, QuestionOption)
from backoffice.extensions import db
from tests import factories
from tests.web.test_orders_concurrency import at_once, two_staff  # noqa: F401 - two_staff is a fixture

NEW = "/demo/events/conf/orders/new"


def counts() -> tuple:
    return tuple(db.session.scalar(select(func.count(m.id))) for m in
                 (Order, OrderPosition, OrderPayment, Answer, LogEntry, OutboxEmail))


def text(response) -> str:
    return response.get_data(as_text=True)


def form(world, quantity: int = 1, **extra) -> dict:
    data = {f"qty_{world.ticket.id}": str(quantity), "status": "n", "email": "buyer@example.org", "locale": "en"}
    data.update(extra)
    return data


def only_order() -> Order:
    db.session.expire_all()
    return db.session.scalars(select(Order).order_by(Order.id.desc())).first()


def feedback(page: str, name: str) -> str:
    match = re.search(rf'<div class="invalid-feedback d-block" id="{re.escape(name)}-error">(.*?)</div>', page, re.S)
    assert match, f"no message next to {name}"
    return htmllib.unescape(re.sub(r"<[^>]+>", "", match.group(1))).replace("Error: ", "").strip()


# --- the page ---------------------------------------------------------------------------------------

def test_event_list_offers_new_order_and_the_form_shows_live_availability(staff, world):
    world.quota.size = 3
    factories.order(world.event, [world.ticket, world.ticket])
    soldout = factories.item(world.event, "Backstage", "99.00")
    factories.quota(world.event, [soldout], 0, name="Backstage pass")
    db.session.commit()
    page = text(staff.get("/demo/events/conf/orders/"))
    assert f'href="{NEW}"' in page and ">New order</a>" in page
    page = text(staff.get(NEW))
    line = re.search(rf'<tr id="line-{world.ticket.id}".*?</tr>', page, re.S).group(0)
    assert "<strong>1</strong> left" in line and "quota Regular: 1 free" in line and "€50.00" in line
    line = re.search(rf'<tr id="line-{soldout.id}".*?</tr>', page, re.S).group(0)
    assert "sold out" in line and "quota Backstage pass: 0 free" in line
    assert 'id="status-pending"' in page and "checked" in re.search(r'<input[^>]*id="send_email"[^>]*>', page).group(0)


def test_changing_quantities_renders_one_block_per_ticket_and_keeps_what_was_typed(staff, world):
    q = Question(event_id=world.event.id, identifier="diet", question="Diet", type="C", required=True)
    db.session.add(q)
    q.items = [world.ticket]
    db.session.add(QuestionOption(question=q, identifier="veg", answer="Vegetarian"))
    db.session.commit()
    key = f"t{world.ticket.id}"
    response = staff.post(NEW, {"refresh": "tickets", f"qty_{world.ticket.id}": "3", f"{key}_1-name_full_name": "Ada"},
                          htmx=True)
    assert response.status_code == 200
    page = text(response)
    assert page.count('class="border rounded p-2 mb-2 ticket-slot"') == 3
    assert 'value="Ada"' in page and "Ticket 3 · Regular ticket" in page
    assert f'name="{key}_2-answer_{q.id}"' in page and "Diet *" in page
    page = text(staff.post(NEW, {"refresh": "tickets", f"qty_{world.ticket.id}": "0"}, htmx=True))
    assert "ticket-slot" not in page and "Set a quantity above" in page
    # without JavaScript the same button shows the whole page with the ticket blocks; nothing is created
    response = staff.post(NEW, {"refresh": "tickets", f"qty_{world.ticket.id}": "2", "email": "x@example.org"})
    assert response.status_code == 200 and text(response).count("ticket-slot\"") == 2
    assert 'value="x@example.org"' in text(response) and db.session.scalar(select(func.count(Order.id))) == 0


# --- creating -----------------------------------------------------------------------------------------

def test_box_office_order_paid_now_with_mail_lands_on_the_order(staff, world):
    key = f"t{world.ticket.id}"
    response = staff.post(NEW, form(world, 2, status="p", payment_provider="boxoffice", send_email="on",
                                    **{f"{key}_1-name_full_name": "Ada Lovelace", f"{key}_2-name_full_name": "Bob Böhm",
                                       f"{key}_2-price": "30"}))
    assert response.status_code == 303
    order = only_order()
    assert response.headers["Location"].endswith(f"/demo/events/conf/orders/{order.code}/")
    assert order.status == OrderStatus.PAID and order.sales_channel == "backoffice" and order.total == Decimal("80.00")
    assert [(p.positionid, p.attendee_name, p.price) for p in order.positions] == [
        (1, "Ada Lovelace", Decimal("50.00")), (2, "Bob Böhm", Decimal("30.00"))]
    assert [(p.provider, p.state, p.amount) for p in order.payments] == [("boxoffice", "confirmed", Decimal("80.00"))]
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.to == "buyer@example.org" and order.code in mail.subject
    page = text(staff.get(response.headers["Location"]))
    flash = f"Order {order.code} created: 2 tickets, €80.00, paid (Box office) — confirmation sent to buyer@example.org."
    assert flash in htmllib.unescape(page)
    assert "Ada Lovelace" in page
    assert db.session.scalar(select(LogEntry.action_type).where(LogEntry.object_id == order.id)) == "order.created"
    listing = text(staff.get("/demo/events/conf/orders/?search=bohm"))
    assert order.code in listing
    assert order.code in text(staff.get("/demo/events/conf/orders/"))


def test_pending_order_gets_a_deadline_and_no_mail_when_unticked(staff, world):
    assert staff.post(NEW, form(world, 1)).status_code == 303
    order = only_order()
    assert order.status == OrderStatus.PENDING and order.expires > order.datetime and order.payments == []
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_free_ticket_is_paid_as_a_free_order(staff, world):
    key = f"t{world.ticket.id}"
    assert staff.post(NEW, form(world, 1, status="p", payment_provider="boxoffice", **{f"{key}_1-price": "0"})
                      ).status_code == 303
    order = only_order()
    assert order.status == OrderStatus.PAID and [p.provider for p in order.payments] == ["free"]


def test_link_a_customer_found_by_the_search(staff, world):
    cora = factories.customer(world.organizer, email="cora@example.org", name="Cora Customer")
    factories.customer(factories.organizer(slug="rival"), email="cora@rival.org", name="Cora Rival")
    db.session.commit()
    response = staff.get(NEW + "/customers?customer_q=cora", htmx=True)
    assert response.status_code == 200
    page = text(response)
    assert f'value="{cora.identifier}"' in page and "Cora Customer" in page and "Cora Rival" not in page
    assert "No customer matches" in text(staff.get(NEW + "/customers?customer_q=nobody", htmx=True))
    assert staff.post(NEW, form(world, 1, customer=cora.identifier)).status_code == 303
    assert only_order().customer_id == cora.id


def test_invoice_address_is_stored(staff, world):
    assert staff.post(NEW, form(world, 1, ia_company="ACME", ia_name_full_name="Ida", ia_city="Berlin",
                                ia_country="DE")).status_code == 303
    address = only_order().invoice_address
    assert (address.company, address.name, address.city, address.country) == ("ACME", "Ida", "Berlin", "DE")


# --- refusals ---------------------------------------------------------------------------------------

def test_sold_out_is_refused_with_the_quota_named_and_the_form_kept(staff, world):
    world.quota.size = 1
    db.session.commit()
    key = f"t{world.ticket.id}"
    before = counts()
    response = staff.post(NEW, form(world, 2, phone="+49 30 1234567", comment="call back",
                                    **{f"{key}_1-name_full_name": "Ada", f"{key}_2-attendee_email": "b@example.org"}))
    assert response.status_code == 422
    page = text(response)
    assert "Only 1 ticket left in quota &#39;Regular&#39;, 2 needed." in page
    assert re.search(r'id="products-error">Only 1 ticket left', page)
    for kept in ('value="Ada"', 'value="b@example.org"', 'value="buyer@example.org"', 'value="+49 30 1234567"',
                 ">call back</textarea>", f'id="qty_{world.ticket.id}" name="qty_{world.ticket.id}" value="2"'):
        assert kept in page, kept
    assert counts() == before


def test_field_errors_are_shown_next_to_their_fields(staff, world):
    q = Question(event_id=world.event.id, identifier="diet", question="Diet", type="C", required=True)
    db.session.add(q)
    q.items = [world.ticket]
    db.session.add(QuestionOption(question=q, identifier="veg", answer="Vegetarian"))
    db.session.commit()
    key = f"t{world.ticket.id}_1"
    before = counts()
    response = staff.post(NEW, form(world, 1, email="nope", phone="12", status="p", payment_provider="",
                                    ia_country="Germany", **{f"{key}-attendee_email": "bad@", f"{key}-price": "NaN"}))
    assert response.status_code == 422
    page = text(response)
    assert "is not a valid email address" in feedback(page, "email")
    assert "not a valid phone number" in feedback(page, "phone")
    assert feedback(page, f"{key}-attendee_email").startswith("Ticket 1: ")
    assert "amount" in feedback(page, f"{key}-price")
    assert feedback(page, f"{key}-answer_{q.id}") == "Ticket 1: The question 'Diet' is required: answer it."
    assert "two-letter code" in feedback(page, "ia_country")
    assert 'There are ' in page and 'href="#email"' in page
    assert counts() == before


def test_seated_product_offers_free_seats_and_refuses_a_taken_one(staff, world):
    seated = factories.item(world.event, "Seated", "30.00", requires_seat=True)
    a1, a2 = factories.seat(world.event, "A1"), factories.seat(world.event, "A2")
    factories.order(world.event, [seated], seats=[a1])
    db.session.commit()
    page = text(staff.post(NEW, {"refresh": "tickets", f"qty_{seated.id}": "1"}, htmx=True))
    select_html = re.search(rf'<select[^>]*id="t{seated.id}_1-seat".*?</select>', page, re.S).group(0)
    assert ">A2<" in select_html and ">A1<" not in select_html
    before = counts()
    response = staff.post(NEW, {f"qty_{seated.id}": "1", f"t{seated.id}_1-seat": "guid-A1", "status": "n"})
    assert response.status_code == 422
    assert feedback(text(response), f"t{seated.id}_1-seat") == "Ticket 1: Seat A1 is no longer available."
    assert counts() == before
    assert staff.post(NEW, {f"qty_{seated.id}": "1", f"t{seated.id}_1-seat": "guid-A2"}).status_code == 303
    assert only_order().positions[0].seat_id == a2.id


def test_addons_follow_the_ticket_chosen(staff, world):
    addon = factories.item(world.event, "Workshop", "15.00", is_addon=True)
    db.session.commit()
    main, extra = f"t{world.ticket.id}", f"t{addon.id}"
    data = {f"qty_{world.ticket.id}": "2", f"qty_{addon.id}": "1", f"{extra}_1-addon_to": f"{main}_2"}
    page = text(staff.post(NEW, {**data, "refresh": "tickets"}, htmx=True))
    numbers = re.findall(r'<legend[^>]*>Ticket (\d) · ([^<]+)</legend>', page)
    assert numbers == [("1", "Regular ticket"), ("2", "Regular ticket"), ("3", "Workshop")]
    assert staff.post(NEW, data).status_code == 303
    order = only_order()
    by_number = {p.positionid: p for p in order.positions}
    assert by_number[3].addon_to_id == by_number[2].id
    before = counts()
    response = staff.post(NEW, {**data, f"{extra}_1-addon_to": ""})
    assert response.status_code == 422
    assert "is an add-on: choose the ticket" in feedback(text(response), f"{extra}_1-addon_to")
    assert counts() == before


HOSTILE = ["9" * 30, "1e999", "NaN", "-1", "<script>alert(1)</script>", "x" * 10_000, "9999-12-31", "²"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_get_a_clear_refusal_and_change_nothing(staff, world, value):
    other = factories.event(world.organizer, slug="other")
    foreign = factories.item(other, "Foreign")
    rival = factories.customer(factories.organizer(slug="rival"), email="r@example.org")
    db.session.commit()
    key = f"t{world.ticket.id}_1"
    before = counts()
    for name in (f"qty_{world.ticket.id}", "email", "phone", "locale", "status", "payment_provider", "subevent",
                 f"{key}-price", f"{key}-name_full_name", f"{key}-attendee_email", "customer", "ia_country",
                 "comment", f"qty_{foreign.id}"):
        data = form(world, 1, status="p", payment_provider="manual", customer=rival.identifier
                    if name == "customer" else "")
        data[name] = value
        response = staff.post(NEW, data)
        assert response.status_code in (303, 422), (name, value, response.status_code)
        if response.status_code == 422:
            assert "<script>alert(1)</script>" not in text(response)
        else:  # accepted as text (a name, a comment) or ignored (another event's product)
            db.session.execute(OrderPayment.__table__.delete())
            db.session.execute(LogEntry.__table__.delete())
            for p in db.session.scalars(select(OrderPosition)):
                db.session.delete(p)
            db.session.flush()
            db.session.execute(Order.__table__.delete())
            db.session.commit()
    assert counts() == before
    assert staff.get(NEW + "/customers?customer_q=" + value[:300], htmx=True).status_code == 200
    assert staff.post(NEW, {"refresh": "tickets", f"qty_{world.ticket.id}": value, "subevent": value}, htmx=True
                      ).status_code == 200


def test_the_customer_of_another_organizer_cannot_be_linked(staff, world):
    rival = factories.customer(factories.organizer(slug="rival"), email="r@example.org")
    db.session.commit()
    before = counts()
    response = staff.post(NEW, form(world, 1, customer=rival.identifier))
    assert response.status_code == 422 and "of this organizer" in feedback(text(response), "customer")
    assert counts() == before


# --- permissions ------------------------------------------------------------------------------------------

def test_view_only_staff_see_no_button_and_get_403(browser, world):
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    assert "New order" not in text(browser.get("/demo/events/conf/orders/"))
    assert browser.get(NEW).status_code == 403
    assert browser.post(NEW, form(world, 1)).status_code == 403
    assert browser.post(NEW, {"refresh": "tickets"}, htmx=True).status_code == 403
    assert browser.get(NEW + "/customers?customer_q=a", htmx=True).status_code == 403
    assert counts()[0] == 0


def test_staff_without_customer_access_cannot_search_or_link_customers(browser, world):
    clerk = factories.user(org=world.organizer, can_view_customers=False, can_change_customers=False)
    cora = factories.customer(world.organizer, email="cora@example.org")
    db.session.commit()
    browser.login(clerk.email)
    assert 'id="customer_q"' not in text(browser.get(NEW))
    assert browser.get(NEW + "/customers?customer_q=cora", htmx=True).status_code == 403
    response = browser.post(NEW, form(world, 1, customer=cora.identifier))
    assert response.status_code == 422 and counts()[0] == 0


def test_other_organizers_and_unknown_events_are_404(staff, world):
    factories.event(factories.organizer(slug="rival"), slug="conf")
    db.session.commit()
    assert staff.get("/rival/events/conf/orders/new").status_code == 404
    assert staff.get("/demo/events/nope/orders/new").status_code == 404
    assert staff.post("/demo/events/nope/orders/new", form(world, 1)).status_code == 404


# --- two staff on the last ticket, over real HTTP -------------------------------------------------------

def test_two_staff_selling_the_last_ticket_at_once(two_staff, world):  # noqa: F811 - fixture
    world.quota.size = 1
    db.session.commit()
    data = form(world, 1, status="p", payment_provider="boxoffice")
    db.session.rollback()
    anna, ben = two_staff
    results = at_once(lambda: anna.post("/demo/events/conf/orders/new", {**data, "csrf_token": anna.csrf}, htmx=False),
                      lambda: ben.post("/demo/events/conf/orders/new", {**data, "csrf_token": ben.csrf}, htmx=False))
    assert sorted(status for status, _ in results) == [200, 422], [s for s, _ in results]
    loser = next(body for status, body in results if status == 422)
    assert "Only 0 tickets left in quota &#39;Regular&#39;, 1 needed." in loser
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Order.id))) == 1


def test_event_series_asks_for_the_date_and_shows_its_availability(staff, world):
    first = factories.subevent(world.event, "Monday", days=5)
    second = factories.subevent(world.event, "Tuesday", days=6)
    factories.quota(world.event, [world.ticket], 5, name="Monday seats", subevent=first)
    factories.quota(world.event, [world.ticket], 0, name="Tuesday seats", subevent=second)
    db.session.commit()
    page = text(staff.get(NEW))
    assert 'id="subevent"' in page and "Choose the date to see what is left for it." in page
    response = staff.post(NEW, {"refresh": "tickets", "subevent": str(second.id), f"qty_{world.ticket.id}": "1"},
                          htmx=True, headers={"HX-Trigger-Name": "subevent"})
    page = text(response)
    assert 'id="new-order-products" hx-swap-oob="true"' in page and "quota Tuesday seats: 0 free" in page
    before = counts()
    response = staff.post(NEW, form(world, 1))
    assert response.status_code == 422 and feedback(text(response), "subevent").endswith(
        "Choose the date of the new ticket.")
    response = staff.post(NEW, form(world, 1, subevent=str(second.id)))
    assert response.status_code == 422 and "Tuesday seats" in text(response)
    assert counts() == before
    assert staff.post(NEW, form(world, 1, subevent=str(first.id))).status_code == 303
    assert only_order().positions[0].subevent_id == first.id
