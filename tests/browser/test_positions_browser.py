"""Ticket actions on the order page with a real mouse: block a ticket and undo it, unblock it from
its menu, fix an attendee's name, and every click lands on the row it was meant for."""
from __future__ import annotations

from playwright.sync_api import expect

from backoffice.domain.models import Order
from backoffice.extensions import db
from tests import factories
from tests.browser.conftest import login, screenshot


def tickets(order_id: int) -> list[tuple]:
    db.session.rollback()  # a new snapshot: the server committed in its own transaction
    order = db.session.get(Order, order_id)
    return [(p.positionid, p.blocked, p.attendee_name, p.secret, p.canceled) for p in order.all_positions]


def mouse_click(page, locator) -> None:
    """A real click at the element's centre: it lands on whatever is painted on top there."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def open_order(page, live_server, world, count: int = 3) -> tuple[int, str]:
    order = factories.order(world.event, [world.ticket] * count)
    order_id, code = order.id, order.code
    db.session.commit()
    login(page, live_server, world.admin.email)
    page.goto(f"{live_server}/demo/events/conf/orders/{code}/")
    return order_id, code


def menu(page, n: int):
    """Open the actions menu of ticket `n`; returns its row."""
    row = page.locator(f"#position-{n}")
    mouse_click(page, row.get_by_label(f"Actions for ticket {n}"))
    return row


def test_block_undo_and_unblock_a_ticket(page, live_server, world):
    order_id, code = open_order(page, live_server, world)
    before = tickets(order_id)
    row = menu(page, 2)
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        mouse_click(page, row.get_by_role("button", name="Block ticket"))
    assert sent.value.url.endswith(f"/orders/{code}/positions/2/block")
    message = page.locator("#position-message")
    expect(message).to_contain_text("Ticket 2 blocked: scanners refuse it.")
    expect(message).to_be_focused()  # read out; Tab reaches its Undo button next
    expect(page.locator("#position-2")).to_contain_text("blocked: admin")
    assert [t[1] for t in tickets(order_id)] == [None, ["admin"], None]
    screenshot(page, "order-ticket-blocked")

    mouse_click(page, message.get_by_role("button", name="Undo"))
    expect(message).to_contain_text("Ticket 2 unblocked.")
    expect(page.locator("#position-2")).not_to_contain_text("blocked: admin")
    assert tickets(order_id) == before

    row = menu(page, 2)
    mouse_click(page, row.get_by_role("button", name="Block ticket"))
    expect(message).to_contain_text("Ticket 2 blocked")
    row = menu(page, 2)
    mouse_click(page, row.get_by_role("button", name="Unblock ticket"))
    expect(message).to_contain_text("Ticket 2 unblocked.")
    assert [t[1] for t in tickets(order_id)] == [None, None, None]
    assert page.console_errors == []


def test_fix_an_attendee_name(page, live_server, world):
    order_id, _code = open_order(page, live_server, world)
    row = menu(page, 1)
    mouse_click(page, row.get_by_text("Edit attendee"))
    name = row.get_by_label("Name")
    expect(name).to_be_focused()  # the form opens with its first field ready
    name.fill("Grace Hopper")
    mouse_click(page, row.get_by_role("button", name="Save ticket 1"))
    expect(page.locator("#position-message")).to_contain_text("Ticket 1 saved.")
    expect(page.locator("#position-1")).to_contain_text("Grace Hopper")
    expect(page.locator("#history")).to_contain_text("Changed")
    assert [t[2] for t in tickets(order_id)] == ["Grace Hopper", "Attendee 2", "Attendee 3"]

    # a refusal keeps the form open with what was typed and says why next to it
    row = menu(page, 3)
    mouse_click(page, row.get_by_text("Edit attendee"))
    # the form focuses its first field when it has opened (an event after the click): wait for
    # that, or it would take the focus away while the email is being typed
    expect(row.get_by_label("Name")).to_be_focused()
    row.get_by_label("Email").fill("not-an-email")
    row.get_by_label("Email").evaluate("e => e.type = 'text'")  # let the server judge it
    mouse_click(page, row.get_by_role("button", name="Save ticket 3"))
    expect(row.locator(".action-error")).to_contain_text("not a valid email address")
    expect(row.get_by_label("Email")).to_have_value("not-an-email")
    assert [t[2] for t in tickets(order_id)] == ["Grace Hopper", "Attendee 2", "Attendee 3"]
    assert [e for e in page.console_errors if "status of 422" not in e] == []


def test_clicks_land_on_the_row_they_were_meant_for(page, live_server, world):
    order_id, code = open_order(page, live_server, world, count=4)
    before = tickets(order_id)
    # menus of neighbouring rows open at once: each pushes the rows below down, none covers another
    for n in (1, 2, 3):
        menu(page, n)
    row = page.locator("#position-2")
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        mouse_click(page, row.get_by_role("button", name="Block ticket"))
    assert sent.value.url.endswith(f"/orders/{code}/positions/2/block")
    expect(page.locator("#position-message")).to_contain_text("Ticket 2 blocked")
    after = tickets(order_id)
    assert [t[1] for t in after] == [None, ["admin"], None, None]
    assert [t for i, t in enumerate(after) if i != 1] == [t for i, t in enumerate(before) if i != 1]

    # a confirmation opened in one row is sent for that row only
    menu(page, 3)
    row = menu(page, 4)
    mouse_click(page, row.get_by_text("Cancel ticket…"))
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        mouse_click(page, row.get_by_role("button", name="Cancel ticket"))
    assert sent.value.url.endswith(f"/orders/{code}/positions/4/cancel")
    expect(page.locator("#position-message")).to_contain_text("Ticket 4 canceled.")
    expect(page.locator("#order-totals")).to_contain_text("€150.00")  # the totals follow
    final = tickets(order_id)
    assert [t[4] for t in final] == [False, False, False, True]
    assert [t[3] for t in final] == [t[3] for t in before]
    assert page.console_errors == []


def test_a_blocked_ticket_shows_on_the_blocked_secrets_page_until_unblocked(page, live_server, world):
    """What scanners read: block on the order page, find it on the event's blocked secrets, follow
    its link back, unblock, and the page says the secret is no longer blocked."""
    order_id, code = open_order(page, live_server, world, count=2)
    secret = tickets(order_id)[1][3]
    row = menu(page, 2)
    mouse_click(page, row.get_by_role("button", name="Block ticket"))
    expect(page.locator("#position-message")).to_contain_text("Ticket 2 blocked")

    page.goto(f"{live_server}/demo/events/conf/secrets/blocked/")
    listed = page.locator("tr.secret-row")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text(secret[:8])
    expect(listed).to_contain_text("blocked")
    mouse_click(page, listed.get_by_role("link", name=f"{code}-2"))
    page.wait_for_url(f"**/orders/{code}/#position-2")

    row = menu(page, 2)
    mouse_click(page, row.get_by_role("button", name="Unblock ticket"))
    expect(page.locator("#position-message")).to_contain_text("Ticket 2 unblocked.")
    page.goto(f"{live_server}/demo/events/conf/secrets/blocked/")
    expect(page.locator("tr.secret-row")).to_contain_text("unblocked")
    page.locator("#filter-blocked").select_option("true")
    expect(page.locator("#secrets-empty")).to_contain_text("No blocked secrets match")
    assert [t[1] for t in tickets(order_id)] == [None, None]
    assert page.console_errors == []
