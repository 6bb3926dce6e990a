"""The quick search's "Show all N" links and "Did you mean …?" suggestions in a real browser:
reachable with the arrow keys as options of the box's listbox, and clean for axe; the lists'
"Did you mean" links run the search."""
from __future__ import annotations

from backoffice.domain.models import InvoiceAddress
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login
from tests.browser.test_accessibility import Audit, axe_page  # noqa: F401 (fixture)


def test_show_all_link_and_suggestion_are_listbox_options(axe_page, live_server, world):  # noqa: F811
    for i in range(9):
        factories.customer(world.organizer, f"grace{i}@example.org", f"Grace Hopper {i}")
    factories.customer(world.organizer, "moritz@example.org", "Moritz Böhm")
    order = factories.order(world.event, [world.ticket], email="ayse@example.org")
    db.session.add(InvoiceAddress(order=order, name_cached="Ayşe Öztürk"))
    db.session.commit()
    login(axe_page, live_server, world.admin.email)
    audit = Audit(axe_page, live_server)
    box = axe_page.get_by_label("Quick search")
    box.fill("grace")
    show_all = axe_page.locator("#quicksearch-results [role=option]", has_text="Show all 9 customers")
    show_all.wait_for()
    for _ in range(9):
        axe_page.keyboard.press("ArrowDown")
    assert axe_page.get_attribute("#quicksearch-input", "aria-activedescendant") == show_all.get_attribute("id")
    audit.check("quick search, show all highlighted")
    box.fill("Moritz Bohn")
    suggestion = axe_page.locator("#quicksearch-results [role=option]", has_text="Did you mean Moritz Böhm?")
    suggestion.wait_for()
    audit.check("quick search, did you mean")
    axe_page.keyboard.press("ArrowDown")
    axe_page.keyboard.press("Enter")
    axe_page.wait_for_url("**/search?q=Moritz*")
    assert "moritz@example.org" in axe_page.content()
    audit.check("search page after the suggestion")
    audit.visit("search page, show all", "/search?q=grace")
    audit.visit("customer list, did you mean", "/demo/customers/?q=Moritz+Bohn")
    axe_page.get_by_role("link", name="Moritz Böhm").click()
    axe_page.locator("#customer-results", has_text="moritz@example.org").wait_for()
    audit.visit("order list, did you mean", "/demo/orders/?search=Oztruk")
    axe_page.get_by_role("link", name="Ayşe Öztürk").click()
    axe_page.locator("#order-table", has_text="ayse@example.org").wait_for()
    audit.assert_clean()
