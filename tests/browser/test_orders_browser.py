"""Order journeys in a real browser: approve and deny from the approval queue (on the order page
and inside the list's rows, with the mouse), extend an expired order, find an order through the
quick search with the keyboard alone, export exactly the list on screen, one message per action
and the focus kept on what an action changed."""
from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from backoffice.domain.models import InvoiceAddress, Order, OrderStatus
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def fresh(order_id: int) -> Order:
    db.session.rollback()  # a new snapshot: the server committed in its own transaction
    return db.session.get(Order, order_id)


def test_approve_and_deny_from_the_awaiting_approval_filter(page, live_server, world):
    first = factories.order(world.event, [world.ticket], require_approval=True, email="first@example.org")
    second = factories.order(world.event, [world.ticket, world.ticket], require_approval=True, email="second@example.org")
    db.session.add(InvoiceAddress(order=first, name_cached="Ada Lovelace", company="Analytical Engines"))
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    ids, codes = (first.id, second.id), (first.code, second.code)
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/")
    screenshot(page, "orders-list")
    page.get_by_role("link", name="Awaiting approval").click()
    page.wait_for_url("**require_approval=true**")
    assert page.locator("tr.order-row").count() == 2

    page.get_by_role("link", name=codes[0]).click()
    page.get_by_text("Approve", exact=True).click()  # the primary action opens its form
    page.get_by_role("button", name="Approve order").click()
    page.get_by_text(f"Order {codes[0]} approved — email sent to first@example.org").wait_for()
    assert page.locator("#history").get_by_text("Approved").is_visible()
    screenshot(page, "order-detail")

    page.go_back()
    page.reload()
    assert page.locator("tr.order-row").count() == 1
    page.get_by_role("link", name=codes[1]).click()
    page.get_by_text("More actions").click()
    page.get_by_text("Deny…").click()
    confirm = page.locator("#deny-consequences")
    assert f"Denies order {codes[1]} with 2 tickets" in confirm.inner_text()
    # the safe choice has the focus
    # the toggle event that moves the focus is dispatched after the click returns
    page.wait_for_function("document.activeElement && document.activeElement.textContent === 'Keep order'")
    page.get_by_label("Reason for the email").fill("Members only")
    page.get_by_role("button", name="Deny order").click()
    page.get_by_text(f"Order {codes[1]} denied").wait_for()
    assert fresh(ids[0]).require_approval is False and fresh(ids[0]).status == "n"
    assert fresh(ids[1]).status == "c" and fresh(ids[1]).require_approval is True
    assert page.console_errors == []


def test_approve_and_deny_inside_the_rows_of_the_approval_queue(page, live_server, world):
    first = factories.order(world.event, [world.ticket], require_approval=True, email="first@example.org")
    second = factories.order(world.event, [world.ticket, world.ticket], require_approval=True, email="second@example.org")
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    ids, codes = (first.id, second.id), (first.code, second.code)
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/")
    page.get_by_role("link", name="Awaiting approval").click()
    page.wait_for_url("**require_approval=true**")
    rows = [page.locator(f"#order-row-{code}") for code in codes]
    assert page.locator("tr.order-row").count() == 2

    url_before = page.url
    rows[0].get_by_role("button", name="Approve").click()  # one click, the email goes out
    rows[0].get_by_text(f"Order {codes[0]} approved — email sent to first@example.org").wait_for()
    assert rows[0].locator(".badge").first.inner_text() == "pending"
    assert rows[0].get_by_role("button", name="Approve").count() == 0
    assert page.url == url_before and page.locator("tr.order-row").count() == 2  # only the row changed

    rows[1].get_by_text("Deny…").click()
    assert rows[1].locator(f"#deny-consequences-{codes[1]}").inner_text() == \
        "Cancels 2 tickets, emails second@example.org. Untick the box to deny without an email."
    # the safe choice has the focus (the toggle event that moves it comes after the click returns)
    page.wait_for_function("document.activeElement && document.activeElement.textContent === 'Keep order'")
    page.keyboard.press("Enter")  # Keep closes the confirmation
    assert not rows[1].get_by_label("Reason for the email").is_visible()
    rows[1].get_by_text("Deny…").click()
    rows[1].get_by_label("Reason for the email").fill("Members only")
    assert rows[1].get_by_label("Send the denial email").is_checked()
    rows[1].get_by_role("button", name="Deny order").click()
    rows[1].get_by_text(f"Order {codes[1]} denied — email sent to second@example.org").wait_for()
    assert rows[1].locator(".badge").first.inner_text() == "canceled"
    assert fresh(ids[0]).require_approval is False and fresh(ids[0]).status == "n"
    assert fresh(ids[1]).status == "c" and fresh(ids[1]).require_approval is True
    page.reload()
    assert page.locator("tr.order-row").count() == 0
    assert page.console_errors == []


