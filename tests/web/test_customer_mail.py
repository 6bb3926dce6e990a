"""The activation mail over real SMTP (aiosmtpd on 127.0.0.1), and the link in it."""
import re
from datetime import datetime
import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from flask import g
from sqlalchemy import select

from backoffice.domain import customers
from backoffice.domain.models import OutboxEmail, OutboxStatus
from backoffice.extensions import db
from backoffice.mail import wait_for_delivery
from tests import factories
from tests.conftest import csrf_from

LINK = re.compile(r"http://backoffice\.test(/demo/account/set-password/\S+)")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


def free_port() -> int:
    # aiosmtpd cannot bind port 0 itself: ask the system for a free port first
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    yield inbox
    wait_for_delivery(app)
    app.config.update(saved)
    controller.stop()


@pytest.fixture
def anna(world):
    c = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    db.session.commit()
    return c


def link_in(message) -> str:
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def send_link(app, staff, customer):
    response = staff.post(f"/demo/customers/{customer.identifier}/password-link", htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)
    finish_request_and_deliver(app)


def finish_request_and_deliver(app):
    """Test requests share the test's session, which stays open after the response (a real
    request ends its transaction at teardown). End it, so the delivery thread can write its
    result and we then read it."""
    db.session.rollback()
    wait_for_delivery(app)
    db.session.rollback()


def as_visitor(client, method, path, **kwargs):
    """A request of the customer's browser. Test requests share the test's app context, and
    Flask-WTF keeps the CSRF token of the staff browser in `g`: forget it first."""
    g.pop("csrf_token", None)
    return getattr(client, method)(path, **kwargs)


def set_password(client, path, password):
    page = as_visitor(client, "get", path)
    assert page.status_code == 200
    return client.post(path, data={"password": password, "repeat": password, "csrf_token": csrf_from(page)})


def test_activation_mail_arrives_with_a_working_one_time_link(app, staff, smtp, anna):
    send_link(app, staff, anna)
    [message] = smtp.messages
    assert message["To"] == "anna@example.org"
    assert message["Subject"] == "Your account at Demo Organizer"
    path = link_in(message)
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.status == OutboxStatus.SENT and mail.attempts == 1 and mail.sent_at is not None
    # delivered: only the recipient holds the link now
    token = path.rsplit("/", 1)[1]
    assert token not in mail.body and mail.body_to_send is None
    assert "/demo/account/set-password/[hidden" in mail.body
    assert token not in staff.get(f"/demo/outbox/{mail.id}/").get_data(as_text=True)

    visitor = app.test_client()  # the customer: no staff login
    page = as_visitor(visitor, "get", path)
    assert page.status_code == 200 and "anna@example.org" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = set_password(visitor, path, "my-new-password")
    assert done.status_code == 200 and "Your password is set" in done.get_data(as_text=True)
    db.session.refresh(anna)
    assert customers.check_password(anna, "my-new-password") and anna.is_verified

    dead = visitor.get(path)
    assert dead.status_code == 404 and "no longer valid" in dead.get_data(as_text=True)


def test_resend_kills_the_older_link(app, staff, smtp, anna):
    send_link(app, staff, anna)
    send_link(app, staff, anna)
    first, second = (link_in(m) for m in smtp.messages)
    assert first != second
    visitor = app.test_client()
    assert visitor.get(first).status_code == 404
    assert set_password(visitor, second, "my-new-password").status_code == 200


def test_refused_password_keeps_the_link_usable(app, staff, smtp, anna):
    send_link(app, staff, anna)
    path = link_in(smtp.messages[0])
    visitor = app.test_client()
    page = as_visitor(visitor, "get", path)
    response = visitor.post(path, data={"password": "short", "repeat": "short", "csrf_token": csrf_from(page)})
    assert response.status_code == 422 and "at least 8 characters" in response.get_data(as_text=True)
    response = visitor.post(path, data={"password": "long-enough-1", "repeat": "long-enough-2",
                                        "csrf_token": csrf_from(page)})
    assert response.status_code == 422 and "not the same" in response.get_data(as_text=True)
    assert set_password(visitor, path, "long-enough-1").status_code == 200


