"""The organizer settings page: who may open it, saving, refusals that keep what was typed and
change nothing, stale saves, and invoices issued afterwards printing the new issuer."""
import html
import re

import pytest
from flask import g
from sqlalchemy import func, select

from backoffice.domain import invoices, organizer_settings as settings
from backoffice.domain.audit import Actor
from backoffice.domain.models import LogEntry, Organizer, OrderStatus
from backoffice.extensions import db
from tests import factories

URL = "/demo/settings/"
GOOD = dict(name="Demo Events GmbH", name_scheme="given_family", timezone="America/New_York",
            currency="CHF", default_locale="de",
            invoice_issuer_name="Demo Events Ticketing GmbH", invoice_issuer_address="Main Street 1\r\n10115 Berlin",
            invoice_issuer_vat_id="DE123456789")


def text(response) -> str:
    return response.get_data(as_text=True)


def seen_of(response) -> str:
    return re.search(r'name="seen" value="([0-9a-f]*)"', text(response)).group(1)


def state() -> tuple:
    """Everything a save could change: the organizer's values and the history."""
    db.session.rollback()
    organizer = db.session.scalar(select(Organizer).where(Organizer.slug == "demo"))
    return settings.current_values(organizer), db.session.scalar(select(func.count(LogEntry.id)))


def post(staff, **changes):
    seen = seen_of(staff.get(URL))
    return staff.post(URL, {**GOOD, "seen": seen, **changes})


# --- access ------------------------------------------------------------------------------------------

def test_the_page_shows_the_current_values_and_the_link_is_in_the_top_bar(staff, world):
    world.organizer.invoice_issuer_vat_id = "DE999"
    db.session.commit()
    response = staff.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert 'value="Demo Organizer"' in page and 'value="Europe/Berlin"' in page and 'value="DE999"' in page
    assert re.search(r'value="full" id="scheme-full"\s+checked', page)
    assert f'href="{URL}"' in text(staff.get("/demo/"))


def test_without_manage_team_the_page_is_403_and_the_link_is_hidden(browser, world):
    user = factories.user("helper@example.org", org=world.organizer, can_manage_team=False)
    db.session.commit()
    browser.login(user.email)
    before = state()
    assert f'href="{URL}"' not in text(browser.get("/demo/"))
    assert browser.get(URL).status_code == 403
    assert browser.post(URL, {**GOOD, "seen": settings.version(world.organizer)}).status_code == 403
    assert state() == before


def test_another_organizers_settings_are_404(staff, world):
    other = factories.organizer(slug="other", name="Other Org")
    factories.user("boss@other.example", org=other)
    db.session.commit()
    before = state()
    assert staff.get("/other/settings/").status_code == 404
    assert staff.post("/other/settings/", {**GOOD, "seen": settings.version(other)}).status_code == 404
    assert db.session.get(Organizer, other.id).name == "Other Org" and state() == before


# --- saving -------------------------------------------------------------------------------------------

def test_saving_redirects_with_a_message_and_is_in_the_history(staff, world):
    response = post(staff)
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    values, _ = state()
    assert values == {**GOOD, "invoice_issuer_address": "Main Street 1\n10115 Berlin"}
    page = text(staff.get(URL))
    assert "Settings saved: name, names of people, time zone, currency, default language, issuer name, issuer address, VAT ID." in page
    assert "Settings changed" in page and "Demo Organizer → Demo Events GmbH" in page  # the history
    assert post(staff).status_code == 303
    assert "Nothing was changed." in text(staff.get(URL))


def test_a_refusal_keeps_what_was_typed_and_shows_each_message_next_to_its_field(staff, world):
    before = state()
    response = post(staff, name="", timezone="Mars/Olympus_Mons", invoice_issuer_vat_id="DE\x1b1",
                    invoice_issuer_name="Typed issuer")
    assert response.status_code == 422
    page = text(response)
    assert state() == before
    assert 'id="settings-name-error">Enter the name.' in page
    assert 'id="settings-timezone-error">“Mars/Olympus_Mons” is not a known time zone' in page
    assert 'id="settings-invoice_issuer_vat_id-error">The VAT ID must not contain' in page
    assert 'value="Mars/Olympus_Mons"' in page and 'value="Typed issuer"' in page
    assert 'Main Street 1\n10115 Berlin</textarea>' in page or 'Main Street 1\r\n10115 Berlin</textarea>' in page
    assert re.search(r'value="given_family" id="scheme-given_family"\s+checked', page)


