"""Hostile input never answers 5xx, and a refused form changes nothing.

The generic tests walk the app's URL map: every GET route gets hostile values in every query
parameter the lists know (and in its path segments), every POST route gets them in each of its
form fields, one field at a time (field names are read from the forms on the rendered pages).
The organizer and event sit far from UTC (Pacific/Kiritimati, UTC+14, and Pacific/Pago_Pago,
UTC-11), where out-of-range dates overflow when converted.

The targeted tests below check what a user sees for each kind of value.
"""
from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from sqlalchemy import func, select

from backoffice.domain import api_tokens, customer_queries, customers, organizer_settings
from backoffice.domain.models import (ApiToken, Customer, CustomerTag, Event, InvoiceAddress, Item, LogEntry, Order,
                                      OrderPayment, OrderRefund, OrderStatus, Organizer, OutboxEmail, OutboxStatus,
                                      Team, User, utcnow)
from backoffice.domain.order_queries import OrderFilters
from backoffice.extensions import db
from tests import factories
from tests.conftest import Browser, csrf_from
from tests.web.product_targets import make_product_targets, product_pages, product_seen, product_values
from tests.web.event_targets import event_pages, event_seen, event_values

DATES = ["0001-01-01", "9999-12-31", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]
# 2**40 fits 64 bits but not PostgreSQL's 32-bit integer columns; "²".isdigit() is True, int("²") fails
NUMBERS = [str(2**40), str(2**64), "9" * 30, "-" + "9" * 30, "²"]
AMOUNTS = ["1e999", "NaN", "Infinity", "9" * 27]
TEXTS = ["nul\x00byte", "x" * 5000]
HOSTILE = DATES + NUMBERS + AMOUNTS + TEXTS

TOKEN = "t" * 43
SKIPPED_ENDPOINTS = {
    "static", "main.favicon",
    "auth.logout",  # no fields; ending the session would end the walk (login is walked separately)
}
QUERY_NAMES = {"page", "sort", "q", "go", "next", "status"}


# --- the site the walk runs on ---------------------------------------------------------------------

@dataclasses.dataclass
class Site:
    organizer: Organizer
    event: Event
    item: Item
    customer: Customer
    order: Order
    mail: OutboxEmail
    team_values: dict


def _order(event: Event, item: Item, **kw) -> Order:
    order = factories.order(event, [item], **kw)
    db.session.add(InvoiceAddress(order=order, company="Hostile Ltd", name_parts={"_scheme": "full"}))
    db.session.flush()
    return order


def fresh_order(site: Site, endpoint: str) -> Order:
    """An order in a state where the action of `endpoint` is allowed."""
    name = endpoint.split(".")[-1]
    kw = {"approve": dict(require_approval=True), "deny": dict(require_approval=True),
          "delete": dict(testmode=True), "mark_pending": dict(status=OrderStatus.PAID),
          "reactivate": dict(status=OrderStatus.CANCELED)}.get(name, {})
    if name.startswith(("payment_", "refund_")):
        kw = dict(status=OrderStatus.CANCELED, paid=True)
    order = _order(site.event, site.item, customer=site.customer, **kw)
    if name.startswith(("payment_", "refund_")):
        _add_money(order)
    if name == "invoice_reissue":
        from backoffice.domain import invoices
        from backoffice.domain.audit import SYSTEM
        invoices.create_invoice(order, actor=SYSTEM)
    db.session.commit()
    return order


def _add_money(order: Order) -> None:
    """Payment #1 confirmed (the factory's), #2 created; refund #1 created, #2 external; the
    order is canceled, so the amount due for refund is offered too."""
    confirmed = order.payments[0]
    db.session.add(OrderPayment(order=order, local_id=2, state="created", amount=Decimal("10.00"),
                                provider="banktransfer"))
    for local_id, state in ((1, "created"), (2, "external")):
        db.session.add(OrderRefund(order=order, local_id=local_id, state=state, amount=Decimal("5.00"),
                                   provider="manual", payment=confirmed))
    db.session.flush()


def fresh_customer_for(organizer: Organizer) -> Customer:
    """A customer with a tag and a live password link (TOKEN)."""
    customer = factories.customer(organizer, name="Hostile Input", password_token_hash=customers._token_hash(TOKEN),
                                  password_token_expires=utcnow() + timedelta(days=1))
    db.session.add(CustomerTag(organizer_id=organizer.id, customer_id=customer.id, name="vip"))
    db.session.flush()
    return customer


