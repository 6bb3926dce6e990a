"""Mails speak the order's (or customer's) language; money and times are written for it."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import render_template
from sqlalchemy import select

from backoffice import i18n
from backoffice.domain import customers, orders
from backoffice.domain.audit import Actor
from backoffice.domain.models import OrderStatus, OutboxEmail
from backoffice.extensions import db
from tests import factories

MAIL_TEMPLATES = sorted(p.stem for p in (Path(__file__).parents[2] / "templates" / "mail").glob("*.txt"))


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def last_mail() -> OutboxEmail:
    return db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()


def test_a_german_orders_cancellation_mail_is_german(world, actor):
    order = factories.order(world.event, [world.ticket], locale="de")
    orders.cancel_order(order, actor=actor, comment="Die Veranstaltung fällt aus.")
    mail = last_mail()
    assert mail.subject == f"Ihre Bestellung {order.code} für Conference wurde storniert"
    assert mail.body.startswith("Hallo,\n\nIhre Bestellung")
    assert "Die Veranstaltung fällt aus." in mail.body
    assert "Details Ihrer Bestellung:" in mail.body and "Viele Grüße" in mail.body
    assert "Hello" not in mail.body and "canceled" not in mail.body


def test_an_english_orders_cancellation_mail_stays_english(world, actor):
    world.event.locale = "de"  # the event's language matters only for languages we lack
    order = factories.order(world.event, [world.ticket], locale="en")
    orders.cancel_order(order, actor=actor)
    mail = last_mail()
    assert mail.subject == f"Your order {order.code} for Conference has been canceled"
    assert mail.body.startswith(f"Hello,\n\nyour order {order.code} for Conference has been canceled.")
    assert "Best regards," in mail.body


def test_a_language_without_translation_falls_back_to_the_events(world, actor):
    world.event.locale = "de"
    order = factories.order(world.event, [world.ticket], locale="fr")
    orders.cancel_order(order, actor=actor)
    assert last_mail().subject == f"Ihre Bestellung {order.code} für Conference wurde storniert"


def test_without_any_translated_language_the_mail_is_english(world, actor):
    world.event.locale = "fr"
    order = factories.order(world.event, [world.ticket], locale="fr-CA")
    orders.cancel_order(order, actor=actor)
    assert last_mail().subject == f"Your order {order.code} for Conference has been canceled"


def test_a_regional_variant_uses_its_language(world, actor):
    order = factories.order(world.event, [world.ticket], locale="de-AT")
    orders.cancel_order(order, actor=actor)
    assert last_mail().subject.startswith("Ihre Bestellung")


def test_money_and_deadline_in_a_german_mail_are_written_the_german_way(world, actor):
    item = factories.item(world.event, "Premium", "1234.56")
    order = factories.order(world.event, [item], locale="de")
    orders.cancel_order(order, actor=actor, cancellation_fee="1234.56")
    body = last_mail().body
    assert "Es fällt eine Stornogebühr von 1.234,56\xa0€ an." in body
    deadline = order.expires.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"Bitte zahlen Sie bis {deadline:%d.%m.%Y %H:%M} (Europe/Berlin)." in body


def test_money_and_deadline_in_an_english_mail_keep_their_form(world, actor):
    item = factories.item(world.event, "Premium", "1234.56")
    order = factories.order(world.event, [item], locale="en")
    orders.cancel_order(order, actor=actor, cancellation_fee="1234.56")
    body = last_mail().body
    assert "A cancellation fee of €1,234.56 applies." in body
    deadline = order.expires.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"Please pay it by {deadline:%Y-%m-%d %H:%M} (Europe/Berlin)." in body


def test_a_german_order_gets_its_payment_mail_in_german(world, actor):
    order = factories.order(world.event, [world.ticket], locale="de")
    orders.mark_paid(order, actor=actor)
    mail = last_mail()
    assert mail.subject == f"Zahlung für Ihre Bestellung {order.code} erhalten – Conference"
    assert "Insgesamt bezahlt: 50,00\xa0€" in mail.body


def test_customer_mails_speak_the_customers_language(world, actor):
    customer = factories.customer(world.organizer, email="kunde@example.org", name="Karla Kunde", locale="de")
    customers.send_password_link(customer, actor=actor)
    mail = last_mail()
    assert mail.subject == "Ihr Konto bei Demo Organizer"
    assert mail.body.startswith("Hallo Karla Kunde,\n\nfür Sie wurde ein Konto bei Demo Organizer angelegt.")


def test_customer_mails_fall_back_to_the_organizers_language(world, actor):
    world.organizer.default_locale = "de"
    customer = factories.customer(world.organizer, email="client@example.org", locale="it")
    customers.send_password_link(customer, actor=actor)
    assert last_mail().subject == "Ihr Konto bei Demo Organizer"


def test_the_staff_users_page_language_does_not_leak_into_a_mail(app, world, actor):
    order = factories.order(world.event, [world.ticket], locale="en")
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.select_locale() == "de"
        orders.cancel_order(order, actor=actor)
    assert last_mail().subject.startswith("Your order")


# --- every template, every language ---------------------------------------------------------------

def _context() -> dict:
    """Values for every placeholder of every mail template, so no branch lacks one."""
    now = datetime(2026, 5, 4, 12, 30, tzinfo=timezone.utc)
    organizer = SimpleNamespace(name="Demo Organizer")
    event = SimpleNamespace(name="Conference", currency="EUR", timezone="Europe/Berlin", organizer=organizer)
    position = SimpleNamespace(item=SimpleNamespace(name="Regular"), variation=SimpleNamespace(value="Student"),
                               attendee_name="Ada Attendee", subevent=SimpleNamespace(name="Day 1"),
                               seat=SimpleNamespace(name="A-1"), price=Decimal("1234.50"))
    order = SimpleNamespace(code="ABC12", status=OrderStatus.PENDING, require_approval=False, total=Decimal("1234.50"),
                            expires=now + timedelta(days=3), positions=[position])
    totals = SimpleNamespace(open=Decimal("1234.50"), paid=Decimal("10.00"), net_paid=Decimal("10.00"),
                             to_refund=Decimal("5.00"))
    return dict(organizer=organizer, event=event, order=order, position=position, totals=totals,
                customer=SimpleNamespace(name="Karla Kunde"), user=SimpleNamespace(email="new@example.org"),
                actor=SimpleNamespace(name="Alex Admin"), team=SimpleNamespace(name="Support"),
                link="https://example.org/link", url="https://example.org/order", expires=now,
                comment="A comment", fee=Decimal("1000.00"), messages=["Ticket 1: new price"],
                split_code="XYZ99", subject="A subject", body="A body", secret=lambda value: value)


@pytest.mark.parametrize("template", MAIL_TEMPLATES)
@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_mail_template_renders_in_every_language(app, template, language):
    with app.test_request_context(), i18n.language(language):
        text = render_template(f"mail/{template}.txt", **_context())
    assert text.startswith("Subject: ") and len(text.split("\n", 1)[0]) > len("Subject: ")
    assert not re.search(r"%\(\w+\)s|\{\{|\{%|None|Undefined", text), text
    if template != "staff_message":
        assert text.rstrip().endswith("Demo Organizer")
    if language == "de" and template != "staff_message":
        assert not re.search(r"\b(Hello|Your|your|the|and)\b", text), text


def test_english_and_german_mails_differ_for_every_template(app):
    for template in MAIL_TEMPLATES:
        if template == "staff_message":
            continue
        with app.test_request_context():
            with i18n.language("en"):
                english = render_template(f"mail/{template}.txt", **_context())
            with i18n.language("de"):
                german = render_template(f"mail/{template}.txt", **_context())
        assert english.split("\n", 1)[0] != german.split("\n", 1)[0], template
