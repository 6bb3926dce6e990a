"""What an action says, in a real browser: one message per action, replacing the one before, and the
focus left on the panel the action changed."""
from playwright.sync_api import expect

from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login


def success_messages(page) -> list[str]:
    return page.locator(".alert-success, .row-message").all_inner_texts()


def test_customer_page_shows_one_message_per_action(page, live_server, world):
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Example")
    factories.order(world.event, [world.ticket], customer=anna)
    identifier = anna.identifier
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/customers/{identifier}/")

    page.get_by_label("New tag").fill("vip")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#customer-tags")).to_contain_text("Tag “vip” added.")
    assert success_messages(page) == ["Tag “vip” added."]

    page.get_by_role("button", name="Block account").click()
    expect(page.locator("#customer-header")).to_contain_text("Account blocked")
    shown = success_messages(page)
    assert len(shown) == 1 and shown[0].startswith("Account blocked")  # the tag's message is gone
    page.wait_for_function("Boolean(document.activeElement && document.activeElement.closest('#customer-header'))")

    page.get_by_role("link", name="Anonymize…").click()
    page.get_by_role("button", name="Yes, anonymize").click()
    expect(page.get_by_role("heading", name="Anonymized customer")).to_be_visible()
    # once, not once per panel of the page
    assert success_messages(page) == ["Customer anonymized: personal data erased, orders detached."]
    page.wait_for_function("Boolean(document.activeElement && document.activeElement.closest('#customer-detail'))")
    assert page.console_errors == []
