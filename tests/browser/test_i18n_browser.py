"""A staff user switches the back office to Deutsch on their account page, sees the order list in
German (words, money and dates), and switches back to the browser's language."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from backoffice.domain.models import OrderStatus, User
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login
from tests.browser.test_accessibility import Audit, axe_page  # noqa: F401  (axe_page is a fixture)


def test_switch_to_deutsch_and_read_the_order_list(page, chromium, live_server, world):
    item = factories.item(world.event, "Premium", "1234.56")
    order = factories.order(world.event, [item], status=OrderStatus.PAID)
    db.session.commit()
    created = order.datetime.astimezone(ZoneInfo("Europe/Berlin"))

    login(page, live_server, world.admin.email)
    page.locator("#current-user").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_label("The browser's choice")).to_be_checked()
    page.get_by_label("Deutsch").check()
    page.get_by_role("button", name="Save").click()

    expect(page.locator("#messages")).to_contain_text("Ihre Sprache ist gespeichert.")
    expect(page.get_by_role("heading", name="Ihr Konto")).to_be_visible()
    expect(page.get_by_label("Deutsch")).to_be_checked()
    assert page.locator("html").get_attribute("lang") == "de"
    db.session.rollback()
    assert db.session.scalar(select(User.locale).where(User.id == world.admin.id)) == "de"

    page.goto(f"{live_server}/demo/")
    page.get_by_role("link", name="Bestellungen", exact=True).click()
    expect(page.get_by_role("heading", name="Bestellungen", exact=True)).to_be_visible()
    row = page.locator(f"#order-row-{order.code}")
    expect(row).to_contain_text("1.234,56\xa0€")
    expect(row).to_contain_text("bezahlt")
    expect(row).to_contain_text(created.strftime("%d.%m.%Y %H:%M"))
    expect(page.get_by_role("link", name="CSV exportieren")).to_be_visible()
    expect(page.get_by_label("Suche", exact=True)).to_be_visible()

    # a filter swap answers in German too
    page.get_by_label("Suche", exact=True).fill("nobody-matches-this")
    expect(page.locator("#orders-empty")).to_contain_text("Keine Bestellungen passen zu")

    page.locator("#current-user").click()
    page.get_by_label("Wie im Browser eingestellt").check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.goto(f"{live_server}/demo/")
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.locator(f"#order-row-{order.code}")).to_contain_text("€1,234.56")
    assert page.console_errors == []


def test_german_pages_pass_axe(axe_page, live_server, world):
    world.admin.locale = "de"
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    login(axe_page, live_server, world.admin.email)
    audit = Audit(axe_page, live_server)
    audit.visit("account", "/account")
    audit.visit("order list", "/demo/events/conf/orders/")
    audit.visit("order", f"/demo/events/conf/orders/{order.code}/")
    audit.visit("customer's order page", f"/demo/conf/order/{order.code}/{order.secret}/")
    audit.assert_clean()

