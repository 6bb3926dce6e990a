"""axe-core on every main page, with the quick search and the confirmations open: no critical and
no serious violation.

axe is injected as a script tag, which our Content-Security-Policy forbids (it allows only our own
scripts), so these pages are opened in a browser context that bypasses the policy. That the pages
themselves run under the policy without a violation is tested in test_frame.py.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from backoffice.domain import customers
from backoffice.domain.audit import Actor
from backoffice.domain.models import InvoiceAddress, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login

# axe-core 4.14.1 from the npm registry (`npm pack axe-core@4.14.1`, package/axe.min.js), MPL-2.0.
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
FAILING_IMPACTS = ("critical", "serious")


@pytest.fixture
def axe_page(chromium):
    # reduced motion: Bootstrap then drops its button transitions, so that axe never measures the
    # contrast of a colour halfway between hover and rest
    context = chromium.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True,
                                   reduced_motion="reduce")
    page = context.new_page()
    yield page
    context.close()


def violations(page) -> list[str]:
    """The critical and serious violations on the page as it is now, one readable line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = []
    for v in result["violations"]:
        if v["impact"] not in FAILING_IMPACTS:
            continue
        for node in v["nodes"]:
            found.append(f"{v['impact']} {v['id']}: {v['help']} at {node['target']}\n"
                         f"    {node['html'][:200]}\n    {node.get('failureSummary', '')}")
    return found


class Audit:
    """Collects the violations of every page visited, so that one run reports all of them."""

    def __init__(self, page, base_url: str):
        self.page, self.base_url, self.found = page, base_url, {}

    def check(self, name: str) -> None:
        problems = violations(self.page)
        if problems:
            self.found[name] = problems

    def visit(self, name: str, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response.status == 200, (name, path, response.status)
        self.check(name)

    def assert_clean(self) -> None:
        report = "\n".join(f"{name}:\n  " + "\n  ".join(problems) for name, problems in self.found.items())
        assert not self.found, "axe found critical or serious violations:\n" + report


def test_order_pages(axe_page, live_server, world):
    approval = factories.order(world.event, [world.ticket], require_approval=True, email="first@example.org")
    paid = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID, email="paid@example.org")
    db.session.add(InvoiceAddress(order=paid, name_cached="Ada Lovelace", company="Analytical Engines",
                                  street="Main Street 1\nBackyard", zipcode="10115", city="Berlin", country="DE"))
    pending = factories.order(world.event, [world.ticket], email="pending@example.org")
    factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED)
    factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED)
    codes = approval.code, paid.code, pending.code
    db.session.commit()
    login(axe_page, live_server, world.admin.email)
    audit = Audit(axe_page, live_server)
    audit.visit("organizer", "/demo/")
    audit.visit("event", "/demo/events/conf/")
    audit.visit("event order list", "/demo/events/conf/orders/")
    audit.visit("organizer-wide order list", "/demo/orders/")
    audit.visit("approval queue", "/demo/events/conf/orders/?require_approval=true")
    row = axe_page.locator(f"#order-row-{codes[0]}")
    row.get_by_text("Deny…").click()
    row.get_by_role("button", name="Keep order").wait_for()
    audit.check("approval queue, deny confirmation open in a row")

    audit.visit("paid order", f"/demo/events/conf/orders/{codes[1]}/")
    audit.visit("pending order", f"/demo/events/conf/orders/{codes[2]}/")
    axe_page.get_by_text("More actions").click()
    axe_page.get_by_text("Cancel order…").click()
    axe_page.locator("#cancel-consequences").wait_for()
    audit.check("pending order, cancel confirmation open")

    audit.visit("order awaiting approval", f"/demo/events/conf/orders/{codes[0]}/")
    axe_page.get_by_text("More actions").click()
    axe_page.get_by_text("Deny…").click()
    axe_page.locator("#deny-consequences").wait_for()
    audit.check("order awaiting approval, deny confirmation open")
    audit.assert_clean()


def test_customer_pages(axe_page, live_server, world):
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith", phone="+4915112345678",
                              company="ACME GmbH")
    customers.add_tag(anna, tag="vip", actor=Actor(user=world.admin))
    factories.customer(world.organizer, "bob@example.com", "Bob Jones")
    factories.order(world.event, [world.ticket], customer=anna, status=OrderStatus.PAID)
    identifier = anna.identifier
    db.session.commit()
    login(axe_page, live_server, world.admin.email)
    audit = Audit(axe_page, live_server)
    audit.visit("customer list", "/demo/customers/")
    audit.visit("customer list, filtered", "/demo/customers/?q=smith")
    audit.visit("new customer form", "/demo/customers/new")
    audit.visit("customer detail", f"/demo/customers/{identifier}/")
    axe_page.get_by_role("link", name="Anonymize…").click()
    axe_page.get_by_role("link", name="Keep the customer").wait_for()
    audit.check("customer detail, anonymize confirmation open")
    audit.visit("customer edit form", f"/demo/customers/{identifier}/edit")
    audit.assert_clean()


def test_outbox_pages(axe_page, live_server, world):
    anna = factories.customer(world.organizer, "anna@example.org", "Anna Smith")
    mail = customers.send_password_link(anna, actor=Actor(user=world.admin))
    db.session.commit()
    mail_id = mail.id
    login(axe_page, live_server, world.admin.email)
    audit = Audit(axe_page, live_server)
    audit.visit("outbox list", "/demo/outbox/")
    audit.visit("outbox mail", f"/demo/outbox/{mail_id}/")
    audit.assert_clean()


def test_quick_search_open_and_search_page(axe_page, live_server, world):
    factories.customer(world.organizer, "grace@example.org", "Grace Hopper")
    factories.order(world.event, [world.ticket], email="grace.hopper@example.org")
    db.session.commit()
    login(axe_page, live_server, world.admin.email)
    audit = Audit(axe_page, live_server)
    axe_page.get_by_label("Quick search").fill("grace")
    axe_page.locator("#quicksearch-results [role=option]").first.wait_for()
    audit.check("quick search results open")
    axe_page.keyboard.press("ArrowDown")
    assert axe_page.get_attribute("#quicksearch-input", "aria-activedescendant")
    audit.check("quick search, first result highlighted")
    axe_page.get_by_label("Quick search").fill("zzzz-nothing")
    axe_page.locator("#quicksearch-results").get_by_text("Nothing found").wait_for()
    audit.check("quick search, nothing found")
    audit.visit("search page", "/search?q=grace")
    audit.assert_clean()


def test_login_page(axe_page, live_server, world):
    audit = Audit(axe_page, live_server)
    audit.visit("login", "/login")
    axe_page.get_by_label("Email").fill(world.admin.email)
    axe_page.get_by_label("Password").fill("wrong password")
    axe_page.get_by_role("button", name="Log in").click()
    axe_page.locator(".alert, .invalid-feedback").first.wait_for()
    audit.check("login refused")
    audit.assert_clean()
