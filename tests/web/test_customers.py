"""The customer pages: list, export, detail and the inline actions with their fragments."""
import csv
import io
import re
from html import unescape as html_unescape
from urllib.parse import parse_qs, urlsplit
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from backoffice.domain import customers
from backoffice.domain.audit import Actor, history
from backoffice.domain.models import Customer, LogEntry, OutboxEmail
from backoffice.extensions import db
from tests import factories

BASE = "/demo/customers/"


def url(c, suffix=""):
    return f"{BASE}{c.identifier}/{suffix}"


def text(response):
    return response.get_data(as_text=True)


def identifiers_in(html):
    return [c.identifier for c in db.session.scalars(select(Customer)) if f"<code>{c.identifier}</code>" in html]


@pytest.fixture
def people(world):
    """A handful of customers that differ in every filtered field."""
    org = world.organizer
    anna = factories.customer(org, "anna@example.org", "Anna Smith", phone="+4915112345678", company="ACME GmbH",
                              date_joined=datetime(2025, 1, 10, 12, tzinfo=timezone.utc),
                              last_modified=datetime(2025, 6, 1, 12, tzinfo=timezone.utc),
                              date_of_birth=date(1990, 3, 4), is_verified=True, marketing_consent=True,
                              last_login=datetime(2025, 6, 2, 12, tzinfo=timezone.utc),
                              marketing_opted_in_at=datetime(2025, 2, 1, 12, tzinfo=timezone.utc))
    bob = factories.customer(org, "bob@example.com", "Bob Jones", phone="+447912345678",
                             date_joined=datetime(2025, 3, 10, 12, tzinfo=timezone.utc),
                             last_modified=datetime(2025, 3, 10, 12, tzinfo=timezone.utc),
                             date_of_birth=date(1985, 7, 1), is_active=False, marketing_consent=False,
                             marketing_opted_out_at=datetime(2025, 4, 1, 12, tzinfo=timezone.utc))
    cleo = factories.customer(org, "cleo@example.net", "Cleo Smithers", company="Smith & Co",
                              last_login=datetime(2025, 1, 2, 12, tzinfo=timezone.utc),
                              date_joined=datetime(2025, 5, 10, 12, tzinfo=timezone.utc),
                              last_modified=datetime(2025, 5, 10, 12, tzinfo=timezone.utc))
    actor = Actor(user=world.admin)
    customers.add_tag(anna, tag="vip", actor=actor)
    customers.add_tag(bob, tag="press", actor=actor)
    customers.add_tag(cleo, tag="vip", actor=actor)
    factories.order(world.event, [world.ticket], customer=bob, when=datetime(2025, 4, 20, 12, tzinfo=timezone.utc))
    for c, joined in ((anna, 10), (bob, 3), (cleo, 5)):  # the tags moved last_modified: put it back
        pass
    anna.last_modified = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
    bob.last_modified = cleo.last_modified = datetime(2025, 3, 10, 12, tzinfo=timezone.utc)
    db.session.commit()
    return {"anna": anna, "bob": bob, "cleo": cleo}


def listed(staff, query=""):
    response = staff.get(BASE + query)
    assert response.status_code == 200, text(response)
    return response


def names(staff, query=""):
    html = text(listed(staff, query))
    return [n for n in ("Anna Smith", "Bob Jones", "Cleo Smithers") if n in html]


# --- list --------------------------------------------------------------------------------------

def test_list_shows_columns_and_total(staff, people):
    html = text(listed(staff))
    assert "1–3 of 3 customers" in html
    for expected in ("Anna Smith", "anna@example.org", "+4915112345678", "ACME GmbH", "vip", "verified", "blocked",
                     people["anna"].identifier):
        assert expected in html


def test_default_order_is_newest_first(staff, people):
    html = text(listed(staff))
    assert html.index("Cleo Smithers") < html.index("Bob Jones") < html.index("Anna Smith")


@pytest.mark.parametrize("query,expected", [
    ("?q=smith", ["Anna Smith", "Cleo Smithers"]),
    ("?q=SMITH", ["Anna Smith", "Cleo Smithers"]),
    ("?q=%40example.com", ["Bob Jones"]),
    ("?q=acme", ["Anna Smith"]),
    ("?q=0151+123", ["Anna Smith"]),
    ("?q=%2B44+7912", ["Bob Jones"]),
    ("?q=%25", []),
    ("?email=ANNA%40example.org", ["Anna Smith"]),
    ("?email=anna%40example", []),
    ("?tag=vip", ["Anna Smith", "Cleo Smithers"]),
    ("?tag=vip&tag=press", ["Anna Smith", "Bob Jones", "Cleo Smithers"]),
    ("?tag=vip,press", ["Anna Smith", "Bob Jones", "Cleo Smithers"]),
    ("?active=false", ["Bob Jones"]),
    ("?active=true", ["Anna Smith", "Cleo Smithers"]),
    ("?verified=true", ["Anna Smith"]),
    ("?joined_from=2025-03-10", ["Bob Jones", "Cleo Smithers"]),
    ("?joined_to=2025-03-10", ["Anna Smith", "Bob Jones"]),
    ("?modified_from=2025-05-01", ["Anna Smith"]),
    ("?modified_to=2025-05-01", ["Bob Jones", "Cleo Smithers"]),
    ("?booking_date_from=2025-04-01&booking_date_to=2025-04-30", ["Bob Jones"]),
    ("?booking_date_from=2025-05-01", []),
    ("?dob_month=3", ["Anna Smith"]),
    ("?dob_month=3&dob_month=7", ["Anna Smith", "Bob Jones"]),
    ("?consent=in", ["Anna Smith"]),
    ("?consent=out", ["Bob Jones"]),
    ("?consent=unknown", ["Cleo Smithers"]),
    ("?consent=in&consent_from=2025-02-02", []),
    ("?consent=out&consent_from=2025-04-01&consent_to=2025-04-01", ["Bob Jones"]),
    ("?anonymized=false", ["Anna Smith", "Bob Jones", "Cleo Smithers"]),
])
def test_filters(staff, people, query, expected):
    assert names(staff, query) == expected


