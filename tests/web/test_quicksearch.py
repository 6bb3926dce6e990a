"""Quick search: orders and customers of every organizer the user may see, grouped, as you type."""
from __future__ import annotations

import pytest

from backoffice.domain.models import InvoiceAddress
from backoffice.extensions import db
from tests import factories
from tests.conftest import DB_KIND


def search(staff, text: str, htmx: bool = True, go: bool = False):
    from urllib.parse import quote
    return staff.get(f"/search?q={quote(text)}{'&go=1' if go else ''}", htmx=htmx)


@pytest.fixture
def data(world):
    customer = factories.customer(world.organizer, email="Jane.Roe@example.org", name="Jane Roe", phone="+4917612345678")
    order = factories.order(world.event, [world.ticket], email="jane.roe@example.org", phone="+4917612345678",
                            customer=customer)
    order.all_positions[0].attendee_name_cached = "Johnny Attendee"
    db.session.add(InvoiceAddress(order=order, name_cached="Invoice Person", company="Roe Ltd"))
    other = factories.order(world.event, [world.ticket], email="someone@example.org")
    db.session.commit()
    return customer, order, other


@pytest.mark.parametrize("text", ["{code}", "{code_lower}", "jane.roe@ex", "JANE.ROE", "Johnny", "johnny att",
                                  "invoice", "0176 12345678", "{secret}", "{identifier}"])
def test_finds_order_by_every_kind_of_key(staff, data, text):
    customer, order, other = data
    text = text.format(code=order.code, code_lower=order.code.lower(), secret=order.all_positions[0].secret[:8],
                       identifier=customer.identifier)
    html = search(staff, text).get_data(as_text=True)
    assert f'id="qs-order-{order.id}"' in html
    assert f'id="qs-order-{other.id}"' not in html


def test_finds_customers_grouped_after_orders(staff, data):
    customer, order, _ = data
    html = search(staff, "jane").get_data(as_text=True)
    assert "Orders" in html and "Customers" in html
    assert html.index(f'qs-order-{order.id}') < html.index(f'qs-customer-{customer.id}')


def test_short_secret_prefix_is_not_searched(staff, data):
    _, order, _ = data
    html = search(staff, order.all_positions[0].secret[:3]).get_data(as_text=True)
    assert f'qs-order-{order.id}' not in html


def test_nothing_found_says_what_to_try(staff, data):
    html = search(staff, "zzzz-nothing").get_data(as_text=True)
    assert "Nothing found" in html and "order code" in html


def test_enter_on_exact_order_code_opens_it(staff, data):
    _, order, _ = data
    response = search(staff, order.code.lower(), htmx=False, go=True)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/demo/events/conf/orders/{order.code}/"


def test_enter_on_other_text_shows_the_results_page(staff, data):
    response = search(staff, "jane", htmx=False, go=True)
    assert response.status_code == 200 and "Search for" in response.get_data(as_text=True)


def test_enter_on_customer_identifier_opens_the_customer(staff, data):
    customer, _, _ = data
    response = search(staff, customer.identifier.lower(), htmx=False, go=True)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/demo/customers/{customer.identifier}/"


def test_other_organizers_data_is_not_found(browser, data, world):
    _, order, _ = data
    other = factories.organizer(slug="rival")
    outsider = factories.user(org=other)
    db.session.commit()
    browser.login(outsider.email)
    html = search(browser, order.code).get_data(as_text=True)
    assert f'qs-order-{order.id}' not in html and "Nothing found" in html
    assert search(browser, order.code, htmx=False, go=True).status_code == 200


def test_events_outside_a_limited_team_are_not_searched(browser, data, world):
    _, order, _ = data
    other_event = factories.event(world.organizer, slug="other")
    limited = factories.user(org=world.organizer, all_events=False, events=[other_event], can_view_customers=False,
                             can_change_customers=False)
    db.session.commit()
    browser.login(limited.email)
    html = search(browser, "jane").get_data(as_text=True)
    assert "qs-order-" not in html and "qs-customer-" not in html


def test_search_box_is_on_every_page(staff, world):
    html = staff.get("/demo/").get_data(as_text=True)
    assert 'id="quicksearch-input"' in html and 'hx-get="/search"' in html and "quicksearch.js" in html


