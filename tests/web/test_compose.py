"""Writing an email from the order and customer pages: the form, its preview (text, never HTML),
sending it into the outbox and the page's mail list and history, permissions, hostile values."""
from __future__ import annotations

import html as html_lib

import pytest
from sqlalchemy import func, select

from backoffice.domain import customers
from backoffice.domain.audit import Actor
from backoffice.domain.models import LogEntry, Order, OutboxEmail
from backoffice.extensions import db
from tests import factories


@pytest.fixture
def order(world):
    o = factories.order(world.event, [world.ticket], email="buyer@example.org")
    db.session.commit()
    return o


@pytest.fixture
def anna(world):
    c = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    db.session.commit()
    return c


def order_url(order: Order) -> str:
    return f"/demo/events/conf/orders/{order.code}/email"


def customer_url(customer) -> str:
    return f"/demo/customers/{customer.identifier}/email"


def counts() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count(OutboxEmail.id))), db.session.scalar(select(func.count(LogEntry.id))))


def section(html: str, start: str) -> str:
    return html.split(start, 1)[1].split("</section>", 1)[0]


# --- the form ------------------------------------------------------------------------------------

def test_order_page_has_the_send_email_box_with_placeholder_help(staff, order):
    html = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    box = html.split('id="compose-order"', 1)[1].split('id="object-mails"', 1)[0]
    assert "Send email…" in box and f'action="{order_url(order)}"' in box
    for name in ("{code}", "{event}", "{name}", "{url}", "{total}", "{open_amount}"):
        assert name in box
    assert order.code in box and "€50.00" in box and "buyer@example.org" in box
    # the box sits above the mail list, outside the region every action refreshes
    assert html.index('id="compose-order"') < html.index('id="object-mails"')


def test_customer_page_has_the_send_email_box(staff, anna):
    html = staff.get(f"/demo/customers/{anna.identifier}/").get_data(as_text=True)
    box = html.split('id="compose-customer"', 1)[1].split('id="object-mails"', 1)[0]
    assert f'action="{customer_url(anna)}"' in box and "{identifier}" in box and "To <strong>anna@example.org" in box


def test_compose_page_works_without_javascript(staff, order, anna):
    for url, label in ((order_url(order), f"Order {order.code}"), (customer_url(anna), "Customer Anna Smith")):
        response = staff.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "<h1 class=\"h4\">Send email</h1>" in page and label in page and 'name="subject"' in page
        assert 'id="object-mails"' in page and 'id="history"' in page


def test_no_box_for_anonymized_customers_and_the_page_says_why(staff, world, anna):
    customers.anonymize_customer(anna, actor=Actor(user=world.admin))
    db.session.commit()
    assert 'id="compose-customer"' not in staff.get(f"/demo/customers/{anna.identifier}/").get_data(as_text=True)
    page = staff.get(customer_url(anna)).get_data(as_text=True)
    assert "anonymized" in page and 'name="subject"' not in page


# --- preview -------------------------------------------------------------------------------------

