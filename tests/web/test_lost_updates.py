"""Two staff members editing the same record: a save from a form opened before the other one's
change is refused (422, their values shown, ours kept), never silently overwriting it."""
from __future__ import annotations

import re

from backoffice.domain import customers
from backoffice.domain.audit import history
from backoffice.domain.models import Customer, Order
from backoffice.extensions import db
from tests import factories
from tests.web.test_orders_concurrency import Session, at_once


def customer_form(**changes):
    data = {"email": "anna@example.org", "phone": "+4915112345678", "name_full_name": "Anna Smith", "locale": "en",
            "marketing_consent": ""}
    data.update(changes)
    return data


def test_two_staff_saving_the_same_customer_at_once(live_server, world):
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith", phone="+4915112345678")
    colleague = factories.user(org=world.organizer)
    db.session.commit()
    path = f"/demo/customers/{anna.identifier}/edit"
    seen = anna.last_modified.isoformat()
    first, second = Session(live_server, world.admin.email), Session(live_server, colleague.email)
    db.session.rollback()  # SQLite: no read snapshot older than the saves below

    results = at_once(lambda: first.post(path, customer_form(city="Berlin", seen=seen)),
                      lambda: second.post(path, customer_form(city="Hamburg", seen=seen)))

    assert sorted(status for status, _ in results) == [200, 422], results
    winner = 0 if results[0][0] == 200 else 1
    loser_page = results[1 - winner][1]
    assert "This customer changed since you opened the form" in loser_page
    kept = ("Berlin", "Hamburg")[1 - winner]
    assert f'value="{kept}"' in loser_page  # the loser's typing survives in the form
    db.session.expire_all()
    saved = db.session.get(Customer, anna.id)
    assert saved.city == ("Berlin", "Hamburg")[winner]
    assert [e.action_type for e in history(saved)] == ["customer.changed"]


def _two_staff_tag_at_once(live_server, world, first_tag: str, second_tag: str) -> tuple[Customer, list]:
    """Anna's tags, after the admin and a colleague each add one at the same moment; their answers."""
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    colleague = factories.user(org=world.organizer)
    db.session.commit()
    path = f"/demo/customers/{anna.identifier}/tags"
    first, second = Session(live_server, world.admin.email), Session(live_server, colleague.email)
    db.session.rollback()
    results = at_once(lambda: first.post(path, {"tag": first_tag}), lambda: second.post(path, {"tag": second_tag}))
    db.session.expire_all()
    return db.session.get(Customer, anna.id), results


def test_two_staff_adding_tags_at_once_keep_both(live_server, world):
    # tag actions name one tag to add or remove, never the whole list: nothing to overwrite
    anna, results = _two_staff_tag_at_once(live_server, world, "vip", "press")
    assert [status for status, _ in results] == [200, 200], results
    assert anna.tags == ["press", "vip"]


def test_two_staff_adding_the_same_tag_at_once_get_it_once(live_server, world):
    # the second waits for the first's lock, then must see the tag the first added
    anna, results = _two_staff_tag_at_once(live_server, world, "vip", "VIP")
    assert sorted(status for status, _ in results) == [200, 422], results
    refused = max(results)[1]
    assert "already has the tag" in refused, refused
    assert [t.lower() for t in anna.tags] == ["vip"]


def test_stale_invoice_address_is_refused_and_nothing_changes(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    page = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    form = page.split('id="form-invoice-address"')[1]
    opened = re.search(r'name="seen" value="([^"]+)"', form).group(1)
    base = f"/demo/events/conf/orders/{order.code}/"
    first = staff.post(base + "invoice_address", {"seen": opened, "company": "Initech", "city": "Austin"}, htmx=True)
    assert first.status_code == 200

    response = staff.post(base + "invoice_address", {"seen": opened, "company": "Typed Corp", "city": "Typed City"},
                          htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "changed by someone else" in html
    assert "Initech" in html and "Austin" in html  # the address as it is saved now
    assert 'value="Typed Corp"' in html and 'value="Typed City"' in html  # and what was typed
    db.session.expire_all()
    address = db.session.get(Order, order.id).invoice_address
    assert (address.company, address.city) == ("Initech", "Austin")


def test_stale_customer_save_changes_nothing_in_the_database(staff, world):
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith", phone="+4915112345678")
    db.session.commit()
    path = f"/demo/customers/{anna.identifier}/edit"
    opened = anna.last_modified.isoformat()
    assert staff.post(path, customer_form(notes="from the phone call", seen=opened), htmx=True).status_code == 200
    db.session.expire_all()
    before = {c.key: getattr(db.session.get(Customer, anna.id), c.key) for c in Customer.__table__.columns}
    response = staff.post(path, customer_form(email="new@example.org", notes="older notes", seen=opened), htmx=True)
    assert response.status_code == 422
    db.session.expire_all()
    after = {c.key: getattr(db.session.get(Customer, anna.id), c.key) for c in Customer.__table__.columns}
    assert after == before
    assert customers.get_customer(world.organizer, anna.identifier).notes == "from the phone call"
