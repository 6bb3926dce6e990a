"""The first start of an empty install and creating more organizers: who is led where, who may
create, refusals that keep what was typed, the switcher in the top bar."""
import html
import re

from sqlalchemy import func, select

from backoffice.domain import staff
from backoffice.domain.models import LogEntry, Organizer, Team
from backoffice.extensions import db
from tests import factories
from tests.conftest import Browser

URL = "/organizers/new"
GOOD = dict(name="Summer Fest e.V.", slug="summer-fest", timezone="Europe/Vienna", currency="CHF",
            default_locale="de", name_scheme="given_family", invoice_issuer_name="Summer Fest Ticketing",
            invoice_issuer_address="Main Street 1\r\n1010 Wien", invoice_issuer_vat_id="ATU12345678")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def first_admin(client) -> Browser:
    user = staff.create_user(email="first@example.org", password=factories.PASSWORD, fullname="First Admin")
    db.session.commit()
    return Browser(client).login(user.email)


def counts() -> tuple:
    db.session.rollback()
    return (db.session.scalar(select(func.count(Organizer.id))), db.session.scalar(select(func.count(Team.id))),
            db.session.scalar(select(func.count(LogEntry.id))))


def test_on_an_empty_database_the_first_login_leads_to_create_your_organizer(client):
    admin = first_admin(client)
    response = admin.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith(URL)
    page = text(admin.get(URL))
    assert "Create your organizer" in page
    assert 'value="Europe/Berlin"' in page and 'value="EUR"' in page and 'value="en"' in page


def test_creating_the_organizer_makes_the_creator_administrator_and_is_in_the_history(client):
    admin = first_admin(client)
    response = admin.post(URL, GOOD)
    assert response.status_code == 303 and response.headers["Location"].endswith("/summer-fest/")
    db.session.rollback()
    organizer = db.session.scalar(select(Organizer).where(Organizer.slug == "summer-fest"))
    assert (organizer.name, organizer.timezone, organizer.currency, organizer.default_locale, organizer.name_scheme) == \
        ("Summer Fest e.V.", "Europe/Vienna", "CHF", "de", "given_family")
    assert organizer.invoice_issuer_address == "Main Street 1\n1010 Wien"
    team = db.session.scalar(select(Team).where(Team.organizer_id == organizer.id))
    assert team.name == "Administrators" and team.all_events
    assert all([team.can_view_orders, team.can_change_orders, team.can_view_customers, team.can_change_customers,
                team.can_manage_events, team.can_manage_team])
    assert [u.email for u in team.members] == ["first@example.org"]
    actions = db.session.scalars(select(LogEntry.action_type).where(LogEntry.organizer_id == organizer.id)
                                 .order_by(LogEntry.id)).all()
    assert actions == ["organizer.created", "organizer.team_created"]
    page = text(admin.get("/summer-fest/"))
    assert "Organizer “Summer Fest e.V.” created" in page and "Create the first event" in page
    # the new organizer is now the only one: the start page goes straight to it
    assert admin.get("/").headers["Location"].endswith("/summer-fest/")


def test_a_refusal_keeps_what_was_typed_and_names_every_field(client):
    admin = first_admin(client)
    before = counts()
    response = admin.post(URL, {**GOOD, "slug": "Summer Fest!", "currency": "EURO", "timezone": "Mars/Base",
                                "default_locale": "klingon", "name": ""})
    assert response.status_code == 422
    page = text(response)
    assert "may contain only lowercase letters" in page and "is not a currency code" in page
    assert "is not a known time zone" in page and "is not a language code" in page and "Enter the name" in page
    assert 'value="Summer Fest!"' in page and 'value="EURO"' in page and "Main Street 1" in page
    assert counts() == before


def test_slugs_are_checked_for_length_reserved_names_and_uniqueness(client):
    admin = first_admin(client)
    for slug, message in (("a", "2 to 50 characters"), ("x" * 51, "2 to 50 characters"),
                          ("Summer", "Use lowercase letters"), ("summer--fest", "no two hyphens"),
                          ("-summer", "at the start and end"), ("login", "used by the back office"),
                          ("<script>", "only lowercase letters")):
        response = admin.post(URL, {**GOOD, "slug": slug})
        assert response.status_code == 422 and message in text(response), slug
    assert admin.post(URL, GOOD).status_code == 303
    response = admin.post(URL, {**GOOD, "name": "Copycat"})
    assert response.status_code == 422 and "uses the short name “summer-fest” already" in text(response)
    assert 'value="Copycat"' in text(response)


def test_who_may_manage_a_team_creates_another_organizer_and_switches_between_them(browser, world):
    admin = browser.login(world.admin.email)
    page = text(admin.get("/demo/"))
    assert 'href="/organizers/new"' in page  # the switcher offers to create one
    assert admin.post(URL, GOOD).status_code == 303
    page = text(admin.get("/demo/"))
    assert 'class="organizer-switcher' in page
    assert 'href="/summer-fest/"' in page and 'href="/demo/"' in page
    assert admin.get("/").status_code == 200 and "Choose an organizer" in text(admin.get("/"))


def test_staff_without_team_management_cannot_create_organizers(browser, world):
    helper = factories.user("helper@example.org", org=world.organizer, can_manage_team=False)
    db.session.commit()
    browser.login(helper.email)
    assert 'href="/organizers/new"' not in text(browser.get("/demo/"))
    before = counts()
    assert browser.get(URL).status_code == 403
    assert browser.post(URL, GOOD).status_code == 403
    assert counts() == before


def test_a_user_without_any_team_on_a_used_install_is_not_led_to_the_first_start(browser, world):
    loner = factories.user("loner@example.org")
    db.session.commit()
    browser.login(loner.email)
    response = browser.get("/")
    assert response.status_code == 200 and "not a member of any organizer" in text(response)
    assert browser.get(URL).status_code == 403


def test_the_switcher_is_plain_text_with_one_organizer_and_no_right_to_create(browser, world):
    helper = factories.user("helper@example.org", org=world.organizer, can_manage_team=False)
    db.session.commit()
    browser.login(helper.email)
    page = text(browser.get("/demo/"))
    assert re.search(r'<span class="navbar-text text-light me-3" id="current-organizer">Demo Organizer</span>', page)