def fresh_team_targets(organizer: Organizer) -> dict:
    """A team with a member who holds the live invitation link (TOKEN), and an active API token."""
    for user in db.session.scalars(select(User).where(User.password_token_hash.is_not(None))):
        user.password_token_hash = None
    member = factories.user(org=organizer, can_manage_team=False)
    member.password_token_hash = api_tokens.token_hash(TOKEN)
    member.password_token_expires = utcnow() + timedelta(days=1)
    team = member.teams[0]
    token = ApiToken(team=team, name="Hostile", token_hash=api_tokens.token_hash(f"token-{team.id}"))
    db.session.add(token)
    db.session.commit()
    return dict(team_id=str(team.id), user_id=str(member.id), token_id=str(token.id))


def fresh_customer(site: Site) -> Customer:
    customer = fresh_customer_for(site.organizer)
    db.session.commit()
    return customer


@pytest.fixture
def site() -> Site:
    organizer = factories.organizer(slug="far", timezone="Pacific/Kiritimati")
    event = factories.event(organizer, slug="conf", timezone="Pacific/Pago_Pago")
    factories.subevent(event)
    item = factories.item(event, "Ticket", "30.00", variations=[("Balcony", "40.00")])
    factories.quota(event, [item], 100)
    make_product_targets(event, item)
    factories.user("far-admin@example.org", org=organizer)
    customer = fresh_customer_for(organizer)
    order = _order(event, item, customer=customer)
    mail = OutboxEmail(organizer_id=organizer.id, event_id=event.id, to="anna@example.org", subject="Hello",
                       body="Hello", template="order_link", object_type="order", object_id=order.id,
                       status=OutboxStatus.FAILED)
    db.session.add(mail)
    db.session.commit()
    return Site(organizer, event, item, customer, order, mail, fresh_team_targets(organizer))


@pytest.fixture
def admin(browser, site) -> Browser:
    return browser.login("far-admin@example.org")


def url_values(site: Site, order: Order | None = None, customer: Customer | None = None,
               team_values: dict | None = None) -> dict:
    order = order or site.order
    customer = customer or site.customer
    return dict(organizer=site.organizer.slug, event=site.event.slug, code=order.code, secret=order.secret,
                identifier=customer.identifier, mail_id=str(site.mail.id), token=TOKEN, local_id="1", positionid="1", invoice_id="1", output="pdf",
                **(team_values or site.team_values), **product_values(site), **event_values(site))


def build(rule, values: dict) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", quote(values[name], safe=""), path)
    return path


def routes(app, method: str):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS or method not in rule.methods:
            continue
        if rule.endpoint.startswith("api."):  # token-authenticated JSON: tests/api/test_hostile.py walks it
            continue
        yield rule


# --- reading the forms of a page ----------------------------------------------------------------------