@pytest.mark.parametrize("query,notice", [
    ("?active=maybe", "Ignored the filter &#39;active&#39;"),
    ("?joined_from=yesterday", "is not a date"),
    ("?dob_month=13", "is not a month"),
    ("?consent=sometimes", "Ignored the filter &#39;consent&#39;"),
    ("?sort=password", "is not a column to sort by"),
    ("?consent_from=2025-01-01", "choose opted in or opted out"),
    ("?page=abc", "is not a whole number"),
    ("?q=" + "x" * 300, "longer than 200 characters"),
])
def test_unknown_filter_values_give_a_notice_not_an_error(staff, people, query, notice):
    html = text(listed(staff, query))
    assert notice in html
    assert "Anna Smith" in html  # the bad filter is ignored


A, B, C = "Anna Smith", "Bob Jones", "Cleo Smithers"
HEADERS = {"identifier": "Identifier", "name": "Name", "email": "Email", "phone": "Phone", "company": "Company",
           "tags": "Tags", "active": "Active", "verified": "Verified", "joined": "Joined", "last_login": "Last login"}


def sort_arrows(html):
    """(direction, column label) of every column header that shows a sort arrow."""
    return re.findall(r'aria-sort="(ascending|descending)">\s*<a [^>]*>([^<]+?) [▲▼]</a>', html)


@pytest.mark.parametrize("sort,expected", [
    ("name", [A, B, C]), ("-name", [C, B, A]), ("email", [A, B, C]), ("-email", [C, B, A]),
    ("joined", [A, B, C]), ("-joined", [C, B, A]),
    ("company", [A, C, B]),  # "ACME GmbH", "Smith & Co", none last
    ("active", [B, A, C]), ("-verified", [A, C, B]),
    ("tags", [B, A, C]),  # press before vip; equal values by creation
    ("phone", [B, A, C]), ("-phone", [A, B, C]),  # +44 before +49, none last either way
    ("last_login", [C, A, B]), ("-last_login", [A, C, B]),  # never logged in: last either way
    ("last_modified", [B, C, A]),
    ("identifier", "by identifier"), ("-identifier", "by identifier, descending"),
])
def test_sort_by_every_column(staff, people, sort, expected):
    if isinstance(expected, str):  # identifiers are random: the order they sort in
        by_identifier = sorted(people.values(), key=lambda c: c.identifier, reverse=sort.startswith("-"))
        expected = [c.name for c in by_identifier]
    html = text(listed(staff, f"?sort={sort}"))
    assert sorted((A, B, C), key=html.index) == expected
    key = sort.lstrip("-")
    arrows = sort_arrows(html)
    if key in HEADERS:
        assert arrows == [("descending" if sort.startswith("-") else "ascending", HEADERS[key])]
    else:  # sortable, but not a column of the table: no header claims the order
        assert arrows == []


def test_pages_of_fifty(staff, world):
    for i in range(51):
        factories.customer(world.organizer, f"p{i:03}@example.org", f"Person {i:03}",
                           date_joined=datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=i))
    db.session.commit()
    first = text(listed(staff))
    assert "1–50 of 51 customers" in first and "Person 050" in first and "Person 000" not in first
    second = text(listed(staff, "?page=2"))
    assert "51–51 of 51 customers" in second and "Person 000" in second
    assert 'href="/demo/customers/?page=2"' in first
    assert "51–51 of 51" in text(listed(staff, "?page=99"))  # past the end: the last page


def test_filters_stay_in_pagination_and_sort_links(staff, world):
    for i in range(55):
        factories.customer(world.organizer, f"p{i:03}@example.org", f"Person {i:03}")
    db.session.commit()
    html = text(listed(staff, "?q=person&sort=name"))
    next_link = re.search(r'<a class="page-link" rel="next" href="([^"]+)"', html).group(1)
    assert query_of(next_link) == {"q": ["person"], "sort": ["name"], "page": ["2"]}
    sort_links = dict((label, query_of(href)) for href, label in
                      re.findall(r'<a class="sort-link[^"]*" href="([^"]+)">([^<]+?)(?: [▲▼])?</a>', html))
    assert set(sort_links) == set(HEADERS.values())
    for label, query in sort_links.items():
        assert query["q"] == ["person"], label
    assert sort_links["Name"]["sort"] == ["-name"]  # the sorted column offers the other direction
    assert sort_links["Email"]["sort"] == ["-email"]


def query_of(href):
    return parse_qs(urlsplit(html_unescape(href)).query)


def test_htmx_search_returns_only_the_results_fragment(staff, people):
    response = staff.get(BASE + "?q=bob", htmx=True, headers={"HX-Target": "customer-results"})
    html = text(response)
    assert html.lstrip().startswith('<div id="customer-results"')
    assert "Bob Jones" in html and "Anna Smith" not in html
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_link_returns_the_list_with_the_filter_form(staff, people):
    html = text(staff.get(BASE + "?tag=vip", htmx=True, headers={"HX-Target": "customer-list"}))
    assert html.lstrip().startswith('<div id="customer-list"')
    assert 'id="customer-filters"' in html and "<html" not in html


