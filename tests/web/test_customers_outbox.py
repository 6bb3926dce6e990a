"""The outbox pages: mails kept or sent for an organizer, one mail's text, retry."""
from sqlalchemy import select

from backoffice.domain import customers
from backoffice.domain.audit import Actor
from backoffice.domain.models import OutboxEmail, OutboxStatus
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
