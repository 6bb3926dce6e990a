"""One rule for what a search matches: the quick search, the order list and the customer list find
the same things, by any word of a name, ignoring case and accents of every letter."""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from backoffice.domain import customer_queries, order_queries
from backoffice.domain.models import InvoiceAddress
from backoffice.extensions import db
from tests import factories

ORDERS = "/demo/events/conf/orders/"
CUSTOMERS = "/demo/customers/"


def _name(order, attendee: str) -> None:
    order.all_positions[0].attendee_name_cached = attendee


@pytest.fixture
def people(world):
    org, ev, ticket = world.organizer, world.event, world.ticket
    klein = factories.order(ev, [ticket], email="bk@example.org")
    db.session.add(InvoiceAddress(order=klein, name_cached="Björn Klein", company="Kleinteile GmbH"))
    oeztuerk = factories.customer(org, "oe@example.org", "Özlem Öztürk", phone="+4917612345678")
    by_customer = factories.order(ev, [ticket], email="other@example.org", customer=oeztuerk)
    attendee = factories.order(ev, [ticket], email="x@example.org")
    _name(attendee, "Ömer Öztürk")
    boehm = factories.order(ev, [ticket], email="anna.boehm@example.org")
    _name(boehm, "Anna Böhm")
    boehm_customer = factories.customer(org, "ab@example.org", "Anna Böhm", company="Straße & Söhne")
    unrelated = factories.order(ev, [ticket], email="zed@example.org")
    _name(unrelated, "Zed Kleiber")
    db.session.commit()
    return dict(klein=klein, oeztuerk=oeztuerk, by_customer=by_customer, attendee=attendee, boehm=boehm,
                boehm_customer=boehm_customer, unrelated=unrelated)


def quick(staff, text: str) -> str:
    response = staff.get(f"/search?q={quote(text)}", htmx=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def order_codes(staff, text: str) -> set[str]:
    html = staff.get(f"{ORDERS}?search={quote(text)}").get_data(as_text=True)
    return set(re.findall(r'data-code="([A-Z0-9]+)"', html))


def customer_list(staff, text: str) -> str:
    return staff.get(f"{CUSTOMERS}?q={quote(text)}").get_data(as_text=True)


def test_quick_search_finds_orders_by_last_name(staff, people):
    html = quick(staff, "Klein")
    assert f'id="qs-order-{people["klein"].id}"' in html
    assert f'id="qs-order-{people["unrelated"].id}"' not in html


def test_words_in_any_order(staff, people):
    assert order_codes(staff, "klein björn") == {people["klein"].code}
    assert f'id="qs-order-{people["klein"].id}"' in quick(staff, "Klein Björn")


@pytest.mark.parametrize("text", ["öztürk", "ÖZTÜRK", "Öztürk", "Oztürk", "ozturk"])
def test_non_ascii_capitals_found_everywhere(staff, people, text):
    html = quick(staff, text)
    for key in ("by_customer", "attendee"):
        assert f'id="qs-order-{people[key].id}"' in html
    assert f'id="qs-customer-{people["oeztuerk"].id}"' in html
    assert order_codes(staff, text) == {people["by_customer"].code, people["attendee"].code}
    listed = customer_list(staff, text)
    assert people["oeztuerk"].identifier in listed
    assert people["boehm_customer"].identifier not in listed


@pytest.mark.parametrize("text", ["bohm", "Böhm", "BÖHM", "BOHM"])
def test_accents_are_ignored(staff, people, text):
    assert order_codes(staff, text) == {people["boehm"].code}
    assert people["boehm_customer"].identifier in customer_list(staff, text)
    html = quick(staff, text)
    assert f'id="qs-order-{people["boehm"].id}"' in html
    assert f'id="qs-customer-{people["boehm_customer"].id}"' in html


def test_special_characters_are_literal(staff, people):
    assert people["boehm_customer"].identifier in customer_list(staff, "& SÖHNE")
    for text in ("*", "?", "[", "%", "_", "\\", ".*", "K[l]ein"):
        assert order_codes(staff, text) == set(), text
        assert not re.search(r'id="qs-(order|customer)-', quick(staff, text)), text


SAMPLES = ["klein", "KLEIN", "Björn", "bjorn klein", "öztürk", "Özlem", "anna", "böhm", "example.org",
           "oe@example", "0176 1234", "+49176", "Attendee", "Kleinteile", "söhne", "kle", "{code}",
           "{identifier}", "{secret}", "nobody-here"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_quick_search_and_lists_agree(people, world, sample):
    text = sample.format(code=people["klein"].code.lower(), identifier=people["oeztuerk"].identifier.lower(),
                         secret=people["attendee"].all_positions[0].secret[:7])
    found = order_queries.quick_search(text, [world.event.id], [world.organizer.id], limit=1000)
    orders = order_queries.list_page([world.event.id], world.organizer.id,
                                     order_queries.OrderFilters(search=text), "-datetime").items
    customers = customer_queries.customers_page(world.organizer, customer_queries.CustomerFilters(query=text)).items
    assert {o.id for o in found.orders} == {row.order.id for row in orders}
    assert {c.id for c in found.customers} == {c.id for c in customers}
    assert (found.orders or found.customers) if sample != "nobody-here" else found.empty