def test_without_htmx_the_same_url_is_a_whole_page(staff, people):
    html = text(listed(staff, "?q=bob"))
    assert "<html" in html and 'id="customer-filters"' in html and "Bob Jones" in html
    history_restore = staff.get(BASE + "?q=bob", htmx=True, headers={"HX-History-Restore-Request": "true",
                                                                      "HX-Target": "customer-results"})
    assert "<html" in text(history_restore)


def test_active_filters_are_chips_that_remove_themselves(staff, people):
    html = text(listed(staff, "?tag=vip&tag=press&active=true"))
    assert "Tag: vip" in html and "Tag: press" in html and "Active: yes" in html
    assert 'href="/demo/customers/?tag=press&amp;active=true"' in html
    assert "Clear all" in html


def test_empty_result_explains_why(staff, people):
    html = text(listed(staff, "?q=nobody-at-all"))
    assert "No customers match" in html and "Search: nobody-at-all" in html and "Clear the filters" in html


def test_list_escapes_script_tags(staff, world):
    factories.customer(world.organizer, "x@example.org", "<script>alert(1)</script>", company="<img src=x>")
    db.session.commit()
    html = text(listed(staff))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x>" not in html
    assert "&lt;script&gt;" in text(listed(staff, "?q=%3Cscript%3E"))


def test_list_shows_only_this_organizers_customers(staff, world):
    factories.customer(factories.organizer(slug="other"), "other@example.org", "Other Person")
    db.session.commit()
    assert "Other Person" not in text(listed(staff))


def _many_customers(world, n):
    for i in range(n):
        c = factories.customer(world.organizer, f"bulk{i}-{n}@example.org", f"Bulk {i}")
        customers.add_tag(c, tag=f"t{i % 3}", actor=Actor(user=world.admin))
    db.session.commit()


@pytest.mark.parametrize("rows,query,expected", [
    # the user with their teams and organizers, page, tags of the page, the organizer's tag list; a
    # first page that is not full needs no count query
    (3, "?q=bulk&tag=t1&sort=-name", 4), (60, "?q=bulk&tag=t1&sort=-name", 4),
    # ... a full one does; on SQLite a one-word search counts through the search index, one
    # query for the identifier and one for the index (up to 1,001 each, see paging.COUNT_CAP)
    (60, "?q=bulk&sort=-name", 6), (160, "?q=bulk&sort=-name", 6), (160, "?q=bulk&sort=tags&page=3", 6),
])
def test_list_page_query_count_does_not_grow_with_rows(staff, world, count_queries, rows, query, expected):
    if expected == 6 and db.engine.dialect.name != "sqlite":
        # PostgreSQL counts a search's matches in the page query itself (paging.paginate_counted)
        expected = 4
    _many_customers(world, rows)
    with count_queries() as counter:
        listed(staff, query)
    assert counter.count == expected, "\n".join(counter.statements)


# --- export ------------------------------------------------------------------------------------

def test_csv_export_of_the_filtered_list(staff, people):
    people["anna"].notes = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    response = staff.get(BASE + "export.csv?tag=vip&sort=name")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["name"] for r in rows] == ["Anna Smith", "Cleo Smithers"]
    anna = rows[0]
    assert anna["identifier"] == people["anna"].identifier
    assert anna["email"] == "anna@example.org" and anna["phone"] == "+4915112345678"
    assert anna["name_parts.full_name"] == "Anna Smith"
    assert anna["tags"] == "vip" and anna["is_verified"] == "true" and anna["marketing_consent"] == "opted_in"
    assert anna["date_of_birth"] == "1990-03-04"
    assert anna["notes"].startswith("'=")  # no formulas into spreadsheets
    assert not any("password" in column for column in rows[0])


def test_csv_export_link_carries_the_filters(staff, people):
    html = text(listed(staff, "?tag=vip&page=1"))
    assert "/demo/customers/export.csv?tag=vip" in html


# --- detail ------------------------------------------------------------------------------------

def test_detail_shows_everything(staff, world, people):
    anna = people["anna"]
    anna.external_identifier, anna.notes, anna.street, anna.city = "ext-9", "Prefers email", "Main St 1", "Berlin"
    order = factories.order(world.event, [world.ticket], customer=anna, status="p")
    db.session.commit()
    html = text(staff.get(url(anna)))
    for expected in (anna.identifier, "Anna Smith", "anna@example.org", "+4915112345678", "ACME GmbH", "ext-9",
                     "Prefers email", "Main St 1", "Berlin", "1990-03-04", "opted in", "vip", "email verified",
                     order.code, "Conference", "€50.00", "History", "Tag added", 'id="customer-header"',
                     'id="customer-profile"', 'id="customer-tags"', 'id="customer-account"',
                     'id="customer-anonymize"', 'id="customer-history"'):
        assert expected in html, expected
    assert f"/demo/events/conf/orders/{order.code}/" in html


def test_detail_of_another_organizers_customer_is_404(staff, world):
    stranger = factories.customer(factories.organizer(slug="other"), "s@example.org", "Stranger")
    db.session.commit()
    assert staff.get(url(stranger)).status_code == 404
    assert staff.get(f"/other/customers/{stranger.identifier}/").status_code == 404
    for suffix, data in (("edit", {"email": "x@example.org"}), ("active", {"active": "0"}), ("tags", {"tag": "x"}),
                         ("tags/remove", {"tag": "x"}), ("password-link", {}), ("anonymize", {})):
        assert staff.post(url(stranger, suffix), data, htmx=True).status_code == 404, suffix
    db.session.refresh(stranger)
    assert stranger.email == "s@example.org" and stranger.is_active and not stranger.is_anonymized