class FormParser(HTMLParser):
    """Every form of a page: method, action and its fields with their initial values."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "",
                          "fields": {}}
            self.forms.append(self._form)
        if self._form is not None and tag in ("button", "input") and a.get("formaction"):
            self._form.setdefault("formactions", []).append(a["formaction"])
        if self._form is None or not a.get("name"):
            return
        fields = self._form["fields"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or a["name"] not in fields:
                    fields[a["name"]] = a.get("value", "on") if "checked" in a else ""
            else:
                fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "button":
            fields.setdefault(a["name"], a.get("value") or "")
        elif tag == "select":
            self._select = a["name"]
            fields.setdefault(a["name"], "")
        elif tag == "option" and self._select and ("selected" in a or not fields[self._select]):
            fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            fields.setdefault(a["name"], "")

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            # a button's formaction sends the same fields elsewhere (e.g. a preview)
            for action in self._form.pop("formactions", []) if self._form else []:
                self.forms.append({**self._form, "action": action, "fields": dict(self._form["fields"])})
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_of(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def harvest_forms(app, client: Browser, site: Site) -> tuple[dict[str, dict], dict[str, set[str]]]:
    """The forms of the pages by the endpoint they are sent to: POST forms as field -> initial
    value, GET forms (filters, search) as the names of their fields."""
    pages = [f"/{site.organizer.slug}/events/conf/orders/", f"/{site.organizer.slug}/orders/",
             f"/{site.organizer.slug}/events/conf/orders/new",
             f"/{site.organizer.slug}/customers/", f"/{site.organizer.slug}/customers/new",
             f"/{site.organizer.slug}/outbox/", f"/{site.organizer.slug}/outbox/{site.mail.id}/",
             f"/{site.organizer.slug}/account/set-password/{TOKEN}", "/search?q=Hostile",
             f"/{site.organizer.slug}/team/", f"/{site.organizer.slug}/team/new",
             f"/{site.organizer.slug}/team/{site.team_values['team_id']}/edit",
             f"/{site.organizer.slug}/team/{site.team_values['team_id']}/delete",
             f"/{site.organizer.slug}/team/join/{TOKEN}", f"/{site.organizer.slug}/settings/", "/account"]
    pages += product_pages(site)
    pages += event_pages(site)
    for endpoint in ("orders.approve", "orders.delete", "orders.mark_pending", "orders.reactivate",
                     "orders.extend", "orders.payment_create", "orders.invoice_reissue"):
        order = fresh_order(site, endpoint)
        pages.append(f"/{site.organizer.slug}/events/conf/orders/{order.code}/")
    pages.append(f"/{site.organizer.slug}/events/conf/orders/{fresh_order(site, 'orders.change_save').code}/change")
    identifier = site.customer.identifier
    pages += [f"/{site.organizer.slug}/customers/{identifier}/",
              f"/{site.organizer.slug}/customers/{identifier}/edit",
              f"/{site.organizer.slug}/customers/{identifier}/anonymize"]
    adapter = app.url_map.bind("localhost")
    posts: dict[str, dict] = {}
    query_names: dict[str, set[str]] = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.status_code)
        for form in forms_of(response.get_data(as_text=True)):
            action = urlsplit(form["action"] or page).path
            if form["method"] == "get":
                endpoint, _ = adapter.match(action, method="GET")
                query_names.setdefault(endpoint, set()).update(form["fields"])
                continue
            endpoint, _ = adapter.match(action, method="POST")
            fields = posts.setdefault(endpoint, {})
            for name, value in form["fields"].items():
                fields.setdefault(name, value)
    return posts, query_names


# --- what a refusal must leave alone ------------------------------------------------------------------

def fingerprint(order: Order | None, customer: Customer | None) -> tuple:
    """What any accepted change moves: the audit log, the outbox, the target's last_modified."""
    db.session.rollback()
    parts = [db.session.scalar(select(func.count(LogEntry.id))),
             db.session.scalar(select(func.count(OutboxEmail.id)))]
    if order is not None:
        parts += db.session.execute(select(Order.status, Order.last_modified, Order.total, Order.expires)
                                    .where(Order.id == order.id)).all()
    if customer is not None:
        parts += db.session.execute(select(Customer.last_modified, Customer.password_token_hash)
                                    .where(Customer.id == customer.id)).all()
    return tuple(parts)


def send(client, method: str, url: str, *, data: dict | None = None, htmx: bool = False):
    """The response, or the exception a view raised (TESTING lets it through instead of a 500)."""
    try:
        if method == "GET":
            return client.get(url, htmx=htmx)
        return client.post(url, data=data, htmx=htmx)
    except Exception as e:  # noqa: BLE001 - any exception is what a user would see as a 500
        db.session.rollback()
        return e


def failure(response) -> str | None:
    if isinstance(response, Exception):
        return f"{type(response).__name__}: {str(response)[:200]}"
    if response.status_code >= 500:
        return f"status {response.status_code}"
    return None


def report(failures: list[str]) -> str:
    return f"{len(failures)} requests failed:\n" + "\n".join(failures[:40])


# --- the generic walks --------------------------------------------------------------------------------

ORDER_QUERY = {f.name for f in dataclasses.fields(OrderFilters)} | {"page", "sort"}
CUSTOMER_QUERY = set(customer_queries.URL_NAMES.values()) | {"page"}


def query_names(endpoint: str, harvested: dict[str, set[str]]) -> list[str]:
    """The parameters `endpoint` reads: its family's filters and the fields of its filter forms
    (a list and its export read the same filters)."""
    family = endpoint.split(".")[0]
    known = {"orders": ORDER_QUERY, "customers": CUSTOMER_QUERY}.get(family, set())
    from_forms = set().union(*(names for e, names in harvested.items() if e.split(".")[0] == family))
    return sorted(known | from_forms | QUERY_NAMES)


