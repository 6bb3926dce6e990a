"""The event's ticket list: 003's order position filters with their semantics, ordering, paging,
CSV, permissions, hostile values, query counts."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest

from backoffice.domain.models import (Checkin, CheckinList, InvoiceAddress, OrderPosition, OrderStatus, Voucher)
from backoffice.extensions import db
from tests import factories

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED
LIST = "/demo/events/conf/tickets/"
EXPORT = "/demo/events/conf/tickets/export.csv"


def tickets_in(response) -> list[str]:
    """The tickets listed, as CODE-positionid, in the order shown."""
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    return re.findall(r'data-ticket="([A-Z0-9]+-[0-9]+)"', html)


def listed(staff, query: str = "") -> set[str]:
    return set(tickets_in(staff.get(f"{LIST}?{query}")))


def ticket(position: OrderPosition) -> str:
    return f"{position.order.code}-{position.positionid}"


def named(position: OrderPosition, name: str | None, email: str | None = None) -> OrderPosition:
    position.attendee_name_parts = {"_scheme": "full", "full_name": name} if name else {"_scheme": "full"}
    position.attendee_name_cached = name
    position.attendee_email = email
    return position


def exported(staff, query: str = "") -> list[dict]:
    response = staff.get(f"{EXPORT}?{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


# --- what a row shows ------------------------------------------------------------------------------

def test_rows_show_the_ticket_and_open_its_order_at_that_ticket(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    second = named(order.all_positions[1], "Grace Hopper", "grace@example.org")
    db.session.commit()
    response = staff.get(LIST)
    html = response.get_data(as_text=True)
    assert tickets_in(response) == [f"{order.code}-1", f"{order.code}-2"]
    row = html.split(f'data-ticket="{order.code}-2"')[1].split("</tr>")[0]
    assert f'href="/demo/events/conf/orders/{order.code}/#position-2"' in row
    assert "Grace Hopper" in row and "Regular ticket" in row and "status-paid" in row and "€50.00" in row
    # the secret shortened as on the order page, the whole value copied on click
    assert f">{second.secret[:8]}…</code>" in row and f'data-copy="{second.secret}"' in row
    assert "1–2 of 2 tickets" in html


def test_event_page_links_to_tickets_and_secrets(staff, world):
    html = staff.get("/demo/events/conf/").get_data(as_text=True)
    for href in (LIST, "/demo/events/conf/secrets/revoked/", "/demo/events/conf/secrets/blocked/"):
        assert f'href="{href}"' in html
    page = staff.get(LIST).get_data(as_text=True)
    assert 'href="/demo/events/conf/orders/"' in page and 'aria-current=page href="/demo/events/conf/tickets/"' in page


def test_addon_rows_name_their_main_ticket(staff, world):
    shirt = factories.item(world.event, "Shirt", "15.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, shirt])
    order.all_positions[1].addon_to_id = order.all_positions[0].id
    db.session.commit()
    html = staff.get(LIST).get_data(as_text=True)
    row = html.split(f'data-ticket="{order.code}-2"')[1].split("</tr>")[0]
    assert "Shirt" in row and "add-on to #1" in row


# --- filters ---------------------------------------------------------------------------------------

def test_canceled_tickets_only_when_asked(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    order.all_positions[1].canceled = True
    canceled_order = factories.order(world.event, [world.ticket], status=C)  # its ticket is not canceled itself
    db.session.commit()
    assert listed(staff) == {f"{order.code}-1", f"{canceled_order.code}-1"}
    html = staff.get(f"{LIST}?include_canceled_positions=true").get_data(as_text=True)
    assert set(re.findall(r'data-ticket="([A-Z0-9-]+)"', html)) == {f"{order.code}-1", f"{order.code}-2",
                                                                     f"{canceled_order.code}-1"}
    assert "ticket canceled" in html.split(f'data-ticket="{order.code}-2"')[1].split("</tr>")[0]


def test_order_code_filter_ignores_case(staff, world):
    a = factories.order(world.event, [world.ticket, world.ticket])
    factories.order(world.event, [world.ticket])
    db.session.commit()
    assert listed(staff, f"order={a.code.lower()}") == {f"{a.code}-1", f"{a.code}-2"}


def test_item_and_variation_filters_take_several_values(staff, world):
    shirt = factories.item(world.event, "Shirt", "15.00", variations=[("S", "15.00"), ("M", "15.00")])
    small, medium = shirt.variations
    order = factories.order(world.event, [world.ticket, (shirt, small), (shirt, medium)])
    db.session.commit()
    code = order.code
    assert listed(staff, f"item={shirt.id}") == {f"{code}-2", f"{code}-3"}
    assert listed(staff, f"item={shirt.id}&item={world.ticket.id}") == {f"{code}-1", f"{code}-2", f"{code}-3"}
    assert listed(staff, f"variation={medium.id}") == {f"{code}-3"}
    assert listed(staff, f"variation={small.id}&variation={medium.id}") == {f"{code}-2", f"{code}-3"}


def test_another_events_product_or_an_unknown_id_lists_nothing(staff, world):
    other = factories.event(world.organizer, slug="other")
    other_item = factories.item(other, "Other ticket")
    factories.order(other, [other_item])
    factories.order(world.event, [world.ticket])
    db.session.commit()
    for query in (f"item={other_item.id}", "item=987654321", "variation=987654321", "subevent=987654321"):
        response = staff.get(f"{LIST}?{query}")
        assert tickets_in(response) == [], query
        assert "No tickets match" in response.get_data(as_text=True)
    assert f"Product: unknown ({other_item.id})" in staff.get(f"{LIST}?item={other_item.id}").get_data(as_text=True)


def test_subevent_filter(staff, world):
    early, late = factories.subevent(world.event, "Early", days=5), factories.subevent(world.event, "Late", days=9)
    a = factories.order(world.event, [world.ticket], subevent=early)
    b = factories.order(world.event, [world.ticket], subevent=late)
    db.session.commit()
    assert listed(staff, f"subevent={early.id}") == {f"{a.code}-1"}
    assert listed(staff, f"subevent={early.id}&subevent={late.id}") == {f"{a.code}-1", f"{b.code}-1"}
    html = staff.get(f"{LIST}?subevent={late.id}").get_data(as_text=True)
    assert "Date: Late, " in html


def test_order_status_filter_takes_several(staff, world):
    orders = {s: factories.order(world.event, [world.ticket], status=s) for s in (N, P, E, C)}
    db.session.commit()
    assert listed(staff, "status=p&status=e") == {f"{orders[P].code}-1", f"{orders[E].code}-1"}
    assert listed(staff, "status=c") == {f"{orders[C].code}-1"}


def test_has_checkin(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket], status=P)
    checkin_list = CheckinList(event_id=world.event.id, name="Entrance")
    db.session.add(checkin_list)
    db.session.flush()
    db.session.add(Checkin(list_id=checkin_list.id, position_id=order.all_positions[0].id))
    db.session.commit()
    assert listed(staff, "has_checkin=true") == {f"{order.code}-1"}
    assert listed(staff, "has_checkin=false") == {f"{order.code}-2"}
    row = staff.get(LIST).get_data(as_text=True).split(f'data-ticket="{order.code}-1"')[1].split("</tr>")[0]
    assert "<td>yes</td>" in row


def test_addon_to_voucher_customer_secret_and_pseudonymization_id(staff, world):
    customer = factories.customer(world.organizer)
    voucher = Voucher(event_id=world.event.id, code="EARLY2026")
    db.session.add(voucher)
    db.session.flush()
    order = factories.order(world.event, [world.ticket, world.ticket, world.ticket], customer=customer)
    main, addon, other = order.all_positions
    addon.addon_to_id = main.id
    other.voucher_id = voucher.id
    plain = factories.order(world.event, [world.ticket])
    db.session.commit()
    code = order.code
    assert listed(staff, f"addon_to={main.id}") == {f"{code}-2"}
    assert listed(staff, "voucher_code=EARLY2026") == {f"{code}-3"}
    assert listed(staff, f"voucher={voucher.id}") == {f"{code}-3"}
    assert listed(staff, "voucher_code=NOPE") == set()
    assert listed(staff, f"customer={customer.identifier.lower()}") == {f"{code}-1", f"{code}-2", f"{code}-3"}
    assert listed(staff, f"secret={other.secret}") == {f"{code}-3"}
    assert listed(staff, f"secret={other.secret[:10]}") == set()  # exact, not a beginning
    assert listed(staff, f"pseudonymization_id={plain.all_positions[0].pseudonymization_id}") == {f"{plain.code}-1"}


def test_attendee_name_is_exact_and_brings_the_attendees_addons(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket, world.ticket])
    main, addon, other = order.all_positions
    named(main, "Ada Lovelace")
    named(addon, None)
    addon.addon_to_id = main.id
    named(other, "Ada Lovelace-King")
    db.session.commit()
    code = order.code
    assert listed(staff, "attendee_name=ada lovelace") == {f"{code}-1", f"{code}-2"}


# --- the search box --------------------------------------------------------------------------------

@pytest.fixture
def family(world):
    """One order: Anna Böhm with an add-on, Bruno Klein; invoice name Clara Weiß; one other order."""
    shirt = factories.item(world.event, "Shirt", "15.00", is_addon=True)
    order = factories.order(world.event, [world.ticket, shirt, world.ticket], email="family@example.org")
    anna, anna_shirt, bruno = order.all_positions
    named(anna, "Anna Böhm", "anna@example.org")
    named(anna_shirt, None)
    anna_shirt.addon_to_id = anna.id
    named(bruno, "Bruno Klein")
    db.session.add(InvoiceAddress(order=order, name_cached="Clara Weiß", company="Weiß & Söhne"))
    other = factories.order(world.event, [world.ticket])
    named(other.all_positions[0], "Dora Other")
    db.session.commit()
    return order, other


def test_search_finds_the_attendee_and_her_addons_not_the_rest_of_the_order(staff, family):
    order, _ = family
    code = order.code
    assert listed(staff, "search=bohm") == {f"{code}-1", f"{code}-2"}
    assert listed(staff, "search=BÖHM anna") == {f"{code}-1", f"{code}-2"}
    assert listed(staff, "search=klein") == {f"{code}-3"}
    assert listed(staff, "search=anna@example") == {f"{code}-1", f"{code}-2"}


def test_search_by_invoice_name_code_or_buyer_lists_the_whole_order(staff, family):
    order, _ = family
    everyone = {f"{order.code}-1", f"{order.code}-2", f"{order.code}-3"}
    assert listed(staff, "search=clara weiss") == everyone
    assert listed(staff, f"search={order.code.lower()}") == everyone
    assert listed(staff, "search=family@") == everyone
    # a name spelt as the index spells it but not the narrowing: the whole order, never nothing
    assert listed(staff, "search=boehm") == everyone


def test_search_by_the_beginning_of_a_secret_lists_that_ticket(staff, family):
    order, _ = family
    bruno = order.all_positions[2]
    assert listed(staff, f"search={bruno.secret[:6]}") == {f"{order.code}-3"}
    assert listed(staff, f"search={bruno.secret[:6].upper()}") == {f"{order.code}-3"}


def test_search_words_must_all_name_one_ticket(staff, family):
    order, _ = family
    assert listed(staff, "search=anna klein") == set()  # two attendees, no ticket is both
    assert listed(staff, "search=anna clara") == {f"{order.code}-1", f"{order.code}-2"}
    assert listed(staff, "search=100%25") == set()  # a literal %, not a wildcard


def test_search_finds_the_orders_the_order_list_finds(staff, family):
    order, other = family
    for text in ("bohm", "klein", "clara", "family", order.code, "söhne", "dora", "example.org", "nobody"):
        order_list = staff.get(f"/demo/events/conf/orders/?search={text}").get_data(as_text=True)
        orders = set(re.findall(r'data-code="([A-Z0-9]+)"', order_list))
        assert {t.rsplit("-", 1)[0] for t in listed(staff, f"search={text}")} == orders, text


def test_a_name_search_that_finds_nothing_suggests_names(staff, family):
    html = staff.get(f"{LIST}?search=bruno kleim").get_data(as_text=True)
    assert "No tickets match" in html and "Did you mean" in html and "Bruno Klein" in html


# --- ordering and paging ---------------------------------------------------------------------------

@pytest.fixture
def three_orders(world):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = []
    for i, (status, names) in enumerate([(C, ["Zoe", "Adam"]), (N, ["Mia"]), (P, ["Bea", None, "Carl"])]):
        order = factories.order(world.event, [world.ticket] * len(names), status=status, when=base + timedelta(days=i))
        for position, name in zip(order.all_positions, names):
            named(position, name)
        made.append(order)
    db.session.commit()
    return made


def test_default_ordering_is_order_date_then_position_id(staff, three_orders):
    expected = [f"{o.code}-{p.positionid}" for o in three_orders for p in o.all_positions]
    assert tickets_in(staff.get(LIST)) == expected
    assert tickets_in(staff.get(f"{LIST}?sort=-datetime")) == expected[::-1]
    assert tickets_in(staff.get(f"{LIST}?sort=order__datetime")) == expected  # 003's name
    assert tickets_in(staff.get(f"{LIST}?sort=nonsense")) == expected


@pytest.mark.parametrize("key", ["code", "positionid", "status", "attendee_name"])
def test_ordering_both_directions(staff, three_orders, key):
    positions = [p for o in three_orders for p in o.all_positions]
    sort_keys = {
        "code": lambda p: (p.order.code, p.positionid, p.id),
        "positionid": lambda p: (p.positionid, p.id),
        "status": lambda p: (p.order.status, p.order.id, p.positionid, p.id),
    }
    if key == "attendee_name":
        # tickets without a name last, in both directions
        with_name = sorted((p for p in positions if p.attendee_name), key=lambda p: (p.attendee_name, p.id))
        without = [p for p in positions if not p.attendee_name]
        ascending, descending = with_name + without, with_name[::-1] + without
    else:
        ascending = sorted(positions, key=sort_keys[key])
        descending = ascending[::-1]
    assert tickets_in(staff.get(f"{LIST}?sort={key}")) == [ticket(p) for p in ascending]
    assert tickets_in(staff.get(f"{LIST}?sort=-{key}")) == [ticket(p) for p in descending]
    html = staff.get(f"{LIST}?sort=-{key}").get_data(as_text=True)
    assert re.search(r'aria-sort="descending"', html)


def test_paging_50_per_page(staff, world):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = [factories.order(world.event, [world.ticket, world.ticket], when=base + timedelta(minutes=i))
            for i in range(26)]
    db.session.commit()
    first = staff.get(LIST)
    assert len(tickets_in(first)) == 50 and "1–50 of 52 tickets" in first.get_data(as_text=True)
    second = staff.get(f"{LIST}?page=2")
    assert tickets_in(second) == [f"{made[-1].code}-1", f"{made[-1].code}-2"]
    assert "51–52 of 52 tickets" in second.get_data(as_text=True)


def test_more_tickets_than_the_count_cap_say_so_and_page_on(staff, world, monkeypatch):
    from backoffice.domain import paging
    monkeypatch.setattr(paging, "COUNT_CAP", 40)
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = [factories.order(world.event, [world.ticket, world.ticket], when=base + timedelta(minutes=i))
            for i in range(30)]
    db.session.commit()
    first = staff.get(LIST)
    assert len(tickets_in(first)) == 50 and "1–50 of more than 40 tickets" in first.get_data(as_text=True)
    second = staff.get(f"{LIST}?page=2")
    assert tickets_in(second) == [f"{o.code}-{n}" for o in made[25:] for n in (1, 2)]


# --- htmx regions and the export -------------------------------------------------------------------

def export_href(html: str) -> str:
    return unescape(re.search(r'id="export-csv"[^>]*href="([^"]+)"', html).group(1))


def test_the_table_fragment_carries_the_export_of_its_own_query(staff, three_orders):
    html = staff.get(f"{LIST}?status=p&status=c&sort=-attendee_name&page=1", htmx=True,
                     headers={"HX-Target": "ticket-table"}).get_data(as_text=True)
    assert html.lstrip().startswith('<section id="ticket-table"') and "<html" not in html
    assert export_href(html) == f"{EXPORT}?status=p&status=c&sort=-attendee_name"
    assert '<input type="hidden" name="sort" form="ticket-filters" value="-attendee_name">' in html
    on_screen = re.findall(r'data-ticket="([A-Z0-9]+-[0-9]+)"', html)
    rows = exported(staff, "status=p&status=c&sort=-attendee_name")
    assert [f"{r['order']}-{r['positionid']}" for r in rows] == on_screen


def test_links_in_the_list_answer_with_filter_bar_and_table(staff, three_orders):
    html = staff.get(f"{LIST}?status=n", htmx=True, headers={"HX-Target": "ticket-list"}).get_data(as_text=True)
    assert '<div id="ticket-list">' in html and "<html" not in html and 'id="ticket-table"' in html
    assert re.search(r'<option value="n"\s+selected>', html)


def test_csv_is_the_whole_filtered_list_in_its_order(staff, world):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(39):  # 26 paid orders: 52 tickets, two pages
        order = factories.order(world.event, [world.ticket, world.ticket], status=P if i % 3 else N,
                                when=base + timedelta(hours=i))
        named(order.all_positions[0], f"Person {i:02d}")
    db.session.commit()
    query = "status=p&sort=-attendee_name"
    on_screen = tickets_in(staff.get(f"{LIST}?{query}")) + tickets_in(staff.get(f"{LIST}?{query}&page=2"))
    rows = exported(staff, query)
    assert len(rows) == 52 and [f"{r['order']}-{r['positionid']}" for r in rows] == on_screen
    first = rows[0]
    assert first["attendee_name"] == "Person 38" and first["order_status"] == "paid" and first["price"] == "50.00"
    assert first["canceled"] == "false" and first["checked_in"] == "false" and len(first["secret"]) == 32


def test_csv_defuses_formulas_in_names(staff, world):
    order = factories.order(world.event, [world.ticket])
    named(order.all_positions[0], "=HYPERLINK(1)", "@evil@example.org")
    db.session.commit()
    row = exported(staff)[0]
    assert row["attendee_name"] == "'=HYPERLINK(1)" and row["attendee_email"] == "'@evil@example.org"


# --- who may see it ---------------------------------------------------------------------------------

def test_view_only_staff_sees_the_list(browser, world):
    order = factories.order(world.event, [world.ticket])
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    assert listed(browser) == {f"{order.code}-1"}
    assert browser.get(EXPORT).status_code == 200


@pytest.mark.parametrize("who,status", [("limited to another event", 404), ("without order rights", 403),
                                        ("of another organizer", 404)])
def test_staff_who_may_not_see_the_events_orders_are_refused(browser, world, who, status):
    other_event = factories.event(world.organizer, slug="other")
    if who == "limited to another event":
        user = factories.user(org=world.organizer, all_events=False, events=[other_event])
    elif who == "without order rights":
        user = factories.user(org=world.organizer, can_view_orders=False, can_change_orders=False)
    else:
        rival = factories.organizer(slug="rival")
        factories.event(rival, slug="conf")
        user = factories.user(org=rival)
    factories.order(world.event, [world.ticket])
    db.session.commit()
    browser.login(user.email)
    for url in (LIST, EXPORT):
        assert browser.get(url).status_code == status, url


# --- hostile values -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["item", "variation", "subevent", "addon_to", "voucher", "page"])
def test_ids_beyond_64_bits_are_ignored_with_a_notice(staff, world, name):
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    for value in (str(2**64), "9" * 30, "-" + "9" * 30, "²"):
        response = staff.get(f"{LIST}?{name}={value}")
        assert f"Ignored the filter &#39;{name}&#39;" in response.get_data(as_text=True), value
        assert tickets_in(response) == [f"{order.code}-1"]
        assert staff.get(f"{EXPORT}?{name}={value}").status_code == 200


def test_other_hostile_values_never_answer_5xx(staff, world):
    factories.order(world.event, [world.ticket])
    db.session.commit()
    for value in ("9999-12-31", "0001-01-01", "1e999", "NaN", "x" * 5000, "<script>alert(1)</script>", "%", "_"):
        for name in ("search", "order", "customer", "voucher_code", "secret", "pseudonymization_id", "attendee_name",
                     "status", "has_checkin", "include_canceled_positions", "sort"):
            for url in (LIST, EXPORT):
                response = staff.get(url, query_string={name: value})
                assert response.status_code == 200, (url, name, value)
    html = staff.get(LIST, query_string={"search": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_a_nul_character_is_refused_with_a_message(staff, world):
    response = staff.get(f"{LIST}?search=a%00b")
    assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)


# --- queries ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "search=attendee&status=n", "sort=attendee_name&has_checkin=false"])
def test_list_query_count_does_not_grow_with_rows(staff, world, count_queries, query):
    shirt = factories.item(world.event, "Shirt", "15.00", variations=[("S", "15.00")], is_addon=True)

    def add_orders(n):
        for _ in range(n):
            order = factories.order(world.event, [world.ticket, (shirt, shirt.variations[0])])
            order.all_positions[1].addon_to_id = order.all_positions[0].id
        db.session.commit()

    add_orders(2)
    db.session.expire_all()
    with count_queries() as few:
        assert staff.get(f"{LIST}?{query}").status_code == 200
    add_orders(22)  # 48 tickets: still one page, which the capped paging reads without a count
    db.session.expire_all()
    with count_queries() as many:
        assert staff.get(f"{LIST}?{query}").status_code == 200
    assert few.count == many.count, many.statements
    assert many.count <= 10
