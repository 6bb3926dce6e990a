"""The back office speaks the staff user's language; the customer's page speaks the order's."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from backoffice.domain.models import LogEntry, OrderStatus, User
from backoffice.extensions import db
from tests import factories

LIST = "/demo/events/conf/orders/"
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def page(response) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    return html


def user(email: str) -> User:
    db.session.rollback()
    return db.session.scalar(select(User).where(User.email == email))


def test_login_page_follows_the_browsers_language(client, world):
    assert "Beim Backoffice anmelden" in page(client.get("/login", headers=GERMAN))
    assert '<html lang="de">' in page(client.get("/login", headers=GERMAN))
    html = page(client.get("/login", headers=ENGLISH))
    assert "Log in to Backoffice" in html and '<html lang="en">' in html


def test_a_language_we_do_not_have_gives_english(client, world):
    assert "Log in to Backoffice" in page(client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}))
    assert "Log in to Backoffice" in page(client.get("/login"))


def test_a_refused_login_says_so_in_german(client, world):
    from tests.conftest import csrf_from
    token = csrf_from(client.get("/login", headers=GERMAN))
    response = client.post("/login", headers=GERMAN, data={"email": world.admin.email, "password": "wrong-password",
                                                           "csrf_token": token})
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.get_data(as_text=True)


def test_the_users_own_choice_beats_the_browser(staff, world):
    world.admin.locale = "de"
    db.session.commit()
    html = page(staff.get(LIST, headers=ENGLISH))
    assert '<html lang="de">' in html
    assert ">Bestellungen</a>" in html and "CSV exportieren" in html


def test_without_a_choice_the_browser_decides(staff, world):
    factories.order(world.event, [world.ticket])
    db.session.commit()
    assert ">Bestellungen</a>" in page(staff.get(LIST, headers=GERMAN))
    html = page(staff.get(LIST, headers=ENGLISH))
    assert ">Orders</a>" in html and "Export CSV" in html


def test_money_and_dates_on_a_german_page(staff, world):
    world.admin.locale = "de"
    item = factories.item(world.event, "Premium", "1234.56")
    order = factories.order(world.event, [item], status=OrderStatus.PAID)
    db.session.commit()
    html = page(staff.get(LIST))
    assert "1.234,56\xa0€" in html
    assert order.datetime.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y %H:%M") in html
    assert ">bezahlt</span>" in html


def test_money_and_dates_on_an_english_page_keep_their_form(staff, world):
    item = factories.item(world.event, "Premium", "1234.56")
    order = factories.order(world.event, [item], status=OrderStatus.PAID)
    db.session.commit()
    html = page(staff.get(LIST, headers=ENGLISH))
    assert "€1,234.56" in html
    assert order.datetime.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M") in html
    assert ">paid</span>" in html


def test_order_page_in_german(staff, world):
    world.admin.locale = "de"
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    html = page(staff.get(f"{LIST}{order.code}/"))
    for text in ("Als bezahlt markieren", "Offener Betrag", "Kontakt und interne Angaben", "Bestellsumme",
                 "Bestellung stornieren …", "50,00\xa0€"):
        assert text in html, text


# --- the account page ---------------------------------------------------------------------------

def test_account_page_offers_the_languages(staff, world):
    html = page(staff.get("/account"))
    assert "Language of the back office" in html
    for label in ("The browser's choice", "English", "Deutsch"):
        assert label in html, label
    assert 'value="" id="language-browser" checked' in html


def test_choosing_deutsch_switches_the_back_office_and_is_in_the_history(staff, world):
    response = staff.post("/account", data={"language": "de"})
    assert response.status_code == 303
    assert user(world.admin.email).locale == "de"
    html = page(staff.get(response.headers["Location"], headers=ENGLISH))
    assert "Ihre Sprache ist gespeichert." in html and "Ihr Konto" in html
    entry = db.session.scalar(select(LogEntry).where(LogEntry.action_type == "user.language_changed"))
    assert entry.object_id == world.admin.id and entry.data == {"old": "browser", "new": "de"}
    assert entry.user_id == world.admin.id


def test_back_to_the_browsers_choice(staff, world):
    world.admin.locale = "de"
    db.session.commit()
    assert staff.post("/account", data={"language": ""}).status_code == 303
    assert user(world.admin.email).locale is None
    assert ">Orders</a>" in page(staff.get(LIST, headers=ENGLISH))


def test_saving_the_same_language_changes_nothing(staff, world):
    staff.post("/account", data={"language": "en"})
    before = db.session.scalar(select(db.func.count(LogEntry.id)))
    response = staff.post("/account", data={"language": "en"})
    assert "Nothing was changed." in page(staff.get(response.headers["Location"]))
    assert db.session.scalar(select(db.func.count(LogEntry.id))) == before


def test_a_language_we_do_not_offer_is_refused(staff, world):
    for value in ("fr", "x" * 5000, "de\x00", "<script>alert(1)</script>"):
        response = staff.post("/account", data={"language": value})
        assert response.status_code in (400, 422), value
        if response.status_code == 422:
            assert "Choose English, Deutsch or the browser" in response.get_data(as_text=True)
    assert user(world.admin.email).locale is None
    assert db.session.scalar(select(LogEntry).where(LogEntry.action_type == "user.language_changed")) is None


def test_the_account_page_needs_a_login(client, world):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_top_bar_links_to_the_account_page(staff, world):
    assert 'href="/account"' in page(staff.get(LIST))


# --- the customer's order page ------------------------------------------------------------------------

def public_url(order) -> str:
    return f"/demo/conf/order/{order.code}/{order.secret}/"


def test_customers_order_page_speaks_the_orders_language(client, world):
    item = factories.item(world.event, "Premium", "1234.56")
    order = factories.order(world.event, [item], locale="de")
    db.session.commit()
    html = page(client.get(public_url(order), headers=ENGLISH))
    assert '<html lang="de">' in html
    assert "Bitte zahlen Sie <strong>1.234,56\xa0€</strong>" in html and ">ausstehend</span>" in html


def test_customers_order_page_stays_english_for_an_english_order(client, world):
    order = factories.order(world.event, [world.ticket], locale="en")
    db.session.commit()
    html = page(client.get(public_url(order), headers=GERMAN))
    assert '<html lang="en">' in html and "Please pay <strong>€50.00</strong>" in html


def test_customers_order_page_falls_back_to_the_events_language(client, world):
    world.event.locale = "de"
    order = factories.order(world.event, [world.ticket], locale="fr")
    db.session.commit()
    html = page(client.get(public_url(order)))
    assert '<html lang="de">' in html and "Bitte zahlen Sie" in html


def test_a_german_staff_user_sees_an_english_customers_page_in_english(staff, world):
    world.admin.locale = "de"
    order = factories.order(world.event, [world.ticket], locale="en", total=Decimal("50.00"))
    db.session.commit()
    assert "Please pay" in page(staff.get(public_url(order)))