def test_no_query_parameter_value_answers_5xx(app, admin, site):
    """Every GET route, every parameter at once set to each hostile value."""
    _, harvested = harvest_forms(app, admin, site)
    values = url_values(site)
    failures = []
    for rule in routes(app, "GET"):
        path = build(rule, values)
        names = query_names(rule.endpoint, harvested)
        for i, value in enumerate(HOSTILE):
            query = {name: value for name in names}
            queries = [query]
            if rule.endpoint in ("customers.customer_list", "customers.export_csv"):
                queries.append({**query, "consent": "in"})  # the consent dates apply only with a choice
            for query in queries:
                problem = failure(send(admin, "GET", f"{path}?{urlencode(query)}", htmx=i % 2 == 1))
                if problem:
                    failures.append(f"GET {rule.endpoint} every parameter={value[:40]!r}: {problem}")
    assert not failures, report(failures)


def test_no_list_parameter_answers_5xx_alone(app, admin, site):
    """One parameter at a time on the lists, so that no refusal of one hides a crash in another.
    (NUL bytes and long text are refused before any parsing; the walk above covers them.)"""
    _, harvested = harvest_forms(app, admin, site)
    values = url_values(site)
    failures = []
    for endpoint in ("orders.event_list", "customers.customer_list", "outbox.outbox_list"):
        rule = next(r for r in routes(app, "GET") if r.endpoint == endpoint)
        path = build(rule, values)
        for name in query_names(endpoint, harvested):
            for value in DATES + NUMBERS + AMOUNTS:
                query = {name: value, "consent": "in"} if name.startswith("consent_") else {name: value}
                problem = failure(send(admin, "GET", f"{path}?{urlencode(query)}"))
                if problem:
                    failures.append(f"GET {endpoint} {name}={value[:40]!r}: {problem}")
    assert not failures, report(failures)


# path segments are text (slugs, codes, ids, tokens): the values that can break text
SEGMENT_VALUES = NUMBERS + TEXTS + ["0001-01-01"]


def test_no_path_segment_answers_5xx(app, admin, site):
    values = url_values(site)
    failures = []
    for method in ("GET", "POST"):
        for rule in routes(app, method):
            for name in rule.arguments:
                for value in SEGMENT_VALUES:
                    problem = failure(send(admin, method, build(rule, {**values, name: value}), data={}))
                    if problem:
                        failures.append(f"{method} {rule.endpoint} <{name}>={value[:40]!r}: {problem}")
    assert not failures, report(failures)


class Targets:
    """The order or customer a POST route acts on; replaced after every accepted change, so that
    each request meets an object in the state its action needs."""

    def __init__(self, site: Site):
        self.site = site
        self.current: dict[str, tuple] = {}
        #: the team, member and API token of a route of the team pages
        self.team_values: dict[str, dict] = {}

    def get(self, endpoint: str) -> tuple[Order | None, Customer | None]:
        if endpoint not in self.current:
            self.renew(endpoint)
        return self.current[endpoint]

    def renew(self, endpoint: str) -> None:
        if endpoint.startswith("orders."):
            self.current[endpoint] = (fresh_order(self.site, endpoint), None)
        elif endpoint.startswith(("customers.", "public_account.")):
            # one live password link per token: the old holder gives it up
            for customer in db.session.scalars(select(Customer).where(Customer.password_token_hash.is_not(None))):
                customer.password_token_hash = None
            db.session.commit()
            self.current[endpoint] = (None, fresh_customer(self.site))
        elif endpoint.startswith(("teams.", "public_staff_account.")):
            self.team_values[endpoint] = fresh_team_targets(self.site.organizer)
            self.current[endpoint] = (None, None)
        else:
            self.current[endpoint] = (None, None)


def sampled_values(name: str, walked: set[str], offset: int) -> list[str]:
    """Every hostile value for a field name's first route; a field that many routes share
    (seen, send_email, comment) is read by shared code, so its other routes get a rotating few."""
    if name not in walked:
        walked.add(name)
        return HOSTILE
    return [HOSTILE[(offset + k) % len(HOSTILE)] for k in range(3)]


#: the form walk is the longest test; in parts, the test workers share it
FORM_WALK_PARTS = 4


