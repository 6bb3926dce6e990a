"""Order lists: 003's filters with their semantics, ordering, paging, CSV, permissions, query counts."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backoffice.domain.models import InvoiceAddress, OrderPayment, OrderStatus
from backoffice.extensions import db
from tests import factories

N, P, E, C = OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.EXPIRED, OrderStatus.CANCELED
LIST = "/demo/events/conf/orders/"


def codes_in(response) -> set[str]:
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    import re
    return set(re.findall(r'data-code="([A-Z0-9]+)"', html))


def listed(staff, query: str = "", url: str = LIST) -> set[str]:
    return codes_in(staff.get(f"{url}?{query}"))


@pytest.fixture
def two(world):
    """Two orders that differ in one attribute at a time, set by each test."""
    a = factories.order(world.event, [world.ticket])
    b = factories.order(world.event, [world.ticket])
    return a, b


def test_list_shows_columns(staff, world):
    customer = factories.customer(world.organizer)
    order = factories.order(world.event, [world.ticket, world.ticket], status=P, customer=customer,
                            email="anna@example.org")
    db.session.add(InvoiceAddress(order=order, name_cached="Anna Invoice", name_parts={"_scheme": "full", "full_name": "Anna Invoice"}))
    db.session.commit()
    html = staff.get(LIST).get_data(as_text=True)
    for text in (order.code, "status-paid", "anna@example.org", customer.identifier, "Anna Invoice",
                 "€100.00", "1–1 of 1 orders"):
        assert text in html


def test_code_filter(staff, two):
    assert listed(staff, f"code={two[0].code.lower()}") == {two[0].code}


def test_status_filter_takes_several(staff, world):
    orders = {s: factories.order(world.event, [world.ticket], status=s) for s in (N, P, E, C)}
    db.session.commit()
    assert listed(staff, "status=p&status=e") == {orders[P].code, orders[E].code}
    assert listed(staff, "status=c") == {orders[C].code}


def test_search_matches_names_emails_companies_and_code(staff, world):
    by_email = factories.order(world.event, [world.ticket], email="zora@example.org")
    by_address = factories.order(world.event, [world.ticket])
    db.session.add(InvoiceAddress(order=by_address, name_cached="Xaver Zorn", company="Umbrella Corp"))
    by_attendee = factories.order(world.event, [world.ticket])
    by_attendee.all_positions[0].attendee_name_cached = "Zoran Attendee"
    other = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert listed(staff, "search=zor") == {by_email.code, by_address.code, by_attendee.code}
    assert listed(staff, "search=umbrella") == {by_address.code}
    assert listed(staff, f"search={other.code}") == {other.code}
    assert listed(staff, "search=100%25") == set()  # a literal %, not a wildcard


def test_email_filter_is_exact_and_case_insensitive(staff, world):
    exact = factories.order(world.event, [world.ticket], email="Mia@Example.org")
    factories.order(world.event, [world.ticket], email="mia@example.org.uk")
    db.session.commit()
    assert listed(staff, "email=mia@example.org") == {exact.code}


def test_customer_filter(staff, world, two):
    customer = factories.customer(world.organizer)
    two[0].customer = customer
    db.session.commit()
    assert listed(staff, f"customer={customer.identifier}") == {two[0].code}


def test_item_and_variation_filters_include_canceled_positions(staff, world):
    shirt = factories.item(world.event, "Shirt", "15.00", variations=[("S", "15.00"), ("M", "15.00")])
    small, medium = shirt.variations
    with_small = factories.order(world.event, [world.ticket, (shirt, small)])
    with_medium = factories.order(world.event, [(shirt, medium)])
    with_medium.all_positions[0].canceled = True  # 003: canceled positions still match
    ticket_only = factories.order(world.event, [world.ticket])
    db.session.commit()
    assert listed(staff, f"item={shirt.id}") == {with_small.code, with_medium.code}
    assert listed(staff, f"variation={medium.id}") == {with_medium.code}
    assert listed(staff, f"item={world.ticket.id}") == {with_small.code, ticket_only.code}


def test_subevent_filters(staff, world):
    base = datetime(2030, 5, 10, 18, 0, tzinfo=timezone.utc)
    early = factories.subevent(world.event, "Early")
    early.date_from, early.date_to = base, base + timedelta(hours=3)
    late = factories.subevent(world.event, "Late")
    late.date_from, late.date_to = base + timedelta(days=1), None
    o_early = factories.order(world.event, [world.ticket], subevent=early)
    o_late = factories.order(world.event, [world.ticket], subevent=late)
    db.session.commit()
    assert listed(staff, f"subevent={early.id}") == {o_early.code}
    # after: exclusive, by the end (or the start when there is no end)
    assert listed(staff, "subevent_after=2030-05-10T21:00:00%2B00:00") == {o_late.code}
    assert listed(staff, "subevent_after=2030-05-10T20:59:00%2B00:00") == {o_early.code, o_late.code}
    # before: exclusive, by the start
    assert listed(staff, "subevent_before=2030-05-10T18:00:00%2B00:00") == set()
    assert listed(staff, "subevent_before=2030-05-10T18:01:00%2B00:00") == {o_early.code}


def test_boolean_and_text_filters(staff, world):
    test = factories.order(world.event, [world.ticket], testmode=True)
    approval = factories.order(world.event, [world.ticket], require_approval=True)
    german = factories.order(world.event, [world.ticket], locale="de")
    box = factories.order(world.event, [world.ticket], sales_channel="box_office")
    db.session.commit()
    assert listed(staff, "testmode=true") == {test.code}
    assert test.code not in listed(staff, "testmode=false")
    assert listed(staff, "require_approval=true") == {approval.code}
    assert approval.code not in listed(staff, "require_approval=false")
    assert listed(staff, "locale=de") == {german.code}
    assert listed(staff, "sales_channel=box_office") == {box.code}


def test_payment_provider_includes_failed_payments(staff, world):
    failed = factories.order(world.event, [world.ticket])
    db.session.add(OrderPayment(order=failed, local_id=1, state="failed", amount=Decimal("50.00"), provider="banktransfer"))
    paid = factories.order(world.event, [world.ticket], status=P)  # manual
    db.session.commit()
    assert listed(staff, "payment_provider=banktransfer") == {failed.code}
    assert listed(staff, "payment_provider=manual") == {paid.code}


def test_created_since_inclusive_and_before_exclusive(staff, world):
    moment = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)
    at = factories.order(world.event, [world.ticket], when=moment)
    later = factories.order(world.event, [world.ticket], when=moment + timedelta(seconds=1))
    db.session.commit()
    assert listed(staff, "created_since=2026-02-01T12:00:00%2B00:00") == {at.code, later.code}
    assert listed(staff, "created_before=2026-02-01T12:00:01%2B00:00") == {at.code}
    assert listed(staff, "created_before=2026-02-01T12:00:00%2B00:00") == set()


def test_modified_since(staff, world):
    old = factories.order(world.event, [world.ticket], when=datetime(2025, 1, 1, tzinfo=timezone.utc))
    new = factories.order(world.event, [world.ticket], when=datetime(2026, 1, 1, tzinfo=timezone.utc))
    old.last_modified = datetime(2025, 1, 1, tzinfo=timezone.utc)  # only this column: the hook leaves it
    new.last_modified = datetime(2026, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    assert listed(staff, "modified_since=2025-06-01") == {new.code}
    old.comment = "touched"
    db.session.commit()
    assert listed(staff, "modified_since=2025-06-01") == {old.code, new.code}


def test_include_canceled_positions_changes_the_count_only(staff, world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    order.all_positions[1].canceled = True
    db.session.commit()
    count = lambda q: staff.get(f"{LIST}?{q}").get_data(as_text=True).split('<td class="money">')[1].split("<")[0]
    assert count("") == "1"
    assert count("include_canceled_positions=true") == "2"


def test_bad_filter_values_are_ignored_with_notice(staff, world, two):
    response = staff.get(f"{LIST}?item=abc&created_since=yesterday&status=x&testmode=maybe")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ignored the filter &#39;item&#39;" in html and "Ignored the filter &#39;created_since&#39;" in html
    assert codes_in(response) == {two[0].code, two[1].code}


def test_filter_chips_and_empty_state(staff, two):
    html = staff.get(f"{LIST}?search=nobody&status=p").get_data(as_text=True)
    assert "Search: nobody" in html and "Status: paid" in html
    assert "No orders match" in html and "clear all filters" in html


@pytest.mark.parametrize("key", ["datetime", "code", "last_modified", "status", "total"])
def test_ordering_both_directions(staff, world, key):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = [factories.order(world.event, [world.ticket] * (i + 1), status=s, when=base + timedelta(days=i))
            for i, s in enumerate([C, N, P])]
    db.session.commit()
    expected = sorted(made, key=lambda o: (getattr(o, key), o.id))
    import re
    for sort, order in ((key, expected), (f"-{key}", expected[::-1])):
        html = staff.get(f"{LIST}?sort={sort}").get_data(as_text=True)
        assert re.findall(r'data-code="([A-Z0-9]+)"', html) == [o.code for o in order]


def test_paging_50_per_page(staff, world):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = [factories.order(world.event, [world.ticket], when=base + timedelta(minutes=i)) for i in range(53)]
    db.session.commit()
    first = staff.get(LIST)
    assert len(codes_in(first)) == 50 and "1–50 of 53 orders" in first.get_data(as_text=True)
    second = staff.get(f"{LIST}?page=2")
    assert codes_in(second) == {o.code for o in made[:3]}
    assert "51–53 of 53 orders" in second.get_data(as_text=True)


def test_htmx_request_gets_the_table_fragment(staff, two):
    response = staff.get(f"{LIST}?status=n", htmx=True)
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="order-table"') and "<html" not in html
    assert codes_in(response) == {two[0].code, two[1].code}


def test_organizer_list_spans_visible_events_only(browser, world):
    other_event = factories.event(world.organizer, slug="other", name="Other Event")
    factories.item(other_event)
    mine = factories.order(world.event, [world.ticket])
    hidden = factories.order(other_event, [factories.item(other_event)])
    limited = factories.user(org=world.organizer, all_events=False, events=[world.event])
    db.session.commit()
    browser.login(limited.email)
    html = browser.get("/demo/orders/").get_data(as_text=True)
    assert mine.code in html and hidden.code not in html and "Conference" in html


def test_csv_export_follows_filters(staff, world):
    paid = factories.order(world.event, [world.ticket], status=P, email="paid@example.org")
    factories.order(world.event, [world.ticket])
    db.session.commit()
    response = staff.get(f"{LIST}export.csv?status=p")
    assert response.mimetype == "text/csv"
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheets read it as UTF-8
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["event", "code", "status"]
    assert [r[1] for r in rows[1:]] == [paid.code]
    assert rows[1][rows[0].index("paid")] == "50.00" and rows[1][rows[0].index("email")] == "paid@example.org"


def test_csv_export_defuses_formulas_in_free_text(staff, world):
    from backoffice.domain.models import InvoiceAddress
    order = factories.order(world.event, [world.ticket])
    db.session.add(InvoiceAddress(order=order, name_parts={"_scheme": "full", "full_name": "=HYPERLINK(1)"},
                                  name_cached="=HYPERLINK(1)", company="@SUM(A1)"))
    db.session.commit()
    body = staff.get(f"{LIST}export.csv").get_data().decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    row = dict(zip(rows[0], rows[1]))
    assert "'=HYPERLINK(1)" in row.values() and "'@SUM(A1)" in row.values()


def test_view_only_staff_sees_the_list(browser, world, two):
    viewer = factories.user(org=world.organizer, can_change_orders=False)
    db.session.commit()
    browser.login(viewer.email)
    assert listed(browser) == {two[0].code, two[1].code}


def test_other_organizers_list_is_404(browser, world):
    other = factories.organizer(slug="rival")
    factories.event(other, slug="conf")
    outsider = factories.user(org=other)
    db.session.commit()
    browser.login(outsider.email)
    assert browser.get(LIST).status_code == 404
    assert browser.get("/demo/orders/").status_code == 404


@pytest.mark.parametrize("url", [LIST, "/demo/orders/", f"{LIST}?search=example&status=n"])
def test_list_query_count_does_not_grow_with_rows(staff, world, count_queries, url):
    customer = factories.customer(world.organizer)

    def add_orders(n):
        for _ in range(n):
            o = factories.order(world.event, [world.ticket, world.ticket], customer=customer, fees=[("payment", "1.00")])
            db.session.add(InvoiceAddress(order=o, name_cached="Name"))
            db.session.add(OrderPayment(order=o, local_id=1, state="confirmed", amount=Decimal("1.00"), provider="manual"))
        db.session.commit()

    add_orders(2)
    db.session.expire_all()  # each request starts from fresh rows, as in production
    with count_queries() as few:
        assert staff.get(url).status_code == 200
    add_orders(30)
    db.session.expire_all()
    with count_queries() as many:
        assert staff.get(url).status_code == 200
    assert few.count == many.count, many.statements
    assert many.count <= 12


def _row_of(html: str, code: str) -> str:
    return html.split(f'id="order-row-{code}"')[1].split("</tr>")[0]


def test_include_canceled_fees_shows_canceled_fees_in_the_row_and_the_csv(staff, world):
    order = factories.order(world.event, [world.ticket], fees=[("payment", "2.00"), ("other", "3.00")])
    order.all_fees[1].canceled = True
    db.session.commit()
    plain = _row_of(staff.get(LIST).get_data(as_text=True), order.code)
    with_canceled = _row_of(staff.get(f"{LIST}?include_canceled_fees=true").get_data(as_text=True), order.code)
    assert "fees €2.00" in plain and "fees €5.00" not in plain
    assert "fees €5.00" in with_canceled

    def csv_fees(query):
        body = staff.get(f"{LIST}export.csv?{query}").get_data().decode("utf-8").removeprefix("\ufeff")
        header, row = list(csv.reader(io.StringIO(body)))
        return row[header.index("fees")]

    assert (csv_fees(""), csv_fees("include_canceled_fees=true")) == ("2.00", "5.00")


def test_organizer_wide_csv_is_the_organizer_wide_list_with_its_filters(staff, world):
    import re
    other_event = factories.event(world.organizer, slug="other", name="Other Event")
    other_item = factories.item(other_event)
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = [factories.order(ev, [it], status=s, when=base + timedelta(hours=i))
            for i, (ev, it, s) in enumerate([(world.event, world.ticket, P), (other_event, other_item, P),
                                             (world.event, world.ticket, N), (other_event, other_item, C),
                                             (other_event, other_item, P)])]
    rival = factories.organizer(slug="rival")
    rival_event = factories.event(rival, slug="conf")
    factories.order(rival_event, [factories.item(rival_event)], status=P)
    db.session.commit()
    for query in ("", "status=p", "status=p&sort=-code", "status=n&status=c&sort=datetime"):
        html = staff.get(f"/demo/orders/?{query}").get_data(as_text=True)
        listed_codes = re.findall(r'data-code="([A-Z0-9]+)"', html)
        body = staff.get(f"/demo/orders/export.csv?{query}").get_data().decode("utf-8").removeprefix("\ufeff")
        rows = list(csv.reader(io.StringIO(body)))
        assert [r[1] for r in rows[1:]] == listed_codes, query
        assert {r[0] for r in rows[1:]} <= {"conf", "other"}
    assert len(re.findall(r'data-code="', staff.get("/demo/orders/?status=p").get_data(as_text=True))) == 3
    assert {o.code for o in made} == set(re.findall(r'data-code="([A-Z0-9]+)"',
                                                    staff.get("/demo/orders/").get_data(as_text=True)))


def _codes_on(staff, url: str) -> list[str]:
    import re
    response = staff.get(url)
    assert response.status_code == 200
    return re.findall(r'data-code="([A-Z0-9]+)"', response.get_data(as_text=True))


@pytest.mark.parametrize("url", [LIST, "/demo/orders/"])
@pytest.mark.parametrize("sort", ["-datetime", "datetime", "-code", "total"])
def test_more_matches_than_the_cap_say_more_than_and_still_page(staff, world, monkeypatch, url, sort):
    """Above the cap the count says 'more than …' (an exact count would read every match), and the
    pages, read through the sort column's index, hold the same orders in the same order as
    without a cap; the CSV still has all of them."""
    from backoffice.domain import paging
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    made = [factories.order(world.event, [world.ticket] * (1 + i % 3), email=f"many{i}@example.org",
                            when=base + timedelta(minutes=(i * 7) % 11)) for i in range(7)]
    factories.order(world.event, [world.ticket], email="someone@example.org", when=base)
    db.session.commit()
    exact = _codes_on(staff, f"{url}?search=many&sort={sort}")
    assert sorted(exact) == sorted(o.code for o in made) and "1–7 of 7 orders" in staff.get(
        f"{url}?search=many&sort={sort}").get_data(as_text=True)

    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    first = staff.get(f"{url}?search=many&sort={sort}").get_data(as_text=True)
    assert "1–2 of more than 5 orders" in first and 'rel="next"' in first
    paged = []
    for number in range(1, 5):
        paged += _codes_on(staff, f"{url}?search=many&sort={sort}&page={number}")
    assert paged == exact
    last = staff.get(f"{url}?search=many&sort={sort}&page=4").get_data(as_text=True)
    assert "7–7 of more than 5 orders" in last and 'aria-disabled=true tabindex=-1>Next' in last
    # past the end: the last page, counted exactly
    beyond = staff.get(f"{url}?search=many&sort={sort}&page=9").get_data(as_text=True)
    assert "7–7 of 7 orders" in beyond
    export = staff.get(f"{url}export.csv?search=many&sort={sort}").get_data(as_text=True)
    assert [row[1] for row in list(csv.reader(io.StringIO(export)))[1:]] == exact
    # without a search too: 8 orders of the event are more than 5
    assert "1–2 of more than 5 orders" in staff.get(url).get_data(as_text=True)