@pytest.mark.parametrize("field, value, message", [
    ("name", "x" * 10_000, "too long: at most 200 characters"),
    ("invoice_issuer_name", "x" * 10_000, "too long: at most 200 characters"),
    ("invoice_issuer_address", "x" * 10_000, "too long: at most 1,000 characters"),
    ("invoice_issuer_vat_id", "x" * 10_000, "too long: at most 255 characters"),
    ("timezone", "x" * 10_000, "is not a known time zone"),
    ("name", "Demo\x07", "must not contain line breaks or control characters (found U+0007)"),
    ("invoice_issuer_address", "Street\x1b 1", "must not contain control characters (found U+001B)"),
    ("timezone", "Europe/ Berlin", "is not a known time zone"),
    ("timezone", "Not/AZone", "is not a known time zone"),
    ("name_scheme", "x", "Choose how names of people are asked"),
    ("name_scheme", "", "Choose how names of people are asked"),
    ("currency", "Dollars", "is not a currency code: use three letters"),
    ("default_locale", "x" * 10_000, "is not a language code"),
])
def test_hostile_values_are_refused_with_a_message_and_change_nothing(staff, world, field, value, message):
    before = state()
    response = post(staff, **{field: value})
    assert response.status_code == 422
    assert message in html.unescape(text(response))
    assert state() == before


@pytest.mark.parametrize("field", ["name", "invoice_issuer_address", "invoice_issuer_vat_id", "timezone",
                                   "name_scheme", "currency", "default_locale"])
def test_a_nul_character_is_refused_with_a_message_and_changes_nothing(staff, world, field):
    before = state()
    response = post(staff, **{field: "Europe/Berlin\x00"})
    assert response.status_code == 400 and "NUL character" in text(response)
    assert state() == before


def test_markup_is_stored_as_text_and_shown_escaped(staff, world):
    response = post(staff, name="<script>alert(1)</script>", invoice_issuer_address="<b>Street</b>")
    assert response.status_code == 303
    assert state()[0]["name"] == "<script>alert(1)</script>"
    page = text(staff.get(URL))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_stale_save_is_refused_shows_the_saved_values_and_saving_again_applies_the_typed_ones(staff, world):
    seen = seen_of(staff.get(URL))
    world.organizer.name = "Renamed elsewhere"  # someone else saved in the meantime
    db.session.commit()
    forget_loaded_user()
    before = state()
    response = staff.post(URL, {**GOOD, "seen": seen})
    assert response.status_code == 422
    page = text(response)
    assert "changed by someone else" in page and "name “Renamed elsewhere”" in page
    assert 'value="Demo Events GmbH"' in page  # what was typed is kept
    assert state() == before
    assert staff.post(URL, {**GOOD, "seen": seen_of(response)}).status_code == 303
    assert state()[0]["name"] == "Demo Events GmbH"


def test_a_post_without_a_version_is_refused_as_stale(staff, world):
    before = state()
    response = staff.post(URL, GOOD)
    assert response.status_code == 422 and "changed by someone else" in text(response)
    assert state() == before


# --- what it is for ---------------------------------------------------------------------------------

def test_an_invoice_created_afterwards_prints_the_new_issuer(staff, world):
    old_order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID, paid=True)
    old_invoice = invoices.create_invoice(old_order, actor=Actor(user=world.admin))
    db.session.commit()
    assert old_invoice.issuer == "Demo Organizer"
    assert post(staff).status_code == 303
    forget_loaded_user()
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID, paid=True)
    invoice = invoices.create_invoice(order, actor=Actor(user=world.admin))
    db.session.commit()
    assert invoice.issuer == "Demo Events Ticketing GmbH\nMain Street 1\n10115 Berlin\nVAT ID: DE123456789"
    assert old_invoice.issuer == "Demo Organizer"  # issued invoices keep what they said
    # without an issuer name, the organizer's (new) name is printed
    assert post(staff, invoice_issuer_name="", invoice_issuer_address="", invoice_issuer_vat_id="").status_code == 303
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID, paid=True)
    assert invoices.create_invoice(order, actor=Actor(user=world.admin)).issuer == "Demo Events GmbH"


def forget_loaded_user():
    """Test requests share the test's app context (see tests/web/test_teams.py)."""
    g.pop("_login_user", None)