@pytest.mark.parametrize("part", range(FORM_WALK_PARTS))
def test_no_form_field_value_answers_5xx_and_refusals_change_nothing(app, admin, site, part):
    posts, _ = harvest_forms(app, admin, site)
    expected = {rule.endpoint for rule in routes(app, "POST")} - {"auth.login"}
    assert expected <= set(posts), f"no form found for {sorted(expected - set(posts))}"
    targets = Targets(site)
    failures = []
    walked: set[str] = set()
    for offset, rule in enumerate(routes(app, "POST")):
        if rule.endpoint == "auth.login" or offset % FORM_WALK_PARTS != part:
            continue
        baseline = posts[rule.endpoint]
        before = None
        for name in sorted(set(baseline) - {"csrf_token"}):
            for i, value in enumerate(sampled_values(name, walked, offset)):
                order, customer = targets.get(rule.endpoint)
                before = before or fingerprint(order, customer)
                data = dict(baseline)
                if order is not None and "seen" in data:
                    data["seen"] = db.session.get(Order, order.id).last_modified.isoformat()
                team_values = targets.team_values.get(rule.endpoint)
                if team_values and "seen" in data:
                    data["seen"] = db.session.get(Team, int(team_values["team_id"])).last_modified.isoformat()
                if rule.endpoint.startswith("organizer_settings.") and "seen" in data:
                    data["seen"] = organizer_settings.version(db.session.get(Organizer, site.organizer.id))
                if rule.endpoint.startswith("products.") and "seen" in data:
                    data["seen"] = product_seen(rule.endpoint, site) or data["seen"]
                if rule.endpoint.startswith("events.") and "seen" in data:
                    data["seen"] = event_seen(rule.endpoint, site) or data["seen"]
                data[name] = value
                # mostly plain posts (a redirect is quick); every third one as htmx, whose
                # refusals render the form again with the value and its message
                response = send(admin, "POST", build(rule, url_values(site, order, customer, team_values)), data=data,
                                htmx=i % 3 == 0)
                where = f"POST {rule.endpoint} {name}={value[:40]!r}"
                problem = failure(response)
                if problem:
                    failures.append(f"{where}: {problem}")
                if fingerprint(order, customer) != before:
                    if not problem and response.status_code >= 400:
                        failures.append(f"{where}: refused with {response.status_code} but changed data")
                    targets.renew(rule.endpoint)
                    before = None
    assert not failures, report(failures)


def test_login_form_never_answers_5xx(client):
    browser = Browser(client)
    failures = []
    for field in ("email", "password"):
        for value in HOSTILE:
            browser.csrf = csrf_from(client.get("/login"))
            data = {"email": "someone@example.org", "password": "wrong", "csrf_token": browser.csrf}
            data[field] = value
            problem = failure(send(browser, "POST", "/login", data=data))
            if problem:
                failures.append(f"POST /login {field}={value[:40]!r}: {problem}")
    assert not failures, report(failures)


# --- what a user sees ---------------------------------------------------------------------------------

def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def order_state(order: Order) -> tuple:
    return fingerprint(order, None)


ORDER_DATE_FILTERS = ("created_since", "created_before", "modified_since", "subevent_after", "subevent_before")


def test_order_lists_and_exports_ignore_out_of_range_dates_with_a_notice(admin, site):
    lists = ("/far/events/conf/orders/", "/far/orders/")
    exports = ("/far/events/conf/orders/export.csv", "/far/orders/export.csv")
    for name in ORDER_DATE_FILTERS:
        for value in DATES:
            for path in lists:
                response = admin.get(f"{path}?{urlencode({name: value})}")
                shown = page_text(response)
                assert response.status_code == 200, (path, name, value)
                assert f"Ignored the filter '{name}'" in shown and "out of range" in shown, (path, name, value)
                assert site.order.code in shown  # the bad filter is ignored, not applied
            for path in exports:
                response = admin.get(f"{path}?{urlencode({name: value})}")
                assert response.status_code == 200 and site.order.code in page_text(response), (path, name, value)


def test_order_lists_ignore_ids_and_pages_beyond_64_bits(admin, site):
    for name in ("item", "variation", "subevent", "page"):
        for value in (str(2**64), "9" * 30, "-" + "9" * 30):
            response = admin.get(f"/far/events/conf/orders/?{urlencode({name: value})}")
            shown = page_text(response)
            assert response.status_code == 200, (name, value)
            assert f"Ignored the filter '{name}'" in shown and site.order.code in shown, (name, value)
        response = admin.get(f"/far/orders/export.csv?{urlencode({name: '9' * 30})}")
        assert response.status_code == 200 and site.order.code in page_text(response), name


CUSTOMER_DATE_FILTERS = ("joined_from", "joined_to", "modified_from", "modified_to", "booking_date_from",
                         "booking_date_to", "consent_from", "consent_to")


