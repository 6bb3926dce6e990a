""""Did you mean …?" for a name search that finds nothing, and the quick search's "Show all N" links."""
from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from flask import render_template

from backoffice.domain.models import InvoiceAddress
from backoffice.domain.order_queries import quick_search
from backoffice.extensions import db
from tests import factories


def _order_for(event, ticket, name: str, email: str = "buyer@example.org"):
    order = factories.order(event, [ticket], email=email)
    db.session.add(InvoiceAddress(order=order, name_cached=name))
    return order


@pytest.fixture
def people(world):
    factories.customer(world.organizer, email="mb@example.org", name="Moritz Böhm")
    _order_for(world.event, world.ticket, "Ayşe Öztürk")
    factories.customer(world.organizer, email="other@example.org", name="Clara Schmidt")
    db.session.commit()


def _html(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("typed, meant", [("Moritz Bohn", "Moritz Böhm"), ("Öztrük", "Ayşe Öztürk")])
def test_quick_search_offers_the_misspelt_person(staff, people, typed, meant):
    html = _html(staff.get(f"/search?q={quote_plus(typed)}", htmx=True))
    assert "Nothing found" in html and "Did you mean" in html
    assert f'href="/search?q={quote_plus(meant)}"' in html
    assert "Clara Schmidt" not in html


def test_search_page_offers_the_misspelt_person(staff, people):
    html = _html(staff.get("/search?q=Moritz+Bohn"))
    assert 'id="search-suggestion-1"' in html and "Moritz Böhm" in html


def test_order_list_offers_the_misspelt_name(staff, people):
    html = _html(staff.get("/demo/orders/?search=%C3%96ztr%C3%BCk"))
    assert "No orders match" in html and "Did you mean" in html
    assert f'Did you mean <a href="/demo/orders/?search={quote_plus("Ayşe Öztürk")}">Ayşe Öztürk</a>?</p>' in html


def test_event_order_list_offers_the_misspelt_name(staff, people):
    html = _html(staff.get("/demo/events/conf/orders/?search=Oztruk"))
    assert f'href="/demo/events/conf/orders/?search={quote_plus("Ayşe Öztürk")}"' in html


def test_customer_list_offers_the_misspelt_name(staff, people):
    html = _html(staff.get("/demo/customers/?q=Moritz+Bohn"))
    assert "No customers match" in html and "Did you mean" in html
    assert f'Did you mean <a href="/demo/customers/?q={quote_plus("Moritz Böhm")}">Moritz Böhm</a>?</p>' in html


def test_suggested_link_finds_the_person(staff, people):
    html = _html(staff.get(f"/demo/customers/?q={quote_plus('Moritz Böhm')}"))
    assert "mb@example.org" in html and "Did you mean" not in html


def test_nothing_suggested_when_results_exist(staff, people):
    for url in ("/search?q=Moritz", "/demo/orders/?search=%C3%96zt%C3%BCrk", "/demo/customers/?q=Moritz"):
        html = _html(staff.get(url, htmx=url.startswith("/search")))
        assert "Did you mean" not in html, url


def test_codes_and_emails_get_no_suggestions(staff, people):
    html = _html(staff.get("/search?q=moritz.bohn%40example.org", htmx=True))
    assert "Nothing found" in html and "Did you mean" not in html


def test_names_of_another_organizer_are_never_suggested(staff, world):
    rival = factories.organizer(slug="rival")
    rival_event = factories.event(rival, slug="fair")
    rival_ticket = factories.item(rival_event)
    factories.customer(rival, email="mb@example.org", name="Moritz Böhm")
    _order_for(rival_event, rival_ticket, "Moritz Böhm")
    db.session.commit()
    for url in ("/search?q=Moritz+Bohn", "/demo/orders/?search=Moritz+Bohn", "/demo/customers/?q=Moritz+Bohn"):
        html = _html(staff.get(url, htmx=url.startswith("/search")))
        assert "Böhm" not in html and "Did you mean" not in html, url


def test_names_of_events_outside_a_limited_team_are_never_suggested(browser, world):
    other_event = factories.event(world.organizer, slug="other")
    _order_for(world.event, world.ticket, "Moritz Böhm")
    limited = factories.user(org=world.organizer, all_events=False, events=[other_event],
                             can_view_customers=False, can_change_customers=False)
    db.session.commit()
    browser.login(limited.email)
    for url in ("/search?q=Moritz+Bohn", "/demo/orders/?search=Moritz+Bohn",
                "/demo/events/other/orders/?search=Moritz+Bohn"):
        html = _html(browser.get(url, htmx=url.startswith("/search")))
        assert "Böhm" not in html and "Did you mean" not in html, url


def _customers(world, count: int) -> None:
    for i in range(count):
        factories.customer(world.organizer, email=f"c{i}@example.org", name=f"Jana Müller {i}")


def _orders(world, count: int) -> None:
    for i in range(count):
        factories.order(world.event, [world.ticket], email=f"buyer{i}@mueller.example")


def test_no_show_all_link_with_eight_matches(staff, world):
    _customers(world, 8)
    _orders(world, 8)
    db.session.commit()
    html = _html(staff.get("/search?q=mueller", htmx=True))
    assert html.count('id="qs-customer-') == 8 and html.count('id="qs-order-') == 8
    assert "Show all" not in html


def test_show_all_links_with_the_exact_count_above_eight(staff, world):
    _customers(world, 9)
    _orders(world, 11)
    db.session.commit()
    html = _html(staff.get("/search?q=mueller", htmx=True))
    assert html.count('id="qs-customer-') == 8 and html.count('id="qs-order-') == 8
    assert "Show all 9 customers" in html and 'href="/demo/customers/?q=mueller"' in html
    assert "Show all 11 orders" in html and 'href="/demo/orders/?search=mueller"' in html
    # the links are options of the box's listbox, so the arrow keys reach them
    assert f'role="option" aria-selected="false" id="qs-all-orders-{world.organizer.id}"' in html
    listed = _html(staff.get("/demo/orders/?search=mueller"))
    assert "1–11 of 11 orders" in listed


def test_show_all_link_on_the_search_page(staff, world):
    _customers(world, 9)
    db.session.commit()
    html = _html(staff.get("/search?q=mueller"))
    assert f'id="search-all-customers-{world.organizer.id}"' in html and "Show all 9 customers" in html


def test_more_than_the_cap_is_not_counted_exactly(app, world):
    _customers(world, 10)
    db.session.commit()
    results = quick_search("mueller", [world.event.id], [world.organizer.id], count_cap=8)
    [more] = results.more_customers
    assert more.capped and more.total == 9
    with app.test_request_context("/search?q=mueller"):
        html = render_template("search/_results.html", results=results)
    assert "Show all customers (more than 8)" in html and "Show all 10" not in html


def test_count_up_to_the_cap_is_exact(world):
    _customers(world, 9)
    db.session.commit()
    [more] = quick_search("mueller", [world.event.id], [world.organizer.id], count_cap=9).more_customers
    assert not more.capped and more.total == 9


def test_one_show_all_link_per_organizer(browser, world):
    from backoffice.domain.models import Team
    rival = factories.organizer(slug="rival")
    _customers(world, 5)
    for i in range(10):
        factories.customer(rival, email=f"r{i}@example.org", name=f"Jan Müller {i}")
    user = factories.user(org=world.organizer)
    team = Team(organizer=rival, name="Rival team", all_events=True, can_view_customers=True)
    team.members.append(user)
    db.session.add(team)
    db.session.commit()
    browser.login(user.email)
    html = _html(browser.get("/search?q=mueller", htmx=True))
    assert html.count('id="qs-customer-') == 8
    assert f"Show all 5 customers of {world.organizer.name}" in html
    # the rival's 8 come first (by name); the list of each organizer holds more than shown of it
    assert f"Show all 10 customers of {rival.name}" in html
    assert 'href="/demo/customers/?q=mueller"' in html and 'href="/rival/customers/?q=mueller"' in html
