"""The outbox pages: mails kept or sent for an organizer, one mail's text, retry; who sees which
mail; search; the mails of an order or customer."""
import pytest
from sqlalchemy import select

from backoffice.domain import customers
from backoffice.domain.audit import Actor
from backoffice.domain.models import Customer, OutboxEmail, OutboxStatus, Team, User
from backoffice.extensions import db
from tests import factories


def queue_link(world, email="anna@example.org", name="Anna Smith"):
    c = factories.customer(world.organizer, email, name)
    mail = customers.send_password_link(c, actor=Actor(user=world.admin))
    db.session.commit()
    return mail


def test_outbox_lists_kept_mails(staff, world):
    mail = queue_link(world)
    html = staff.get("/demo/outbox/").get_data(as_text=True)
    assert "anna@example.org" in html and "Your account at Demo Organizer" in html and "kept" in html
    assert "Mail delivery is switched off" in html
    assert f"/demo/outbox/{mail.id}/" in html


def test_outbox_filters_by_status_and_ignores_unknown_ones(staff, world):
    queue_link(world)
    assert "anna@example.org" not in staff.get("/demo/outbox/?status=sent").get_data(as_text=True)
    html = staff.get("/demo/outbox/?status=bogus").get_data(as_text=True)
    assert "Ignored the filter" in html and "anna@example.org" in html