def test_customer_list_and_export_ignore_out_of_range_dates_with_a_notice(admin, site):
    site.customer.marketing_consent = True
    db.session.commit()
    for name in CUSTOMER_DATE_FILTERS:
        for value in DATES[:2]:
            query = urlencode({name: value, "consent": "in"})
            response = admin.get(f"/far/customers/?{query}")
            shown = page_text(response)
            assert response.status_code == 200, (name, value)
            assert f"Ignored the filter '{name}'" in shown and "out of range" in shown, (name, value)
            assert site.customer.identifier in shown, (name, value)
            response = admin.get(f"/far/customers/export.csv?{query}")
            assert response.status_code == 200 and site.customer.identifier in page_text(response), (name, value)


def test_a_month_written_with_a_superscript_digit_is_ignored_with_a_notice(admin, site):
    response = admin.get("/far/customers/?dob_month=%C2%B2")
    assert response.status_code == 200 and "is not a month" in page_text(response)


def test_a_mail_id_that_is_not_plain_digits_is_not_found(admin, site):
    for value in ("%C2%B2", "9" * 30, "0"):
        assert admin.get(f"/far/outbox/{value}/").status_code == 404, value
        assert admin.post(f"/far/outbox/{value}/retry", htmx=True).status_code == 404, value


def _detail_form(admin, order: Order, endpoint_suffix: str) -> dict:
    page = admin.get(f"/far/events/conf/orders/{order.code}/").get_data(as_text=True)
    form = next(f for f in forms_of(page) if f["method"] == "post" and f["action"].endswith(endpoint_suffix))
    return dict(form["fields"])


@pytest.mark.parametrize("value", DATES)
def test_extend_refuses_out_of_range_dates_far_from_utc(admin, site, value):
    order = fresh_order(site, "orders.extend")
    data = {**_detail_form(admin, order, "/extend"), "until": value}
    before = order_state(order)
    response = admin.post(f"/far/events/conf/orders/{order.code}/extend", data=data, htmx=True)
    assert response.status_code == 422
    assert "Enter the new payment deadline as a date" in page_text(response) or \
        "out of range" in page_text(response)
    assert order_state(order) == before


@pytest.mark.parametrize("value", DATES[:2])
def test_order_fields_refuse_an_out_of_range_payment_deadline(admin, site, value):
    order = fresh_order(site, "orders.edit_fields")
    data = {**_detail_form(admin, order, "/fields"), "expires": value, "comment": "changed"}
    before = order_state(order)
    response = admin.post(f"/far/events/conf/orders/{order.code}/fields", data=data, htmx=True)
    assert response.status_code == 422
    assert f"The payment deadline '{value}' is out of range" in page_text(response)
    assert order_state(order) == before


@pytest.mark.parametrize("value,message", [
    ("1e999", "The cancellation fee must be an amount such as 10.00."),
    ("NaN", "The cancellation fee must be an amount such as 10.00."),
    ("Infinity", "The cancellation fee must be an amount such as 10.00."),
    ("9" * 27, "The cancellation fee is too large"),
])
def test_cancel_refuses_fees_that_are_no_amount(admin, site, value, message):
    order = fresh_order(site, "orders.cancel")
    data = {**_detail_form(admin, order, "/cancel"), "cancellation_fee": value}
    before = order_state(order)
    response = admin.post(f"/far/events/conf/orders/{order.code}/cancel", data=data, htmx=True)
    assert response.status_code == 422 and message in page_text(response)
    assert order_state(order) == before


def test_a_nul_character_in_a_filter_is_refused_with_a_message(admin, site):
    response = admin.get("/far/events/conf/orders/?search=a%00b")
    assert response.status_code == 400 and "NUL character" in page_text(response)
    response = admin.get("/far/customers/?q=a%00b", htmx=True)
    assert response.status_code == 400 and "NUL character" in page_text(response)
    assert response.headers["HX-Retarget"] == "#messages"


def test_a_nul_character_in_a_form_changes_nothing(admin, site):
    customer = site.customer
    page = admin.get(f"/far/customers/{customer.identifier}/edit").get_data(as_text=True)
    form = next(f for f in forms_of(page) if f["method"] == "post" and f["action"].endswith("/edit"))
    before = fingerprint(None, customer)
    data = {**form["fields"], "notes": "call back\x00tomorrow"}
    response = admin.post(f"/far/customers/{customer.identifier}/edit", data=data, htmx=True)
    assert response.status_code == 400 and "NUL character" in page_text(response)
    assert fingerprint(None, customer) == before