def test_unknown_identifier_is_404(staff, world):
    assert staff.get(BASE + "NOPE123/").status_code == 404


@pytest.mark.parametrize("orders", [1, 12])
def test_detail_query_count_does_not_grow_with_orders_or_history(staff, world, count_queries, orders):
    c = factories.customer(world.organizer, "q@example.org", "Query Count")
    other_staff = factories.user(org=world.organizer)
    for i in range(orders):
        factories.order(world.event, [world.ticket], customer=c)
        by = world.admin if i % 2 else other_staff
        customers.add_tag(c, tag=f"tag{i}", actor=Actor(user=by))
    db.session.commit()
    detail_url = url(c)
    with count_queries() as counter:
        assert staff.get(detail_url).status_code == 200
    # the user with their teams and organizers, customer with its tags, orders with events and
    # their money, history with staff, tag list, its mails
    assert counter.count == 6, "\n".join(counter.statements)


def test_detail_escapes_script_tags(staff, world):
    c = factories.customer(world.organizer, "x@example.org", "<script>alert(1)</script>", notes="<script>n</script>")
    customers.add_tag(c, tag="<script>t</script>", actor=Actor(user=world.admin))
    db.session.commit()
    html = text(staff.get(url(c)))
    assert "<script>alert(1)</script>" not in html and "<script>n</script>" not in html
    assert "<script>t</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- create ------------------------------------------------------------------------------------

def test_create_page_and_create(staff, world):
    page = text(staff.get(BASE + "new"))
    assert 'name="name_full_name"' in page and 'name="send_email"' in page and "checked" not in page.split('name="send_email"')[1][:30]
    response = staff.post(BASE + "new", {"email": "New@Example.org", "phone": "12", "name_full_name": "New Person",
                                         "locale": "en", "tags": "vip, press", "marketing_consent": ""})
    assert response.status_code == 422
    assert "not a valid phone number" in text(response)
    assert 'value="New Person"' in text(response)  # what was typed is kept
    response = staff.post(BASE + "new", {"email": "New@Example.org", "phone": "030 1234567",  # national, as said
                                         "name_full_name": "New Person", "locale": "en", "tags": "vip, press",
                                         "password": "long-enough-pw", "marketing_consent": "in"})
    assert response.status_code == 303
    c = db.session.scalar(select(Customer).where(Customer.email == "New@example.org"))
    assert response.headers["Location"].endswith(url(c))
    assert c.phone == "+49301234567" and c.tags == ["press", "vip"] and c.marketing_consent is True
    assert customers.check_password(c, "long-enough-pw")
    assert db.session.scalar(select(OutboxEmail)) is None


def test_create_with_given_family_scheme(staff, world):
    world.organizer.name_scheme = "given_family"
    db.session.commit()
    assert 'name="name_given_name"' in text(staff.get(BASE + "new"))
    staff.post(BASE + "new", {"email": "gf@example.org", "name_given_name": "Ada", "name_family_name": "Lovelace",
                              "locale": "en"})
    assert db.session.scalar(select(Customer.name_cached).where(Customer.email == "gf@example.org")) == "Ada Lovelace"


def test_create_with_activation_mail(staff, world):
    response = staff.post(BASE + "new", {"email": "act@example.org", "locale": "en", "send_email": "y"},
                          follow_redirects=True)
    assert "An activation email was sent to act@example.org" in text(response)
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.to == "act@example.org" and "/demo/account/set-password/" in mail.body


@pytest.mark.parametrize("data,message", [
    ({"email": "dup@EXAMPLE.org"}, "already uses"),
    ({"email": "not-an-email"}, "not a valid email address"),
    ({"email": "x@example.org", "locale": "xx"}, "is not one of this organizer&#39;s languages"),
    ({"email": "x@example.org", "name_full_name": "x" * 10_000}, "at most 255 characters"),
    ({"email": ""}, "An email address is required"),
    ({"email": "x@example.org", "date_of_birth": "31.02.2020"}, "The date of birth must be a date (YYYY-MM-DD)"),
    ({"email": "x@example.org", "country": "Atlantis"}, "is not a country code"),
])
def test_create_refusals(staff, world, data, message):
    factories.customer(world.organizer, "dup@example.org")
    db.session.commit()
    before = db.session.query(Customer).count()
    response = staff.post(BASE + "new", {"locale": "en", **data})
    assert response.status_code == 422
    assert message in text(response)
    assert db.session.query(Customer).count() == before


def test_create_without_csrf_is_refused(staff, world):
    response = staff.post(BASE + "new", {"email": "x@example.org", "locale": "en"}, csrf=False)
    assert response.status_code == 400
    assert db.session.query(Customer).count() == 0


def test_create_needs_change_permission(browser, world):
    viewer = factories.user("viewer@example.org", org=world.organizer, can_change_customers=False)
    c = factories.customer(world.organizer)
    db.session.commit()
    browser.login(viewer.email)
    assert browser.get(BASE + "new").status_code == 403
    assert browser.post(url(c, "active"), {"active": "0"}, htmx=True).status_code == 403
    html = text(browser.get(url(c)))
    assert "Anonymize" not in html and "Block account" not in html


# --- edit --------------------------------------------------------------------------------------

@pytest.fixture
def anna(world):
    c = factories.customer(world.organizer, "anna@example.org", "Anna Smith", phone="+4915112345678")
    db.session.commit()
    return c