def test_extend_an_expired_order(page, live_server, world):
    order = factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED)
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")
    page.get_by_text("Extend deadline").click()
    until = date.today() + timedelta(days=7)
    page.get_by_label("New payment deadline").fill(until.isoformat())
    page.get_by_role("button", name="Extend", exact=True).click()
    page.get_by_text(f"Payment deadline of order {code} set to {until.isoformat()}").wait_for()
    assert "pending" in page.locator("#order-summary h1").inner_text()
    assert fresh(order_id).status == "n"
    # a refused action explains itself next to its button, the page does not break
    page.get_by_text("More actions").click()  # pending now: "Mark as paid" is the primary action
    page.get_by_text("Extend deadline").click()
    page.get_by_label("New payment deadline").evaluate("e => { e.removeAttribute('min'); e.value = '2020-01-01'; }")
    page.get_by_role("button", name="Extend", exact=True).click()
    page.locator("#action-extend .action-error").get_by_text("must not be in the past").wait_for()
    # the browser logs the refused request (422) itself; nothing else may fail
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_find_an_order_with_the_keyboard_alone(page, live_server, world):
    target = factories.order(world.event, [world.ticket], email="grace.hopper@example.org")
    factories.order(world.event, [world.ticket], email="someone.else@example.org")
    code = target.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "quicksearch-input"
    page.keyboard.type("grace.ho")
    page.locator("#quicksearch-results .quicksearch-option").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orders/{code}/")
    # Enter on an exact order code opens it directly
    page.goto(f"{live_server}/demo/")
    page.keyboard.press("/")
    page.keyboard.type(code.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/orders/{code}/")
    page.get_by_role("heading", name=f"Order {code}").wait_for()
    assert page.console_errors == []


# --- the approval queue worked with the mouse, at 1440 px ---------------------------------------------

def mouse_click(page, locator) -> None:
    """A real click at the element's centre: it lands on whatever is painted on top there."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def approval_queue(world, count: int = 8) -> list[Order]:
    """Orders awaiting approval, each with an email, a name and a company, as support sees them."""
    made = []
    for i in range(count):
        order = factories.order(world.event, [world.ticket], require_approval=True,
                                email=f"applicant.number.{i}@example.org")
        db.session.add(InvoiceAddress(order=order, name_cached=f"Applicant Number {i}", company="Example Ltd"))
        made.append(order)
    db.session.commit()
    return made


def state(order_id: int) -> tuple:
    order = fresh(order_id)
    return order.status, order.require_approval, order.last_modified


@pytest.mark.parametrize("list_path", ["/demo/events/conf/orders/", "/demo/orders/"])
def test_deny_confirmed_with_the_mouse_denies_exactly_that_row(page, live_server, world, list_path):
    queue = approval_queue(world)
    ids = [o.id for o in queue]
    before = {i: state(i) for i in ids}
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}{list_path}?status=n&require_approval=true")
    codes = page.locator("tr.order-row").evaluate_all("rows => rows.map(r => r.dataset.code)")
    assert len(codes) == 8
    # the whole table fits the screen: the Deny column is not cut off
    box = page.locator(".order-table-box")
    assert box.evaluate("b => b.scrollWidth <= b.clientWidth")

    target = codes[0]  # the top row: its confirmation opens over the rows below
    row = page.locator(f"#order-row-{target}")
    deny = row.get_by_text("Deny…")
    assert deny.bounding_box()["x"] + deny.bounding_box()["width"] <= 1440
    mouse_click(page, deny)
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        mouse_click(page, row.get_by_role("button", name="Deny order"))
    assert sent.value.url.endswith(f"/orders/{target}/deny")  # not another row's button
    row.get_by_text(f"Order {target} denied").wait_for()

    denied = next(o.id for o in queue if o.code == target)
    assert fresh(denied).status == "c" and fresh(denied).require_approval is True
    for order_id in ids:
        if order_id != denied:
            assert state(order_id) == before[order_id]  # no other order changed
    assert page.console_errors == []


# --- the export is the list on screen ---------------------------------------------------------------

def listed_codes(page) -> list[str]:
    return page.locator("tr.order-row").evaluate_all("rows => rows.map(r => r.dataset.code)")


def test_export_is_the_list_on_screen_after_changes_in_place(page, live_server, world):
    for i in range(66):  # 55 match the filters below: more than one page of 50
        email = f"group-a-{i}@example.org" if i < 55 else f"other-{i}@example.org"
        factories.order(world.event, [world.ticket], email=email, fees=[("other", f"{i % 7}.00")])
    for i in range(6):
        factories.order(world.event, [world.ticket], status=OrderStatus.PAID, email=f"group-a-paid-{i}@example.org")
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/")
    count = page.locator("#result-count")
    expect(count).to_contain_text("of 72 orders")

    # filters and sort changed in place, without a page load
    page.locator("#filter-status").select_option("n")
    expect(count).to_contain_text("of 66 orders")
    page.locator("#filter-search").fill("group-a")
    expect(count).to_contain_text("of 55 orders")
    mouse_click(page, page.get_by_role("link", name="Total"))
    expect(page.locator("th[aria-sort=descending]")).to_have_text("Total ▼")
    first_page = listed_codes(page)
    page.get_by_role("link", name="Next").click()
    expect(count).to_have_text("51–55 of 55 orders")
    on_screen = first_page + listed_codes(page)
    # the filter bar still shows what the list is filtered by
    assert page.locator("#filter-status").input_value() == "n"
    assert page.locator("#filter-search").input_value() == "group-a"

    with page.expect_download() as download:
        mouse_click(page, page.get_by_role("link", name="Export CSV"))
    with open(download.value.path(), encoding="utf-8-sig") as f:
        exported = list(csv.DictReader(f))
    assert len(exported) == 55
    assert [row["code"] for row in exported] == on_screen  # same rows, same order, every page
    totals = [float(row["total"]) for row in exported]
    assert totals == sorted(totals, reverse=True)

    # a filter changed after sorting keeps the sort, and the export follows again
    page.locator("#filter-search").fill("group-a-1")
    expect(count).to_contain_text("of 11 orders")  # group-a-1 and group-a-10 … group-a-19
    assert page.locator("th[aria-sort=descending]").inner_text() == "Total ▼"
    with page.expect_download() as download:
        mouse_click(page, page.get_by_role("link", name="Export CSV"))
    with open(download.value.path(), encoding="utf-8-sig") as f:
        assert [row["code"] for row in csv.DictReader(f)] == listed_codes(page)
    # empty filter fields stay out of the address bar and the export link
    export = page.get_by_role("link", name="Export CSV").get_attribute("href")
    assert "search=group-a-1" in page.url and "search=group-a-1" in export
    assert "item=" not in page.url and "item=" not in export
    assert page.console_errors == []


# --- after an action: one message, the focus on what changed ----------------------------------------

def focused_in(page, selector: str) -> bool:
    return page.evaluate("s => Boolean(document.activeElement && document.activeElement.closest(s))", selector)


def success_messages(page) -> list[str]:
    return page.locator(".alert-success, .row-message").all_inner_texts()


def test_order_page_shows_one_message_per_action_and_keeps_the_focus_there(page, live_server, world):
    order = factories.order(world.event, [world.ticket], email="grace@example.org")
    code = order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")
    mouse_click(page, page.locator("#action-mark_paid summary"))
    mouse_click(page, page.locator("#form-mark_paid button[type=submit]"))
    page.get_by_text(f"Order {code} marked as paid").wait_for()
    # the focus is on the changed panel's message, the order's actions one Shift+Tab away
    page.wait_for_function("document.activeElement && document.activeElement.id === 'action-message'")
    page.keyboard.press("Shift+Tab")
    assert focused_in(page, "#order-actions")

    mouse_click(page, page.get_by_text("Edit details"))
    page.get_by_label("Internal comment").fill("Paid at the box office")
    mouse_click(page, page.get_by_role("button", name="Save details"))
    page.locator("#order-details").get_by_text("Order details saved.").wait_for()
    assert success_messages(page) == ["Order details saved."]  # the earlier message is gone
    assert focused_in(page, "#order-details")
    assert page.console_errors == []


def test_list_rows_show_one_message_at_a_time(page, live_server, world):
    queue = approval_queue(world, count=3)
    codes = [o.code for o in queue]
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/?status=n&require_approval=true")
    for code in codes[:2]:
        row = page.locator(f"#order-row-{code}")
        mouse_click(page, row.get_by_role("button", name="Approve"))
        row.get_by_text(f"Order {code} approved").wait_for()
        assert focused_in(page, f"#order-row-{code}")  # not the top of the page
    assert success_messages(page) == [f"Order {codes[1]} approved — email sent to applicant.number.1@example.org."]
    assert page.console_errors == []


def test_slash_focuses_the_quick_search_only_outside_text_fields(page, live_server, world):
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/")
    quick = page.locator("#quicksearch-input")
    search = page.locator("#filter-search")
    search.click()
    page.keyboard.type("a/b")
    assert search.input_value() == "a/b" and focused_in(page, "#filter-search")
    assert quick.input_value() == ""

    page.get_by_text("More filters").click()
    page.get_by_label("Count canceled positions").focus()  # a checkbox is not a text field
    page.keyboard.press("/")
    assert focused_in(page, "#quicksearch-input") and quick.input_value() == ""
    page.keyboard.type("/x")  # inside the quick search, "/" is a character again
    assert quick.input_value() == "/x"
    assert page.console_errors == []


@pytest.mark.parametrize("list_path, box", [("/demo/events/conf/orders/", "#filter-search"),
                                            ("/demo/customers/", "#customer-search")])
def test_clicking_a_sort_link_after_typing_a_search_sends_only_the_sort(page, live_server, world, list_path, box):
    """The search box sends while typing; leaving it by clicking a sort link must not send the
    search once more, as that answer could arrive after the sort's and undo it."""
    for i in range(3):
        factories.order(world.event, [world.ticket], email=f"sorter{i}@example.org")
        factories.customer(world.organizer, f"sorter{i}@example.org", f"Sorter {i}")
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(live_server + list_path)
    with page.expect_response(lambda r: "sorter" in r.url):
        page.locator(box).click()
        page.keyboard.type("sorter")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.resource_type in ("xhr", "fetch", "document") else None)
    sort_link = page.locator("th a[href*='sort=']").first
    with page.expect_response(lambda r: "sort=" in r.url):
        sort_link.click()
    page.wait_for_load_state("networkidle")
    assert len(sent) == 1 and "sort=" in sent[0] and "sorter" in sent[0], sent