def test_set_password_without_csrf_is_refused(app, staff, smtp, anna):
    send_link(app, staff, anna)
    path = link_in(smtp.messages[0])
    response = app.test_client().post(path, data={"password": "long-enough-1", "repeat": "long-enough-1"})
    assert response.status_code == 400
    db.session.refresh(anna)
    assert anna.password_hash is None


def test_unknown_link_is_a_friendly_404(app, world):
    response = app.test_client().get("/demo/account/set-password/not-a-token")
    assert response.status_code == 404 and "no longer valid" in response.get_data(as_text=True)
    assert app.test_client().get("/nobody/account/set-password/x").status_code == 404


def test_smtp_failure_keeps_the_change_and_the_mail_for_retry(app, staff, anna):
    port = free_port()  # nothing listens here
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        send_link(app, staff, anna)
    finally:
        app.config.update(saved)
    db.session.refresh(anna)
    assert anna.password_token_hash is not None  # the business change stays
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.status == OutboxStatus.QUEUED and mail.attempts == 1 and "Error" in mail.last_error
    page = staff.get("/demo/outbox/").get_data(as_text=True)
    assert "anna@example.org" in page and "queued" in page and "Error" in page
    # not delivered yet: the link stays stored for the next attempt, but is never displayed
    token = LINK.search(mail.body_to_send).group(1).rsplit("/", 1)[1]
    assert token not in staff.get(f"/demo/outbox/{mail.id}/").get_data(as_text=True)


def test_outbox_retry_sends_a_failed_mail(app, staff, smtp, anna):
    customers.send_password_link(anna, actor=customers.Actor(user=None))
    mail = db.session.scalar(select(OutboxEmail))
    mail.status, mail.attempts, mail.last_error = OutboxStatus.FAILED, 6, "ConnectionRefusedError"
    mail_id = mail.id
    db.session.commit()
    # The commit started a delivery (it finds nothing due now); let it end, and end this session's
    # read transaction, before the request (which shares the session) writes.
    finish_request_and_deliver(app)
    response = staff.post(f"/demo/outbox/{mail_id}/retry", htmx=True)
    assert response.status_code == 200
    assert "queued again" in response.get_data(as_text=True)
    finish_request_and_deliver(app)
    assert len(smtp.messages) == 1
    assert mail.status == OutboxStatus.SENT and mail.last_error is None
    # the undelivered mail kept its link for sending; now it is gone from the outbox, and works
    path = link_in(smtp.messages[0])
    assert path.rsplit("/", 1)[1] not in mail.body and mail.body_to_send is None
    assert set_password(app.test_client(), path, "my-new-password").status_code == 200


def test_two_senders_at_once_send_each_mail_once(app, smtp, world):
    """Two servers (or cron and a request) delivering at the same time never send twice."""
    import threading
    from backoffice.mail import deliver, queue_mail
    for i in range(6):
        queue_mail(to=f"person{i}@example.org", template="customer_password_link",
                   context={"customer": factories.customer(world.organizer), "link": "http://x/", "organizer": world.organizer,
                            "expires": datetime(2030, 1, 1)},
                   organizer_id=world.organizer.id)
    db.session.info.pop("outbox_queued", None)  # no delivery thread: the two senders below race
    db.session.commit()
    results = []

    def sender():
        with app.app_context():
            try:
                results.append(deliver())
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(results) == 6
    assert sorted(m["To"] for m in smtp.messages) == sorted(f"person{i}@example.org" for i in range(6))
    db.session.rollback()
    assert {m.status for m in db.session.scalars(select(OutboxEmail))} == {OutboxStatus.SENT}