def test_preview_shows_the_filled_in_mail_as_text(staff, order):
    before = counts()
    response = staff.post(order_url(order), {"action": "preview", "subject": "Order {code} <script>x</script>",
                                             "text": "Hi {name}\n<script>alert(1)</script>\nLink: {url}"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    shown = html_lib.unescape(body)
    assert f"Order {order.code} <script>x</script>" in shown and "Hi Attendee 1" in shown
    assert f"/demo/conf/order/{order.code}/{order.secret}/" in shown and "buyer@example.org" in shown
    assert counts() == before  # a preview sends nothing and writes no history


def test_preview_names_the_unknown_placeholder(staff, order):
    response = staff.post(order_url(order), {"action": "preview", "subject": "Hi {foo}", "text": "t"}, htmx=True)
    assert response.status_code == 422
    assert "Unknown placeholder {foo}" in html_lib.unescape(response.get_data(as_text=True))


def test_preview_without_javascript_keeps_what_was_typed(staff, order):
    response = staff.post(order_url(order), {"action": "preview", "subject": "About {code}", "text": "Dear {name}"})
    page = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert f"About {order.code}" in page and "Dear Attendee 1" in page  # the preview
    assert 'value="About {code}"' in page and ">Dear {name}</textarea>" in page  # the form


# --- sending -------------------------------------------------------------------------------------

def test_send_queues_the_mail_and_refreshes_mails_and_history(staff, order):
    response = staff.post(order_url(order), {"action": "send", "subject": "Your order {code}",
                                             "text": "Hello {name}, pay {open_amount}."}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    mail = db.session.scalars(select(OutboxEmail)).one()
    assert (mail.to, mail.subject, mail.object_type, mail.object_id) == \
        ("buyer@example.org", f"Your order {order.code}", "order", order.id)
    assert mail.body == "Hello Attendee 1, pay €50.00.\n"
    assert body.lstrip().startswith('<div id="compose-order"')
    assert "queued for buyer@example.org" in body and f"/demo/outbox/{mail.id}/" in body
    mails = section(body, '<section id="object-mails"')
    assert 'hx-swap-oob="true"' in mails and f"Your order {order.code}" in mails
    assert 'hx-swap-oob="outerHTML:#history"' in body and "Email sent" in body
    entry = db.session.scalars(select(LogEntry).where(LogEntry.action_type == "order.email_sent")).one()
    assert entry.user_id is not None and entry.data["subject"] == f"Your order {order.code}"
    # and the order page lists it
    page = staff.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert f'href="/demo/outbox/{mail.id}/"' in section(page, 'id="object-mails"')


def test_send_to_another_address(staff, order):
    staff.post(order_url(order), {"action": "send", "to": "other@example.org", "subject": "s", "text": "t"}, htmx=True)
    assert db.session.scalars(select(OutboxEmail.to)).one() == "other@example.org"


def test_send_without_javascript_redirects_to_the_order_with_a_message(staff, order):
    response = staff.post(order_url(order), {"action": "send", "subject": "Hello", "text": "Text"})
    assert response.status_code == 303 and response.location.endswith(f"/demo/events/conf/orders/{order.code}/")
    page = staff.get(response.location).get_data(as_text=True)
    assert "queued for buyer@example.org" in html_lib.unescape(page)


def test_send_to_a_customer_shows_up_in_the_customers_mails(staff, anna):
    response = staff.post(customer_url(anna), {"action": "send", "subject": "Hello {name}", "text": "Id {identifier}"},
                          htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    mail = db.session.scalars(select(OutboxEmail)).one()
    assert (mail.object_type, mail.object_id, mail.subject) == ("customer", anna.id, "Hello Anna Smith")
    assert 'id="customer-history" hx-swap-oob="true"' in body and "Email sent" in body
    page = staff.get(f"/demo/customers/{anna.identifier}/").get_data(as_text=True)
    assert f'href="/demo/outbox/{mail.id}/"' in section(page, 'id="object-mails"')
    assert db.session.scalars(select(LogEntry.action_type).where(LogEntry.object_type == "customer")).all() \
        == ["customer.email_sent"]


def test_refused_send_keeps_the_text_names_the_field_and_changes_nothing(staff, order):
    before = counts()
    response = staff.post(order_url(order), {"action": "send", "subject": "Line\r\nBcc: x@example.org",
                                             "text": "Keep {code.__class__} this"}, htmx=True)
    body = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "single line" in body and "plain names" in body
    assert "Keep {code.__class__} this</textarea>" in body and "<details open" in body
    assert counts() == before


def test_refused_send_without_javascript_shows_the_page_again(staff, order):
    before = counts()
    response = staff.post(order_url(order), {"action": "send", "to": "nobody", "subject": "s", "text": "t"})
    assert response.status_code == 422
    assert "is not a valid email address" in html_lib.unescape(response.get_data(as_text=True))
    assert counts() == before


def test_anonymized_customer_cannot_be_written_to(staff, world, anna):
    customers.anonymize_customer(anna, actor=Actor(user=world.admin))
    db.session.commit()
    before = counts()
    response = staff.post(customer_url(anna), {"action": "send", "subject": "s", "text": "t"}, htmx=True)
    assert response.status_code == 422 and "anonymized" in response.get_data(as_text=True)
    assert counts() == before


# --- permissions ---------------------------------------------------------------------------------

def test_viewers_may_not_write(browser, world, order, anna):
    viewer = factories.user("viewer@example.org", org=world.organizer, can_change_orders=False,
                            can_change_customers=False)
    db.session.commit()
    browser.login(viewer.email)
    assert 'id="compose-order"' not in browser.get(f"/demo/events/conf/orders/{order.code}/").get_data(as_text=True)
    assert 'id="compose-customer"' not in browser.get(f"/demo/customers/{anna.identifier}/").get_data(as_text=True)
    assert browser.get(order_url(order)).status_code == 403
    assert browser.post(order_url(order), {"action": "send", "subject": "s", "text": "t"}).status_code == 403
    assert browser.post(customer_url(anna), {"action": "send", "subject": "s", "text": "t"}).status_code == 403
    assert counts()[0] == 0


def test_a_team_of_another_event_gets_404_as_on_the_order_page(browser, world, order):
    other = factories.event(world.organizer, slug="other", name="Other")
    elsewhere = factories.user("elsewhere@example.org", org=world.organizer, all_events=False, events=[other])
    db.session.commit()
    browser.login(elsewhere.email)
    assert browser.get(f"/demo/events/conf/orders/{order.code}/").status_code == 404
    assert browser.get(order_url(order)).status_code == 404  # as the order page itself
    assert browser.post(order_url(order), {"action": "send", "subject": "s", "text": "t"}).status_code == 404
    assert counts()[0] == 0


def test_other_organizers_and_events_objects_are_404(staff, world, order):
    stranger_org = factories.organizer(slug="stranger")
    stranger_event = factories.event(stranger_org, slug="conf")
    stranger_order = factories.order(stranger_event, [], email="x@example.org")
    stranger = factories.customer(stranger_org, "s@example.org")
    second = factories.event(world.organizer, slug="second")
    db.session.commit()
    assert staff.get(f"/stranger/events/conf/orders/{stranger_order.code}/email").status_code == 404
    assert staff.get(f"/demo/events/conf/orders/{stranger_order.code}/email").status_code == 404
    assert staff.get(f"/demo/events/second/orders/{order.code}/email").status_code == 404
    assert staff.get(f"/demo/customers/{stranger.identifier}/email").status_code == 404
    assert staff.post(f"/demo/customers/{stranger.identifier}/email",
                      {"action": "send", "subject": "s", "text": "t"}).status_code == 404
    assert second and counts()[0] == 0


def test_without_csrf_nothing_is_sent(staff, order):
    response = staff.post(order_url(order), {"action": "send", "subject": "s", "text": "t"}, csrf=False)
    assert response.status_code == 400 and counts()[0] == 0


# --- hostile values ------------------------------------------------------------------------------

REFUSED = {
    "to": ["nul\x00byte", "x" * 20_000, "9" * 30, "1e999", "a@example.org\r\nBcc: b@example.org",
           "a@example.org, b@example.org", "<script>@example.org"],
    "subject": ["nul\x00byte", "x" * 201, "{" * 5001, "}", "{x", "Hi\r\nBcc: b@example.org", "{code.__class__}",
                "{total:>999999}", "{code!r}", "{0}"],
    "text": ["nul\x00byte", "x" * 10_001, "{" * 5001, "{x" * 3000, "{code.__init__.__globals__}", "{url:%}",
             "bell\x07", ""],
    "action": ["nul\x00byte", "x" * 5000, "9" * 30, "delete", "<script>"],
}
#: odd, but plain text: sent as typed (a number or a brace is what someone may well write)
ODD_TEXT = ["9" * 30, "1e999", "NaN", "{{" * 2500, "<script>alert(1)</script>", "é" * 3000]


@pytest.mark.parametrize("field", sorted(REFUSED))
def test_hostile_values_answer_4xx_and_change_nothing(staff, order, anna, field):
    before = counts()
    urls = [order_url(order)] + ([customer_url(anna)] if field != "to" else [])
    for value in REFUSED[field]:
        for url in urls:
            for htmx in (False, True):
                data = {"action": "send", "subject": "Hello", "text": "Text", field: value}
                response = staff.post(url, data, htmx=htmx)
                assert 400 <= response.status_code < 500, (field, value[:20], url, htmx, response.status_code)
    assert counts() == before


def test_odd_but_plain_text_is_sent_as_typed(staff, order):
    for value in ODD_TEXT:
        response = staff.post(order_url(order), {"action": "send", "subject": value[:200], "text": value}, htmx=True)
        assert response.status_code == 200, value[:20]
    bodies = [m.body for m in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))]
    assert bodies == [v.replace("{{", "{") + "\n" for v in ODD_TEXT]
