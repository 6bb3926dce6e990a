"""The order's edit forms: every mistake shown at once, phone numbers as staff type them,
countries chosen by name."""
from __future__ import annotations

import re

from backoffice.domain.models import Order
from backoffice.extensions import db
from tests import factories


def url(order: Order, action: str = "") -> str:
    return f"/demo/events/conf/orders/{order.code}/{action}"


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def details(order: Order, **changes) -> dict:
    data = {"seen": order.last_modified.isoformat(), "email": order.email or "", "phone": order.phone or "",
            "locale": order.locale, "comment": "", "checkin_text": "", "expires": order.expires.date().isoformat()}
    data.update(changes)
    return data


def test_details_form_shows_every_error_at_once(staff, world):
    order = factories.order(world.event, [world.ticket], email="buyer@example.org")
    db.session.commit()
    comment_before = order.comment
    response = staff.post(url(order, "fields"), details(order, email="broken", phone="12", expires="2020-02-31",
                                                        comment="typed text"), htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    summary = html.split("error-summary")[1].split("</div>")[0]
    assert "There are 3 problems" in summary
    for field_id, message in (("f-email", "not a valid email address"), ("f-phone", "not a valid phone number"),
                              ("f-expires", "payment deadline")):
        assert re.search(rf'href="#{field_id}">[^<]*{message}', summary), field_id
        assert re.search(rf'id="{field_id}"[^>]*>\s*<div class="invalid-feedback d-block">[^<]*{message}', html), field_id
    assert "typed text</textarea>" in html
    order = fresh(order)
    assert (order.email, order.phone, order.comment) == ("buyer@example.org", None, comment_before)


def test_details_form_reads_national_phone_numbers(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    response = staff.post(url(order, "fields"), details(order, phone="0170 1234567"), htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert fresh(order).phone == "+491701234567"


def test_invoice_address_form_shows_every_error_at_once(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    response = staff.post(url(order, "invoice_address"), {
        "seen": order.last_modified.isoformat(), "company": "", "is_business": "on", "zipcode": "1" * 31,
        "city": "x" * 256, "name_full_name": "Typed Name"}, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "There are 3 problems" in html
    assert 'href="#ia-zipcode">The zipcode may be at most 30 characters long.' in html
    assert 'href="#ia-city">The city may be at most 255 characters long.' in html
    assert 'href="#ia-company">A business address needs a company name.' in html
    assert 'is-invalid" id="ia-city"' in html
    assert 'value="Typed Name"' in html
    assert fresh(order).invoice_address is None


def test_invoice_address_country_is_chosen_by_name(staff, world):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    page = staff.get(url(order)).get_data(as_text=True)
    assert '<select class="form-select form-select-sm" id="ia-country" name="country">' in page
    assert '<option value="AT" >Austria</option>' in page
    response = staff.post(url(order, "invoice_address"), {"seen": order.last_modified.isoformat(),
                                                          "name_full_name": "Peter", "country": "AT"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "· Austria" in html
    assert '<option value="AT" selected>Austria</option>' in html
    assert fresh(order).invoice_address.country == "AT"
