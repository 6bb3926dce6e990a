"""Layout in a real browser: no page scrolls sideways on a 390 px phone (wide tables scroll inside
their own box), and on a 1440 px screen the order lists are dense, one line per row."""
from __future__ import annotations

import pytest

from backoffice.domain import orders
from backoffice.domain.audit import Actor
from backoffice.domain.models import InvoiceAddress, OutboxEmail, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# Every text of the element, each as its own piece: how many lines does each piece take?
TEXT_LINES = """element => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const pieces = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim() || !node.parentElement.checkVisibility()) continue;  // a closed confirmation
    const range = document.createRange();
    range.selectNodeContents(node);
    // one rect per line (an ellipsis may add a rect on the same line)
    const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size) pieces.push([node.textContent.trim(), lines.size]);
  }
  return pieces;
}"""


def busy_organizer(world):
    """Long names, emails and event names, a customer, fees, orders awaiting approval and a mail:
    what makes tables wide."""
    festival = factories.event(world.organizer, slug="festival", name="Summer Festival of Very Long Names",
                               currency="EUR", timezone="Europe/Berlin")
    ticket = factories.item(festival, "Weekend pass", "120.00")
    customer = factories.customer(world.organizer, "maximiliane.mustermann-schmidt@example.org",
                                  "Maximiliane Mustermann-Schmidt", phone="+4915112345678", company="ACME Europe GmbH")
    made = []
    for i in range(10):
        event, item = (world.event, world.ticket) if i % 2 else (festival, ticket)
        order = factories.order(event, [item, item], require_approval=i < 6, customer=customer,
                                status=OrderStatus.PENDING if i < 8 else OrderStatus.PAID,
                                email=f"maximiliane.mustermann-schmidt.{i}@example.org",
                                fees=[("payment", "2.50")] if i == 3 else None)
        db.session.add(InvoiceAddress(order=order, name_cached="Maximiliane Mustermann-Schmidt",
                                      company="ACME Europe GmbH"))
        made.append(order)
    orders.approve_order(made[5], actor=Actor(user=world.admin), send_email=True)
    db.session.commit()
    return customer, made


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_no_page_scrolls_sideways_on_a_phone(page, live_server, world):
    customer, made = busy_organizer(world)
    mail_id = db.session.query(OutboxEmail.id).first()[0]
    pending = made[5]  # approved: pending payment, with the full action menu
    page.set_viewport_size(PHONE)
    login(page, live_server, world.admin.email)
    pages = {
        "organizer's orders": "/demo/orders/",
        "approval queue": "/demo/orders/?status=n&require_approval=true",
        "event's orders": "/demo/events/conf/orders/",
        "customers": "/demo/customers/",
        "customer": f"/demo/customers/{customer.identifier}/",
        "outbox": "/demo/outbox/",
        "mail": f"/demo/outbox/{mail_id}/",
        "quick search page": "/search?q=maximiliane",
        "events": "/demo/",
    }
    too_wide = {}
    for name, path in pages.items():
        page.goto(f"{live_server}{path}")
        width, screen = page_width(page)
        if width > screen:
            too_wide[name] = width
    assert too_wide == {}

    # the order page with its action menu open: on screen, not off its left edge
    page.goto(f"{live_server}/demo/events/conf/orders/{pending.code}/")
    page.get_by_text("More actions").click()
    menu = page.locator(".action-menu-body").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= PHONE["width"]
    page.get_by_text("Cancel order…").click()
    confirm = page.locator("#action-cancel .action-body").bounding_box()
    assert confirm["x"] >= 0 and confirm["x"] + confirm["width"] <= PHONE["width"]
    assert page.get_by_role("button", name="Cancel order").is_visible()
    assert page_width(page)[0] <= PHONE["width"]

    # the quick search with its results open
    page.keyboard.press("/")
    page.keyboard.type("maximiliane")
    page.locator("#quicksearch-results .quicksearch-option").first.wait_for()
    assert page_width(page)[0] <= PHONE["width"]
    assert page.console_errors == []


@pytest.mark.parametrize("path", ["/demo/orders/", "/demo/events/conf/orders/"])
def test_order_lists_have_one_line_per_row_on_a_desktop(page, live_server, world, path):
    busy_organizer(world)
    page.set_viewport_size(DESKTOP)
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}{path}")
    rows = page.locator("tr.order-row")
    assert rows.count() >= 5
    wrapped = {}
    for i in range(rows.count()):
        for text, lines in rows.nth(i).evaluate(TEXT_LINES):
            if lines > 1:
                wrapped[text] = lines
    assert wrapped == {}  # dates, names, amounts and buttons: each on one line
    # and the table fits the screen: no column (the actions least of all) is cut off
    assert page.locator(".table-responsive").evaluate("box => box.scrollWidth <= box.clientWidth")
    assert page_width(page)[0] <= DESKTOP["width"]
    assert page.console_errors == []