def test_search_needs_login(client):
    response = client.get("/search?q=abc")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hostile_input_is_harmless(staff, data):
    for text in ("<script>alert(1)</script>", "%", "_", "'; drop table order; --", "x" * 5000):
        response = search(staff, text)
        assert response.status_code == 200 and "<script>alert" not in response.get_data(as_text=True)


def test_an_order_code_typed_alone_opens_that_order_without_reading_every_name(world, count_queries):
    from backoffice.domain.order_queries import quick_search
    order = factories.order(world.event, [world.ticket], email="a@example.org")
    db.session.commit()
    code = order.code if any(c.isdigit() for c in order.code) else "7" + order.code[1:]
    order.code = code
    db.session.commit()
    with count_queries() as by_code:
        found = quick_search(code.lower(), [world.event.id], []).orders
    with count_queries() as by_name:
        quick_search("someone", [world.event.id], [])
    assert [o.id for o in found] == [order.id]
    # one lookup by the code's index (its event and customer come with it) instead of the search
    searching = ("LIKE", "GLOB", "~", "MATCH")  # MATCH: the search index on SQLite
    assert not any(word in s.upper() for word in searching for s in by_code.statements)
    assert any(word in s.upper() for word in searching for s in by_name.statements)


def _lazy_loads(statements: list[str]) -> list[str]:
    """Statements that load one organizer, event or customer by its id after the results."""
    import re
    return [s for s in statements if re.search(r"FROM (organizer|event|customer)\s+WHERE \1\.id = ", s)]


def test_an_order_code_reads_no_customer_rows_when_no_customer_matches(staff, data, count_queries):
    _, order, _ = data
    if not any(c.isdigit() for c in order.code):  # a code typed alone has a digit (no name has one)
        order.code = "7" + order.code[1:]
        db.session.commit()
    code, order_id = order.code, order.id
    with count_queries() as counter:
        html = search(staff, code).get_data(as_text=True)
    assert f'qs-order-{order_id}' in html and "qs-customer-" not in html
    # the order comes with its event and organizer (its link names both), and no customer rows
    # are read when the customer lookup found none
    assert not _lazy_loads(counter.statements), "\n".join(counter.statements)
    assert not any(s.startswith("SELECT customer.id, customer.organizer_id") for s in counter.statements), \
        "\n".join(counter.statements)
    # the user with their teams, the order by its code with its event and organizer (the events in
    # scope a subquery of it), and the customers' lookup (on SQLite one per part: identifier, index)
    assert len(counter.statements) == (3 if DB_KIND == "postgresql" else 4), "\n".join(counter.statements)


@pytest.mark.parametrize("extra", [0, 12])
def test_quick_search_statements_do_not_grow_with_matches(staff, world, count_queries, extra):
    """Eight orders and customers shown, "Show all N" for more: the same statements whether 8 or 20
    orders and customers match, and none per result."""
    for i in range(8 + extra):
        customer = factories.customer(world.organizer, f"kowalski{i}@example.org", f"Anna Kowalski{i}")
        factories.order(world.event, [world.ticket], email=f"kowalski{i}@example.org", customer=customer)
    db.session.commit()
    with count_queries() as counter:
        html = search(staff, "kowalski").get_data(as_text=True)
    assert html.count('id="qs-order-') == 8 and html.count('id="qs-customer-') == 8
    assert ("Show all" in html) == bool(extra)
    assert not _lazy_loads(counter.statements), "\n".join(counter.statements)
    # rows: the user with their teams, the events in scope, then the orders and the customers shown
    rows = [s for s in counter.statements if not s.startswith(('SELECT "order".id \n', "SELECT customer.id \n",
                                                                "SELECT DISTINCT", "SELECT anon_1.id"))]
    assert len(rows) == 4, "\n".join(counter.statements)
    # and the matches' ids: on PostgreSQL one query per group (with the count); on SQLite one per
    # part of the search (index, code or identifier, …) and group, and as many for the counts
    assert len(counter.statements) == (6 if DB_KIND == "postgresql" else 16), "\n".join(counter.statements)