def edit_data(**changes):
    data = {"email": "anna@example.org", "phone": "+4915112345678", "name_full_name": "Anna Smith", "locale": "en",
            "marketing_consent": ""}
    data.update(changes)
    return data


def test_edit_form_fragment(staff, anna):
    html = text(staff.get(url(anna, "edit"), htmx=True))
    assert html.lstrip().startswith('<section id="customer-profile"')
    assert 'value="anna@example.org"' in html and 'value="Anna Smith"' in html
    assert "<html" in text(staff.get(url(anna, "edit")))  # without htmx: a page of its own


def test_edit_saves_and_returns_profile_header_and_history(staff, anna):
    response = staff.post(url(anna, "edit"), edit_data(name_full_name="Anna Maria Smith", company="ACME"), htmx=True)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<section id="customer-profile"')
    assert "Saved: Company, Name." in html
    assert 'id="customer-header" class="d-flex flex-wrap align-items-start gap-2 mb-3" hx-swap-oob="true"' in html
    assert 'id="customer-history" hx-swap-oob="true"' in html and "Changed" in html
    db.session.refresh(anna)
    assert anna.name == "Anna Maria Smith" and anna.company == "ACME"
    entry = history(anna)[0]
    assert entry.data["changed"]["company"] == {"old": None, "new": "ACME"}


