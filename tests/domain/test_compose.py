"""Emails staff write: placeholders filled in safely, limits, refusals that queue nothing, and the
mail in the outbox with its order or customer, plus the history entry."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain import compose, customers, outbox
from backoffice.domain.audit import Actor
from backoffice.domain.errors import Invalid
from backoffice.domain.models import InvoiceAddress, LogEntry, OutboxEmail
from backoffice.extensions import db
from tests import factories


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


@pytest.fixture
def order(world):
    o = factories.order(world.event, [world.ticket, world.ticket], email="buyer@example.org")
    db.session.commit()
    return o


@pytest.fixture
def anna(world):
    c = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    db.session.commit()
    return c


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(OutboxEmail.id))), db.session.scalar(select(func.count(LogEntry.id))))


# --- placeholders --------------------------------------------------------------------------------

def test_order_placeholders_are_filled_in(order):
    subject, body = compose.render("Order {code} for {event}",
                                   "Hello {name},\nyour link: {url}\nTotal {total}, open {open_amount}.", order)
    assert subject == f"Order {order.code} for Conference"
    assert body == (f"Hello Attendee 1,\nyour link: http://backoffice.test/demo/conf/order/{order.code}/"
                    f"{order.secret}/\nTotal €100.00, open €100.00.")


def test_order_name_prefers_the_invoice_address_then_falls_back_to_customer(world, order):
    db.session.add(InvoiceAddress(order=order, name_parts={"_scheme": "full", "full_name": "Invoice Person"},
                                  name_cached="Invoice Person"))
    db.session.flush()
    assert compose.order_values(order)["name"] == "Invoice Person"
    empty = factories.order(world.event, [], email="x@example.org")
    assert compose.order_values(empty)["name"] == "customer"


def test_open_amount_never_goes_below_zero(world):
    paid = factories.order(world.event, [world.ticket], status="p")
    assert compose.order_values(paid)["open_amount"] == "€0.00"


def test_customer_placeholders_and_no_login_token(anna):
    anna.password_token_hash = "secret-hash"
    subject, body = compose.render("Hi {name}", "{email} / {identifier}", anna)
    assert subject == "Hi Anna Smith"
    assert body == f"anna@example.org / {anna.identifier}"
    assert set(compose.customer_values(anna)) == {"name", "email", "identifier"}
    assert "secret-hash" not in str(compose.customer_values(anna))


def test_braces_are_escaped_by_doubling(order):
    _, body = compose.render("x", "Use {{code}} literally, or {code}.", order)
    assert body == f"Use {{code}} literally, or {order.code}."


def test_unknown_placeholder_is_named_with_the_ones_to_use(order):
    with pytest.raises(Invalid) as e:
        compose.render("Hello {foo}", "text", order)
    assert e.value.field == "subject"
    assert "Unknown placeholder {foo} in the subject: use {code}, {event}, {name}, {url}, {total}, {open_amount}." \
        in e.value.message


def test_order_placeholders_do_not_exist_for_customers(anna):
    with pytest.raises(Invalid) as e:
        compose.render("x", "Your order {code}", anna)
    assert e.value.field == "text" and "{code}" in e.value.message and "{identifier}" in e.value.message


@pytest.mark.parametrize("template", ["{code.__class__}", "{code.__class__.__mro__}", "{code[0]}", "{total:>999999}",
                                      "{code!r}", "{code:{total}}", "{}", "{0}", "{ code }"])
def test_attribute_access_indexes_and_format_specs_are_refused(order, template):
    with pytest.raises(Invalid) as e:
        compose.render("Subject", f"Text {template}", order)
    assert e.value.field == "text" and e.value.code in ("placeholder_invalid", "placeholder_unknown")
    assert "placeholder" in e.value.message.lower()


@pytest.mark.parametrize("template", ["a { b", "a } b", "{code"])
def test_lone_braces_are_refused_with_a_hint(order, template):
    with pytest.raises(Invalid) as e:
        compose.render(template, "text", order)
    assert e.value.field == "subject" and "Write {{ or }}" in e.value.message


# --- limits --------------------------------------------------------------------------------------

@pytest.mark.parametrize("subject", ["Hello\r\nBcc: x@example.org", "Hello\nthere", "a\rb", "tab\there",
                                     "line\u2028separator", "nul\x00"])
def test_subject_must_be_a_single_line(order, subject):
    with pytest.raises(Invalid) as e:
        compose.render(subject, "text", order)
    assert e.value.field == "subject" and e.value.code == "subject_not_one_line"


def test_values_filled_into_the_subject_lose_their_line_breaks(world):
    ev = factories.event(world.organizer, name="Evil\r\nBcc: x@example.org")
    o = factories.order(ev, [], email="x@example.org")
    subject, _ = compose.render("{event}", "text", o)
    assert "\n" not in subject and "\r" not in subject and subject == "Evil  Bcc: x@example.org"


def test_limits_and_required_fields(order):
    compose.render("s" * 200, "t" * 10_000, order)
    for subject, text, field in (("s" * 201, "t", "subject"), ("s", "t" * 10_001, "text"), ("", "t", "subject"),
                                 ("  ", "t", "subject"), ("s", "", "text"), ("s", " \n ", "text"),
                                 ("s", "nul\x00byte", "text"), ("s", "bell\x07", "text"), (None, "t", "subject")):
        with pytest.raises(Invalid) as e:
            compose.render(subject, text, order)
        assert e.value.field == field, (subject[:10] if subject else subject, text[:10])


def test_both_fields_are_reported_at_once(order):
    with pytest.raises(Invalid) as e:
        compose.render("", "{nope}", order)
    assert set(e.value.errors) == {"subject", "text"}


def test_subject_too_long_once_filled_in(world):
    ev = factories.event(world.organizer, name="E" * 200)
    o = factories.order(ev, [], email="x@example.org")
    with pytest.raises(Invalid) as e:
        compose.render("About {event}", "text", o)
    assert "With the placeholders filled in" in e.value.message


def test_line_endings_are_normalized(order):
    _, body = compose.render("s", "one\r\ntwo\rthree\n", order)
    assert body == "one\ntwo\nthree"


# --- sending -------------------------------------------------------------------------------------

def test_send_to_order_queues_a_mail_about_the_order_and_logs_the_subject(order, actor):
    before = order.last_modified
    mail = compose.send_to_order(order, actor=actor, subject="Your order {code}", text="Hello <b>{name}</b> & co")
    db.session.commit()
    assert (mail.to, mail.subject) == ("buyer@example.org", f"Your order {order.code}")
    assert mail.body == "Hello <b>Attendee 1</b> & co\n"  # text, as typed: no escaping in a text mail
    assert (mail.object_type, mail.object_id, mail.event_id, mail.template) == \
        ("order", order.id, order.event_id, "staff_message")
    entry = db.session.scalars(select(LogEntry).where(LogEntry.action_type == "order.email_sent")).one()
    assert entry.object_id == order.id
    assert entry.data == {"to": "buyer@example.org", "subject": f"Your order {order.code}"}
    assert "Hello" not in str(entry.data)  # the body stays in the outbox
    db.session.refresh(order)
    assert order.last_modified == before  # a mail is not a change of the order
    assert outbox.object_mails([actor.user.teams[0]], order.event.organizer, order) == [mail]


def test_send_to_order_to_another_address(order, actor):
    mail = compose.send_to_order(order, actor=actor, subject="s", text="t", to=" Other@Example.org ")
    assert mail.to == "Other@example.org"


@pytest.mark.parametrize("to", ["not an address", "a@example.org, b@example.org", "a@example.org\r\nBcc: b@x.org",
                                "x" * 300 + "@example.org"])
def test_send_to_order_refuses_bad_addresses_and_queues_nothing(order, actor, to):
    before = counts()
    with pytest.raises(Invalid) as e:
        compose.send_to_order(order, actor=actor, subject="s", text="t", to=to)
    assert e.value.field == "to"
    db.session.rollback()
    assert counts() == before


def test_send_to_order_without_email_is_refused(world, actor):
    o = factories.order(world.event, [world.ticket], email=None)
    db.session.commit()
    before = counts()
    with pytest.raises(Invalid) as e:
        compose.send_to_order(o, actor=actor, subject="s", text="t")
    assert e.value.code == "no_email" and o.code in e.value.message
    db.session.rollback()
    assert counts() == before


def test_refused_template_queues_nothing(order, actor):
    before = counts()
    for subject, text in (("{code.__class__}", "t"), ("s", "{total:>999999}"), ("a\nb", "t"), ("s", "")):
        with pytest.raises(Invalid):
            compose.send_to_order(order, actor=actor, subject=subject, text=text)
        db.session.rollback()
    assert counts() == before


def test_send_to_customer(anna, actor):
    mail = compose.send_to_customer(anna, actor=actor, subject="Hello {name}", text="Your id {identifier}")
    db.session.commit()
    assert (mail.to, mail.subject) == ("anna@example.org", "Hello Anna Smith")
    assert mail.body == f"Your id {anna.identifier}\n"
    assert (mail.object_type, mail.object_id, mail.event_id) == ("customer", anna.id, None)
    entry = db.session.scalars(select(LogEntry).where(LogEntry.action_type == "customer.email_sent")).one()
    assert entry.object_id == anna.id and entry.data == {"to": "anna@example.org", "subject": "Hello Anna Smith"}


def test_anonymized_customer_is_refused_and_nothing_queued(anna, actor):
    customers.anonymize_customer(anna, actor=actor)
    db.session.commit()
    before = counts()
    with pytest.raises(Invalid) as e:
        compose.send_to_customer(anna, actor=actor, subject="s", text="t")
    assert e.value.code == "customer_anonymized"
    db.session.rollback()
    assert counts() == before


def test_anonymizing_erases_what_staff_wrote_to_the_customer(anna, actor):
    compose.send_to_customer(anna, actor=actor, subject="Hello {name}", text="Dear {name}, your account {email}.")
    db.session.commit()
    customers.anonymize_customer(anna, actor=actor)
    db.session.commit()
    mail = db.session.scalars(select(OutboxEmail).where(OutboxEmail.object_id == anna.id)).one()
    assert "Anna" not in mail.subject and "Anna" not in mail.body and "anna@" not in mail.to
    entry = db.session.scalars(select(LogEntry).where(LogEntry.action_type == "customer.email_sent")).one()
    assert "Anna" not in str(entry.data) and "anna@" not in str(entry.data)


def test_customer_without_email_is_refused(world, actor):
    c = factories.customer(world.organizer, "x@example.org")
    c.email = None
    db.session.commit()
    with pytest.raises(Invalid) as e:
        compose.send_to_customer(c, actor=actor, subject="s", text="t")
    assert e.value.code == "no_email"


def test_preview_matches_what_is_sent(order, actor):
    preview = compose.preview_order(order, subject="Order {code}", text="Pay {open_amount}")
    mail = compose.send_to_order(order, actor=actor, subject="Order {code}", text="Pay {open_amount}")
    assert (preview.to, preview.subject, preview.body + "\n") == (mail.to, mail.subject, mail.body)
    assert preview.body == f"Pay €{Decimal('100.00')}"
