"""Customer forms in real Chromium: every mistake at once with links to the fields, and a save
from a form opened before a colleague's change is refused in place."""
from playwright.sync_api import expect

from backoffice.domain import customers
from backoffice.domain.audit import Actor
from backoffice.domain.models import Customer
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login
from tests.browser.test_accessibility import axe_page  # noqa: F401  (fixture)


def test_create_form_lists_every_mistake_and_links_to_the_fields(page, live_server, world):
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/customers/new")
    page.get_by_label("Email", exact=True).fill("broken")
    page.get_by_label("Phone", exact=True).fill("12")
    page.get_by_label("Country").select_option(label="Austria")
    page.get_by_role("button", name="Create customer").click()

    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("There are 2 problems")
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(page.locator("#email-error")).to_contain_text("not a valid email address")
    expect(page.locator("#phone-error")).to_contain_text("not a valid phone number")
    expect(page.get_by_label("Country")).to_have_value("AT")  # what was chosen is kept
    summary.get_by_role("link", name="Phone").click()
    expect(page.get_by_label("Phone", exact=True)).to_be_focused()
    db.session.rollback()
    assert db.session.query(Customer).count() == 0


def test_stale_save_shows_the_colleagues_values_and_keeps_mine(page, live_server, world):
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/customers/{anna.identifier}/")
    page.locator("#customer-header").get_by_role("link", name="Edit").click()
    page.get_by_label("City").fill("Berlin")

    db.session.rollback()  # SQLite: a read snapshot older than the server's work cannot write
    customers.update_customer(anna, actor=Actor(user=world.admin), city="Hamburg")  # a colleague, meanwhile
    db.session.commit()

    page.get_by_role("button", name="Save").click()
    profile = page.locator("#customer-profile")
    expect(profile).to_contain_text("This customer changed since you opened the form")
    expect(profile.locator("#stale-values")).to_contain_text("Hamburg")
    expect(page.get_by_label("City")).to_have_value("Berlin")
    page.get_by_role("button", name="Save my values").click()
    expect(profile).to_contain_text("Saved: City.")
    db.session.rollback()
    db.session.refresh(anna)
    assert anna.city == "Berlin"
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_refused_forms_pass_axe(axe_page, live_server, world):
    from tests.browser.test_accessibility import Audit
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    db.session.commit()
    login(axe_page, live_server, world.admin.email)
    audit = Audit(axe_page, live_server)
    axe_page.goto(f"{live_server}/demo/customers/new")
    axe_page.get_by_label("Email", exact=True).fill("broken")
    axe_page.get_by_label("Phone", exact=True).fill("12")
    axe_page.get_by_role("button", name="Create customer").click()
    axe_page.locator("#error-summary").wait_for()
    audit.check("new customer form, refused")
    axe_page.goto(f"{live_server}/demo/customers/{anna.identifier}/")
    axe_page.locator("#customer-header").get_by_role("link", name="Edit").click()
    axe_page.get_by_label("City").fill("Berlin")
    db.session.rollback()
    customers.update_customer(anna, actor=Actor(user=world.admin), city="Hamburg")
    db.session.commit()
    axe_page.get_by_role("button", name="Save").click()
    axe_page.locator("#stale-values").wait_for()
    audit.check("customer edit form, refused as stale")
    audit.assert_clean()