def test_edit_error_fragment_keeps_the_input(staff, world, anna):
    factories.customer(world.organizer, "bob@example.org")
    db.session.commit()
    response = staff.post(url(anna, "edit"), edit_data(email="BOB@example.org", company="Typed"), htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert html.lstrip().startswith('<section id="customer-profile"')
    assert "Another customer already uses the email address" in html and 'value="Typed"' in html
    db.session.refresh(anna)
    assert anna.email == "anna@example.org" and anna.company is None


def test_edit_refuses_huge_names_and_bad_phone(staff, anna):
    for data, message in ((edit_data(name_full_name="x" * 10_000), "at most 255 characters"),
                          (edit_data(phone="12"), "not a valid phone number")):
        response = staff.post(url(anna, "edit"), data, htmx=True)
        assert response.status_code == 422 and message in text(response)
    db.session.refresh(anna)
    assert anna.name == "Anna Smith"


def test_edit_without_js_redirects_with_a_message(staff, anna):
    response = staff.post(url(anna, "edit"), edit_data(city="Hamburg"), follow_redirects=True)
    assert "Saved: City." in text(response)


def test_edit_without_csrf_is_refused(staff, anna):
    response = staff.post(url(anna, "edit"), edit_data(city="Hamburg"), htmx=True, csrf=False)
    assert response.status_code == 400
    db.session.refresh(anna)
    assert anna.city is None


def test_profile_fragment_for_cancel(staff, anna):
    html = text(staff.get(url(anna, "profile"), htmx=True))
    assert html.lstrip().startswith('<section id="customer-profile"') and "anna@example.org" in html


# --- inline actions ----------------------------------------------------------------------------

def test_block_and_activate_fragment(staff, anna):
    response = staff.post(url(anna, "active"), {"active": "0"}, htmx=True)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<div id="customer-header"')
    assert "blocked" in html and "Activate account" in html and "Deactivated" in html
    db.session.refresh(anna)
    assert not anna.is_active
    html = text(staff.post(url(anna, "active"), {"active": "1"}, htmx=True))
    assert "Account activated." in html and "Block account" in html


def test_block_error_fragment_for_anonymized_customer(staff, world, anna):
    customers.anonymize_customer(anna, actor=Actor(user=world.admin))
    db.session.commit()
    response = staff.post(url(anna, "active"), {"active": "1"}, htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert html.lstrip().startswith('<div id="customer-header"') and "was anonymized" in html
    assert "hx-swap-oob" not in html


def test_add_and_remove_tag_fragments(staff, world, anna):
    factories.customer(world.organizer, "other@example.org")
    customers.add_tag(db.session.scalar(select(Customer).where(Customer.email == "other@example.org")),
                      tag="season", actor=Actor(user=world.admin))
    db.session.commit()
    response = staff.post(url(anna, "tags"), {"tag": "vip"}, htmx=True)
    html = text(response)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="customer-tags"')
    assert "Tag “vip” added." in html and 'aria-label="Remove tag vip"' in html
    assert '<option value="season">' in html  # autocomplete from the organizer's tags
    assert 'id="customer-history" hx-swap-oob="true"' in html
    response = staff.post(url(anna, "tags/remove"), {"tag": "vip"}, htmx=True)
    assert "Tag “vip” removed." in text(response) and "No tags." in text(response)
    db.session.refresh(anna)
    assert anna.tags == []


def test_tag_error_fragments(staff, anna):
    staff.post(url(anna, "tags"), {"tag": "vip"}, htmx=True)
    response = staff.post(url(anna, "tags"), {"tag": "VIP"}, htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert html.lstrip().startswith('<section id="customer-tags"') and "already has the tag" in html
    assert 'value="VIP"' in html
    response = staff.post(url(anna, "tags/remove"), {"tag": "gone"}, htmx=True)
    assert response.status_code == 422 and "has no tag" in text(response)
    response = staff.post(url(anna, "tags"), {"tag": "x" * 10_000}, htmx=True)
    assert response.status_code == 422 and "at most 100 characters" in text(response)


def test_tag_without_csrf_is_refused(staff, anna):
    assert staff.post(url(anna, "tags"), {"tag": "vip"}, htmx=True, csrf=False).status_code == 400
    db.session.refresh(anna)
    assert anna.tags == []


def test_send_password_link_fragment(staff, anna):
    response = staff.post(url(anna, "password-link"), htmx=True)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<section id="customer-account"')
    assert "A link to set a password was sent to anna@example.org" in html
    assert "Send activation link again" in html
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.to == "anna@example.org" and mail.object_id == anna.id


def test_send_password_link_error_fragment(staff, anna):
    staff.post(url(anna, "active"), {"active": "0"}, htmx=True)
    response = staff.post(url(anna, "password-link"), htmx=True)
    assert response.status_code == 422
    assert "This account is blocked" in text(response)
    assert db.session.scalar(select(OutboxEmail)) is None


def test_actions_without_js_redirect_back_with_a_message(staff, anna):
    response = staff.post(url(anna, "tags"), {"tag": "vip"}, follow_redirects=True)
    assert "Tag “vip” added." in text(response)
    response = staff.post(url(anna, "tags"), {"tag": "vip"}, follow_redirects=True)
    assert "already has the tag" in text(response)


# --- anonymize ---------------------------------------------------------------------------------

def test_anonymize_confirm_then_done(staff, world, anna):
    factories.order(world.event, [world.ticket], customer=anna)
    factories.order(world.event, [world.ticket], customer=anna)
    db.session.commit()
    confirm = text(staff.get(url(anna, "anonymize"), htmx=True))
    assert confirm.lstrip().startswith('<section id="customer-anonymize"')
    assert "anna@example.org" in confirm and "2 orders will be detached" in confirm
    assert "cannot be undone" in confirm and "autofocus" in confirm.split("Keep the customer")[0]
    db.session.refresh(anna)
    assert not anna.is_anonymized  # asking is not doing
    response = staff.post(url(anna, "anonymize"), htmx=True)
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<div id="customer-detail"')
    assert "Customer anonymized" in html and "Anonymized customer" in html
    assert "anna@example.org" not in html and "Anna Smith" not in html and "+4915112345678" not in html
    assert "Anonymize…" not in html and "Yes, anonymize" not in html
    page = text(staff.get(url(anna)))
    assert "anonymized" in page and "Anna Smith" not in page and "Anonymize…" not in page


def test_anonymize_leaves_no_personal_data_in_history_or_mails(staff, world, anna):
    actor = Actor(user=world.admin)
    customers.update_customer(anna, actor=actor, email="anna.old@example.org", company="Smith Consulting",
                              name_parts={"_scheme": "full", "full_name": "Anna Old-Smith"})
    customers.send_password_link(anna, actor=actor)
    db.session.commit()
    personal = ("anna@example.org", "anna.old@example.org", "Anna Smith", "Anna Old-Smith", "Smith Consulting",
                "+4915112345678")
    assert "anna.old@example.org" in text(staff.get(url(anna)))  # history and mails before
    staff.post(url(anna, "anonymize"), htmx=True)
    pages = [text(staff.get(url(anna))), text(staff.get("/demo/outbox/"))]
    pages += [text(staff.get(f"/demo/outbox/{m.id}/")) for m in db.session.scalars(select(OutboxEmail))]
    stored = [repr(e.data) for e in db.session.scalars(select(LogEntry))]
    stored += [f"{m.to} {m.subject} {m.body} {m.body_to_send}" for m in db.session.scalars(select(OutboxEmail))]
    for value in personal:
        assert not any(value in page for page in pages), value
        assert not any(value in row for row in stored), value
    # what happened stays readable, without the values
    assert "(erased)" in pages[0]  # the change entries still say what changed, not to what
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.status == "failed" and "anonymized" in mail.last_error  # nothing goes out to the old address
    response = staff.post(f"/demo/outbox/{mail.id}/retry", htmx=True)
    assert response.status_code == 422 and "erased when its customer was anonymized" in text(response)
    db.session.refresh(mail)
    assert mail.status == "failed"


def test_second_anonymize_says_already_anonymized(staff, world, anna):
    staff.post(url(anna, "anonymize"), htmx=True)
    count = db.session.query(LogEntry).count()
    response = staff.post(url(anna, "anonymize"), htmx=True)
    assert response.status_code == 200
    assert "already anonymized; nothing was changed" in text(response)
    assert db.session.query(LogEntry).count() == count


def test_anonymize_without_js_has_a_confirmation_page(staff, anna):
    page = text(staff.get(url(anna, "anonymize")))
    assert "<html" in page and "Yes, anonymize" in page
    response = staff.post(url(anna, "anonymize"), follow_redirects=True)
    assert "Customer anonymized" in text(response)


def test_anonymize_without_csrf_is_refused(staff, anna):
    assert staff.post(url(anna, "anonymize"), htmx=True, csrf=False).status_code == 400
    db.session.refresh(anna)
    assert not anna.is_anonymized


def test_anonymize_error_fragment(staff, anna, monkeypatch):
    from backoffice.domain.errors import Conflict

    def refuse(customer, **kw):
        raise Conflict("Someone else is changing this customer; try again.")
    monkeypatch.setattr(customers, "anonymize_customer", refuse)
    response = staff.post(url(anna, "anonymize"), htmx=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#customer-anonymize"
    assert "Someone else is changing" in text(response)


def test_there_is_no_delete(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("customers.")]
    assert not any("DELETE" in r.methods or "delete" in r.rule for r in rules)


# --- phone numbers and countries ---------------------------------------------------------------

@pytest.mark.parametrize("timezone_name,typed,stored", [
    ("Europe/Berlin", "0170 1234567", "+491701234567"),
    ("Europe/Berlin", "+44 7912 345678", "+447912345678"),
    ("Europe/London", "07912 345678", "+447912345678"),
    ("America/New_York", "(212) 555-0123", "+12125550123"),
])
def test_phone_typed_as_in_the_organizers_country_is_accepted(staff, world, anna, timezone_name, typed, stored):
    world.organizer.timezone = timezone_name
    db.session.commit()
    response = staff.post(url(anna, "edit"), edit_data(phone=typed, seen=seen(anna)), htmx=True)
    assert response.status_code == 200, text(response)
    db.session.refresh(anna)
    assert anna.phone == stored
    # the list's search finds the customer by the digits as they were typed
    assert anna.identifier in text(listed(staff, "?q=" + typed.replace(" ", "+").replace("(", "").replace(")", "")))


def test_national_phone_needs_a_country_when_the_organizer_has_none(staff, world, anna):
    world.organizer.timezone = "UTC"
    db.session.commit()
    response = staff.post(url(anna, "edit"), edit_data(phone="0170 1234567", seen=seen(anna)), htmx=True)
    assert response.status_code == 422
    assert "is not a valid phone number" in text(response) and "international format" in text(response)
    db.session.refresh(anna)
    assert anna.phone == "+4915112345678"


def test_country_is_chosen_by_name_and_stored_as_code(staff, anna):
    form = text(staff.get(url(anna, "edit"), htmx=True))
    assert re.search(r'<select class="form-select[^"]*" id="country" name="country">', form)
    assert '<option value="AT">Austria</option>' in form and '<option value="DE">Germany</option>' in form
    response = staff.post(url(anna, "edit"), edit_data(country="AT", seen=seen(anna)), htmx=True)
    assert response.status_code == 200 and "Austria" in text(response)
    db.session.refresh(anna)
    assert anna.country == "AT"
    form = text(staff.get(url(anna, "edit"), htmx=True))
    assert '<option selected value="AT">Austria</option>' in form


# --- every error at once -----------------------------------------------------------------------

def test_create_shows_every_error_at_once(staff, world):
    response = staff.post(BASE + "new", {"email": "broken", "phone": "12", "locale": "en",
                                         "date_of_birth": "2020-02-31", "name_full_name": "Typed Name"})
    assert response.status_code == 422
    html = text(response)
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert "There are 3 problems" in summary
    for field, message in (("email", "not a valid email address"), ("phone", "not a valid phone number"),
                           ("date_of_birth", "must be a date")):
        assert re.search(rf'<a class="alert-link fw-normal" href="#{field}">[^<]*{message}', summary), field
        assert re.search(rf'id="{field}-error">.*?{message}', html), field  # and next to the field
        assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="{field}"|<input[^>]*id="{field}"[^>]*aria-invalid', html)
    assert 'value="Typed Name"' in html
    assert db.session.query(Customer).count() == 0


def test_edit_shows_every_error_at_once(staff, world, anna):
    factories.customer(world.organizer, "bob@example.org")
    db.session.commit()
    response = staff.post(url(anna, "edit"), edit_data(email="bob@example.org", phone="call me",
                                                       name_full_name="x" * 300, seen=seen(anna)), htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert html.lstrip().startswith('<section id="customer-profile"')
    assert "There are 3 problems" in html
    assert 'href="#email">Email: Another customer already uses' in html
    assert 'href="#phone">Phone: &#39;call me&#39; is not a valid phone number' in html
    assert 'href="#name_full_name">Name: A name may be at most 255 characters long.' in html
    db.session.refresh(anna)
    assert (anna.email, anna.phone, anna.name) == ("anna@example.org", "+4915112345678", "Anna Smith")


# --- two agents on the same customer -----------------------------------------------------------

def seen(customer):
    db.session.refresh(customer)
    return customer.last_modified.isoformat()


def seen_in(html):
    return re.search(r'id="seen" name="seen" type="hidden" value="([^"]+)"', html).group(1)


def test_edit_form_carries_the_state_it_shows(staff, anna):
    assert seen_in(text(staff.get(url(anna, "edit"), htmx=True))) == seen(anna)


def test_stale_save_is_refused_showing_both_values(staff, world, anna):
    opened = seen_in(text(staff.get(url(anna, "edit"), htmx=True)))
    colleague = factories.user(org=world.organizer)
    customers.update_customer(anna, actor=Actor(user=colleague), city="Hamburg", seen_last_modified=opened)
    db.session.commit()
    saved = seen(anna)

    response = staff.post(url(anna, "edit"), edit_data(company="Typed Co", city="Berlin", seen=opened), htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert html.lstrip().startswith('<section id="customer-profile"')
    assert "This customer changed since you opened the form" in html
    assert re.search(r"<th[^>]*>City</th><td>Hamburg</td><td>Berlin</td>", html)  # theirs beside yours
    assert 'value="Typed Co"' in html and 'value="Berlin"' in html  # what was typed is kept
    assert seen_in(html) == saved  # saving again is a deliberate choice
    db.session.expire_all()
    assert (anna.city, anna.company, seen(anna)) == ("Hamburg", None, saved)
    assert [e.action_type for e in history(anna)] == ["customer.changed"]

    response = staff.post(url(anna, "edit"), edit_data(company="Typed Co", city="Berlin", seen=saved), htmx=True)
    assert response.status_code == 200
    db.session.refresh(anna)
    assert (anna.city, anna.company) == ("Berlin", "Typed Co")


def test_stale_save_without_javascript_is_refused_on_the_edit_page(staff, anna):
    opened = seen(anna)
    staff.post(url(anna, "edit"), edit_data(notes="first", seen=opened), htmx=True)
    response = staff.post(url(anna, "edit"), edit_data(notes="second", seen=opened))
    assert response.status_code == 422
    html = text(response)
    assert "<html" in html and "This customer changed since you opened the form" in html
    assert "second</textarea>" in html
    db.session.refresh(anna)
    assert anna.notes == "first"


def test_a_tag_change_makes_an_open_form_stale(staff, anna):
    opened = seen(anna)
    staff.post(url(anna, "tags"), {"tag": "vip"}, htmx=True)
    response = staff.post(url(anna, "edit"), edit_data(city="Bonn", seen=opened), htmx=True)
    assert response.status_code == 422
    html = text(response)
    assert "This customer changed since you opened the form" in html
    assert html.count('<th scope="row"') == 1 and "<td>(empty)</td><td>Bonn</td>" in html  # only what differs
    response = staff.post(url(anna, "edit"), edit_data(seen=opened), htmx=True)
    assert response.status_code == 422 and "the change was elsewhere (tags or account)" in text(response)
    db.session.refresh(anna)
    assert anna.city is None and anna.tags == ["vip"]


# --- password links and blocked accounts -------------------------------------------------------

def test_blocked_customer_is_not_offered_a_password_link(staff, anna):
    response = staff.post(url(anna, "active"), {"active": "0"}, htmx=True)
    html = text(response)
    assert response.status_code == 200
    account = html.split('<section id="customer-account"')[1]
    assert account.lstrip().startswith('class="mb-4" aria-labelledby="account-heading" hx-swap-oob="true"')
    assert "no password link can be sent" in account and "/password-link" not in account
    page = text(staff.get(url(anna)))
    assert "no password link can be sent" in page and "/password-link" not in page
    html = text(staff.post(url(anna, "active"), {"active": "1"}, htmx=True))
    assert "/password-link" in html.split('<section id="customer-account"')[1]


def test_blocking_ends_a_password_link_already_sent(staff, world, anna):
    staff.post(url(anna, "password-link"), htmx=True)
    mail = db.session.scalar(select(OutboxEmail))
    token = (mail.body_to_send or mail.body).split("/set-password/")[1].split()[0]
    link = f"/demo/account/set-password/{token}"
    assert client_get(staff, link).status_code == 200
    staff.post(url(anna, "active"), {"active": "0"}, htmx=True)
    staff.post(url(anna, "active"), {"active": "1"}, htmx=True)  # activating again does not revive it
    response = client_get(staff, link)
    assert "This link is no longer valid" in text(response)
    db.session.refresh(anna)
    assert anna.password_token_hash is None and anna.password_token_expires is None
    assert "password link" in history(anna)[1].data  # the deactivation says the link was ended


def client_get(staff, path):
    return staff.client.get(path)


# --- orders on the customer page follow the reader's order permissions -------------------------

@pytest.fixture
def two_events(world, anna):
    other = factories.event(world.organizer, "other", name="Other Fest")
    other_ticket = factories.item(other)
    here = factories.order(world.event, [world.ticket], customer=anna)
    there = [factories.order(other, [other_ticket], customer=anna) for _ in range(2)]
    db.session.commit()
    return here, there


def test_customers_only_team_sees_no_order_codes(browser, world, anna, two_events):
    here, there = two_events
    support = factories.user(org=world.organizer, can_view_orders=False, can_change_orders=False)
    db.session.commit()
    html = text(browser.login(support.email).get(url(anna)))
    for order in (here, *there):
        assert order.code not in html
    assert "3 orders in events whose orders you cannot see." in html
    assert "No orders linked" not in html


def test_team_limited_to_one_event_sees_only_its_orders(browser, world, anna, two_events):
    here, there = two_events
    box_office = factories.user(org=world.organizer, all_events=False, events=[world.event])
    db.session.commit()
    html = text(browser.login(box_office.email).get(url(anna)))
    assert here.code in html
    for order in there:
        assert order.code not in html
    assert "2 more orders in events whose orders you cannot see." in html


def test_team_with_every_event_sees_every_order(staff, anna, two_events):
    here, there = two_events
    html = text(staff.get(url(anna)))
    assert all(o.code in html for o in (here, *there)) and "cannot see" not in html


@pytest.mark.parametrize("sort", ["", "&sort=joined", "&sort=-name"])
def test_more_customers_than_the_cap_say_more_than_and_still_page(staff, world, monkeypatch, sort):
    """Above the cap the count says 'more than …'; the pages (a search sorted by date joined is
    read through the organizer's index) hold the same customers in the same order as without."""
    from backoffice.domain import paging
    for i in range(7):
        factories.customer(world.organizer, f"many{i}@example.org", f"Many {i}",
                           date_joined=datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=(i * 5) % 7))
    factories.customer(world.organizer, "other@example.org", "Other Person")
    db.session.commit()
    exact = identifiers_in_order(text(listed(staff, f"?q=many{sort}")))
    assert len(exact) == 7
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    first = text(listed(staff, f"?q=many{sort}"))
    assert "1–2 of more than 5 customers" in first
    paged = []
    for number in range(1, 5):
        paged += identifiers_in_order(text(listed(staff, f"?q=many{sort}&page={number}")))
    assert paged == exact
    assert "7–7 of more than 5 customers" in text(listed(staff, f"?q=many{sort}&page=4"))
    assert "7–7 of 7 customers" in text(listed(staff, f"?q=many{sort}&page=9"))  # past the end
    assert "1–2 of more than 5 customers" in text(listed(staff, sort.replace("&", "?", 1)))


def identifiers_in_order(html):
    return re.findall(r"<code>([A-Z0-9]{7})</code>", html)