def test_mail_detail_shows_the_body_escaped(staff, world):
    mail = queue_link(world, name="<script>alert(1)</script>")
    html = staff.get(f"/demo/outbox/{mail.id}/").get_data(as_text=True)
    assert "/demo/account/set-password/" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_retry_is_refused_while_delivery_is_off(staff, world):
    mail = queue_link(world)
    response = staff.post(f"/demo/outbox/{mail.id}/retry", htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="mail-status"') and "switched off" in html
    db.session.refresh(mail)
    assert mail.status == OutboxStatus.KEPT


def test_sent_mail_cannot_be_retried(staff, world):
    mail = queue_link(world)
    mail.status = OutboxStatus.SENT
    db.session.commit()
    response = staff.post(f"/demo/outbox/{mail.id}/retry", htmx=True)
    assert response.status_code == 422 and "sent already" in response.get_data(as_text=True)


def test_other_organizers_mails_are_404(staff, world):
    other = factories.organizer(slug="other")
    c = factories.customer(other, "x@example.org")
    mail = customers.send_password_link(c, actor=Actor())
    db.session.commit()
    assert staff.get(f"/demo/outbox/{mail.id}/").status_code == 404
    assert staff.post(f"/demo/outbox/{mail.id}/retry", htmx=True).status_code == 404
    assert staff.get("/other/outbox/").status_code == 404
    assert staff.get("/demo/outbox/abc/").status_code == 404


def test_retry_without_csrf_is_refused(staff, world):
    mail = queue_link(world)
    assert staff.post(f"/demo/outbox/{mail.id}/retry", htmx=True, csrf=False).status_code == 400


def test_outbox_needs_a_view_permission(browser, world):
    nobody = factories.user("nobody@example.org", org=world.organizer, can_view_orders=False,
                            can_change_orders=False, can_view_customers=False, can_change_customers=False)
    db.session.commit()
    browser.login(nobody.email)
    assert browser.get("/demo/outbox/").status_code == 403
    assert "Outbox" not in browser.get("/demo/").get_data(as_text=True)


def test_nav_links_to_the_outbox(staff, world):
    assert 'href="/demo/outbox/"' in staff.get("/demo/customers/").get_data(as_text=True)


def test_outbox_pages_of_fifty(staff, world):
    for i in range(51):
        queue_link(world, email=f"p{i}@example.org", name=None)
    html = staff.get("/demo/outbox/").get_data(as_text=True)
    assert "1–50 of 51 mails" in html
    assert db.session.query(OutboxEmail).count() == 51
    assert db.session.scalar(select(OutboxEmail.status).limit(1)) == OutboxStatus.KEPT


# --- who sees which mail --------------------------------------------------------------------

def order_mail(world, event=None, email="buyer@example.org"):
    from backoffice.domain import orders
    order = factories.order(event or world.event, [world.ticket] if event is None else None, email=email)
    orders.resend_link(order, actor=Actor(user=world.admin))
    db.session.commit()
    return order, db.session.scalars(select(OutboxEmail).where(OutboxEmail.object_id == order.id,
                                                               OutboxEmail.object_type == "order")).one()


@pytest.fixture
def mails_of_two_events(world):
    """An order mail in the world's event, one in a second event, one about a customer."""
    second = factories.event(world.organizer, slug="second", name="Second event")
    factories.item(second, "Second ticket", "10.00")
    db.session.commit()
    _, here = order_mail(world, email="anne@example.org")
    other_order, there = order_mail(world, event=second, email="bert@example.org")
    customer_mail = queue_link(world, email="cust@example.org")
    return world.event, second, here, there, customer_mail, other_order


def login_as(browser, world, email, **team):
    user = factories.user(email, org=world.organizer, **team)
    db.session.commit()
    return browser.login(user.email)


def test_team_of_one_event_sees_only_that_events_order_mails(browser, world, mails_of_two_events):
    event, second, here, there, customer_mail, other_order = mails_of_two_events
    login_as(browser, world, "limited@example.org", all_events=False, events=[event], can_view_customers=False,
             can_change_customers=False)
    html = browser.get("/demo/outbox/").get_data(as_text=True)
    assert "anne@example.org" in html
    assert "bert@example.org" not in html and other_order.secret not in html
    assert "cust@example.org" not in html
    assert "1–1 of 1 mails" in html
    assert browser.get(f"/demo/outbox/{here.id}/").status_code == 200
    assert browser.get(f"/demo/outbox/{there.id}/").status_code == 404
    assert browser.get(f"/demo/outbox/{customer_mail.id}/").status_code == 404
    assert browser.post(f"/demo/outbox/{there.id}/retry", htmx=True).status_code == 404


def test_customers_only_team_sees_only_customer_mails(browser, world, mails_of_two_events):
    _, _, here, there, customer_mail, _ = mails_of_two_events
    login_as(browser, world, "cs@example.org", can_view_orders=False, can_change_orders=False)
    html = browser.get("/demo/outbox/").get_data(as_text=True)
    assert "cust@example.org" in html and "anne@example.org" not in html and "bert@example.org" not in html
    assert browser.get(f"/demo/outbox/{customer_mail.id}/").status_code == 200
    for mail in (here, there):
        assert browser.get(f"/demo/outbox/{mail.id}/").status_code == 404
        assert browser.post(f"/demo/outbox/{mail.id}/retry", htmx=True).status_code == 404


def test_orders_only_team_sees_no_customer_mail(browser, world, mails_of_two_events):
    _, _, here, there, customer_mail, _ = mails_of_two_events
    login_as(browser, world, "box@example.org", can_view_customers=False, can_change_customers=False)
    html = browser.get("/demo/outbox/").get_data(as_text=True)
    assert "anne@example.org" in html and "bert@example.org" in html and "cust@example.org" not in html
    assert browser.get(f"/demo/outbox/{customer_mail.id}/").status_code == 404
    assert browser.post(f"/demo/outbox/{customer_mail.id}/retry", htmx=True).status_code == 404


def test_retry_needs_the_change_permission_of_the_mails_object(browser, world, mails_of_two_events):
    event, _, here, there, customer_mail, _ = mails_of_two_events
    # may change orders of the first event only, may view (not change) customers
    login_as(browser, world, "mixed@example.org", can_change_orders=False, can_change_customers=False)
    team = Team(organizer=world.organizer, name="Changers", all_events=False, can_view_orders=True,
                          can_change_orders=True, can_view_customers=False, can_change_customers=False)
    team.limit_events = [event]
    team.members.append(db.session.scalars(select(User).where(User.email == "mixed@example.org")).one())
    db.session.add(team)
    db.session.commit()
    for mail in (there, customer_mail):
        page = browser.get(f"/demo/outbox/{mail.id}/").get_data(as_text=True)
        assert "Send now" not in page and "Retry" not in page
        assert browser.post(f"/demo/outbox/{mail.id}/retry", htmx=True).status_code == 403
        db.session.refresh(mail)
        assert mail.status == OutboxStatus.KEPT
    assert "Send now" in browser.get(f"/demo/outbox/{here.id}/").get_data(as_text=True)
    # allowed: the retry gets past the permission check to the delivery check
    response = browser.post(f"/demo/outbox/{here.id}/retry", htmx=True)
    assert response.status_code == 422 and "switched off" in response.get_data(as_text=True)


def test_read_only_team_gets_403_on_retry(browser, world, mails_of_two_events):
    _, _, here, _, customer_mail, _ = mails_of_two_events
    login_as(browser, world, "reader@example.org", can_change_orders=False, can_change_customers=False)
    for mail in (here, customer_mail):
        assert browser.get(f"/demo/outbox/{mail.id}/").status_code == 200
        assert browser.post(f"/demo/outbox/{mail.id}/retry", htmx=True).status_code == 403


# --- password links are never shown -------------------------------------------------------------

def test_outbox_never_shows_a_usable_password_link(browser, world):
    mail = queue_link(world)
    token = mail.body_to_send.split("/set-password/")[1].split()[0]
    assert len(token) > 20
    login_as(browser, world, "reader@example.org", can_change_orders=False, can_change_customers=False)
    listing = browser.get("/demo/outbox/").get_data(as_text=True)
    page = browser.get(f"/demo/outbox/{mail.id}/").get_data(as_text=True)
    customer = browser.get(f"/demo/customers/{mail_customer(mail).identifier}/").get_data(as_text=True)
    for html in (listing, page, customer):
        assert token not in html
    assert "/demo/account/set-password/[hidden: only the recipient has this link]" in page
    assert "only the recipient has it" in page
    assert token not in mail.body


def mail_customer(mail):
    return db.session.get(Customer, mail.object_id)


# --- search, links to the object, mails on the object's page -----------------------------------

def test_outbox_search_by_recipient_and_subject(staff, world, mails_of_two_events):
    html = staff.get("/demo/outbox/?q=BERT@example").get_data(as_text=True)
    assert "bert@example.org" in html and "anne@example.org" not in html and "cust@example.org" not in html
    html = staff.get("/demo/outbox/?q=account").get_data(as_text=True)  # "Your account at …"
    assert "cust@example.org" in html and "anne@example.org" not in html
    html = staff.get("/demo/outbox/?q=nobody-has-this").get_data(as_text=True)
    assert "No mails matching" in html and "Show all mails" in html


def test_outbox_search_keeps_the_status_filter(staff, world, mails_of_two_events):
    html = staff.get("/demo/outbox/?q=cust&status=sent").get_data(as_text=True)
    assert "cust@example.org" not in html.split("</form>", 1)[1]
    assert 'name="status" value="sent"' in html


def test_each_mail_links_to_its_order_or_customer(staff, world, mails_of_two_events):
    _, second, here, there, customer_mail, other_order = mails_of_two_events
    html = staff.get("/demo/outbox/").get_data(as_text=True)
    assert f'href="/demo/events/second/orders/{other_order.code}/"' in html
    customer = mail_customer(customer_mail)
    assert f'href="/demo/customers/{customer.identifier}/"' in html
    page = staff.get(f"/demo/outbox/{customer_mail.id}/").get_data(as_text=True)
    assert f'href="/demo/customers/{customer.identifier}/"' in page


def test_order_page_lists_its_mails(staff, world, mails_of_two_events):
    _, _, here, there, _, other_order = mails_of_two_events
    html = staff.get(f"/demo/events/second/orders/{other_order.code}/").get_data(as_text=True)
    section = html.split('id="object-mails"', 1)[1].split("</section>", 1)[0]
    assert f'href="/demo/outbox/{there.id}/"' in section and f"/demo/outbox/{here.id}/" not in section
    assert "bert@example.org" in section


def test_customer_page_lists_its_mails(staff, world, mails_of_two_events):
    _, _, here, _, customer_mail, _ = mails_of_two_events
    customer = mail_customer(customer_mail)
    html = staff.get(f"/demo/customers/{customer.identifier}/").get_data(as_text=True)
    section = html.split('id="object-mails"', 1)[1].split("</section>", 1)[0]
    assert f'href="/demo/outbox/{customer_mail.id}/"' in section and f"/demo/outbox/{here.id}/" not in section
    assert "Your account at Demo Organizer" in section


def test_a_mail_sent_by_an_order_action_appears_in_the_pages_mails_at_once(staff, world):
    order = factories.order(world.event, [world.ticket], email="resend@example.org")
    db.session.commit()
    response = staff.post(f"/demo/events/conf/orders/{order.code}/resend_link", {}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    section = html.split('<section id="object-mails"', 1)[1].split("</section>", 1)[0]
    assert 'hx-swap-oob="true"' in section and "resend@example.org" in section


def test_a_password_link_sent_from_the_customer_page_appears_in_its_mails_at_once(staff, world):
    customer = factories.customer(world.organizer, "link@example.org", "Link Person")
    db.session.commit()
    response = staff.post(f"/demo/customers/{customer.identifier}/password-link", {}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    section = html.split('<section id="object-mails"', 1)[1].split("</section>", 1)[0]
    assert 'hx-swap-oob="true"' in section and "link@example.org" in section
