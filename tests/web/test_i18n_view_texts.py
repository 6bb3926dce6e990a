"""Texts that views write in Python (messages after a save, labels of setup forms, permissions,
statuses of the event overview, filter chips) follow the staff user's language like the
templates do; an English user keeps the English texts."""
from __future__ import annotations

import html

from backoffice.domain.models import OrderStatus
from backoffice.extensions import db
from tests import factories

EVENT = "/demo/events/conf"
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def page(response) -> str:
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text[:2000]
    return html.unescape(text)


def german(world) -> None:
    world.admin.locale = "de"
    db.session.commit()


def test_the_message_after_a_save_is_german(staff, world):
    german(world)
    response = staff.post(EVENT + "/tax-rules/", {"name": "Reduced", "rate": "7", "price_includes_tax": "on"},
                          follow_redirects=True)
    assert "Steuerregel „Reduced“ angelegt." in page(response)


def test_the_message_after_a_save_stays_english_for_an_english_user(staff, world):
    response = staff.post(EVENT + "/tax-rules/", {"name": "Reduced", "rate": "7", "price_includes_tax": "on"},
                          follow_redirects=True, headers=ENGLISH)
    assert "Tax rule 'Reduced' created." in page(response)


def test_setup_pages_label_their_fields_in_german(staff, world):
    german(world)
    settings = page(staff.get("/demo/settings/"))
    for label in ("Zeitzone", "Währung", "Name des Rechnungsstellers", "Namen von Personen"):
        assert label in settings, label
    form = page(staff.get(EVENT + "/settings"))
    for label in ("Zahlungsfrist in Tagen", "Zahlungsarten", "Abendkasse", "Eine Terminreihe"):
        assert label in form, label
    assert "Payment term in days" not in form and "Box office" not in form


def test_the_name_scheme_choice_is_german(staff, world):
    german(world)
    settings = page(staff.get("/demo/settings/"))
    assert "Ein Feld: der vollständige Name" in settings
    assert "Zwei Felder: Vorname und Nachname" in settings
    assert "One field: the full name" not in settings


def test_permissions_on_the_team_page_are_german(staff, world):
    german(world)
    team_page = page(staff.get("/demo/team/"))
    for label in ("Bestellungen ansehen", "Kunden ändern", "das Team verwalten", "alle Veranstaltungen"):
        assert label in team_page, label
    assert "view orders" not in team_page
    assert "Bestellungen ändern" in page(staff.get("/demo/team/new"))


def test_the_event_overview_names_the_statuses_in_german(staff, world):
    german(world)
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    overview = page(staff.get(EVENT + "/"))
    for status in ("Ausstehend", "Bezahlt", "Abgelaufen", "Storniert"):
        assert f'<th scope="row" class="fw-normal">{status}</th>' in overview, status


def test_the_event_overview_stays_english_for_an_english_user(staff, world):
    overview = page(staff.get(EVENT + "/", headers=ENGLISH))
    assert '<th scope="row" class="fw-normal">Paid</th>' in overview


def test_filter_chips_of_the_order_list_are_german(staff, world):
    german(world)
    orders = page(staff.get(EVENT + "/orders/?status=p&status=n&testmode=false&payment_provider=boxoffice"))
    assert "Status: bezahlt, ausstehend" in orders
    assert "Testmodus: nein" in orders
    assert "Zahlungsart: Abendkasse" in orders


def test_filter_chips_stay_english_for_an_english_user(staff, world):
    orders = page(staff.get(EVENT + "/orders/?status=p&testmode=false", headers=ENGLISH))
    assert "Status: paid" in orders and "Test mode: no" in orders
