"""Events in the browser's forms: the list, creating, copying, editing with stale and refused saves,
the dates of a series, the overview's numbers and links, and who may do what."""
import html
import re
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain.models import (Event, Item, LogEntry, OrderRefund, OrderStatus, Question,
                                      QuestionOption, Quota, SubEvent, TaxRule)
from backoffice.extensions import db
from tests import factories

NEW = "/demo/events/new"
GOOD = dict(name="Summer Night", slug="summer-night", date_from="2027-07-01T19:00", date_to="2027-07-01T23:30",
            timezone="Europe/Berlin", location="Town Hall", currency="EUR", locale="de", locales="de, en",
            payment_term_days="10", payment_providers=["banktransfer", "boxoffice"], require_approval="on",
            invoicing="on", ticket_download="on", has_seating="on", attendee_names_required="on")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def seen_of(response) -> str:
    return re.search(r'name="seen" value="([0-9a-f]*)"', text(response)).group(1)


def event_by_slug(slug: str) -> Event | None:
    db.session.rollback()
    return db.session.scalar(select(Event).where(Event.slug == slug))


def log_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(LogEntry.id)))


# --- list and create -------------------------------------------------------------------------------

def test_the_list_shows_events_with_dates_of_a_series_and_a_new_event_button(staff, world):
    series = factories.event(world.organizer, slug="tour", name="Tour", location="Everywhere")
    factories.subevent(series, "Berlin")
    factories.subevent(series, "Hamburg").active = False
    db.session.commit()
    page = text(staff.get("/demo/"))
    assert 'id="new-event-link"' in page and "Conference" in page and "Tour" in page and "Everywhere" in page
    assert "1 active of 2" in page


def test_creating_an_event_saves_every_field_and_writes_the_history(staff, world):
    response = staff.post(NEW, GOOD)
    assert response.status_code == 303 and response.headers["Location"].endswith("/demo/events/summer-night/")
    event = event_by_slug("summer-night")
    assert event.date_from == datetime(2027, 7, 1, 17, 0, tzinfo=timezone.utc)
    assert event.date_to == datetime(2027, 7, 1, 21, 30, tzinfo=timezone.utc)
    assert (event.location, event.currency, event.locale, event.locales, event.payment_term_days) == \
        ("Town Hall", "EUR", "de", ["de", "en"], 10)
    assert event.payment_providers == ["banktransfer", "boxoffice"]
    assert event.require_approval and event.invoicing and event.ticket_download and event.has_seating
    assert event.attendee_names_required and not event.attendee_emails_required
    assert not event.testmode and not event.has_subevents and not event.ticket_download_pending
    entry = db.session.scalar(select(LogEntry).where(LogEntry.event_id == event.id))
    assert entry.action_type == "event.created" and entry.user_id == world.admin.id
    assert "Event “Summer Night” created." in text(staff.get("/demo/events/summer-night/"))


def test_the_new_event_form_starts_with_the_organizers_zone_currency_and_language(staff, world):
    world.organizer.currency, world.organizer.default_locale = "CHF", "fr"
    db.session.commit()
    page = text(staff.get(NEW))
    assert 'value="CHF"' in page and 'name="locale" list="languages" maxlength="16" required autocomplete="off" value="fr"' in page
    assert 'value="Europe/Berlin"' in page


def test_a_refused_event_keeps_what_was_typed_and_changes_nothing(staff, world):
    before = log_count()
    response = staff.post(NEW, {**GOOD, "slug": "conf", "date_to": "2027-06-30T10:00", "currency": "XX",
                                "payment_term_days": "9" * 30, "payment_providers": ["bitcoin"], "locales": "de, xx"})
    assert response.status_code == 422
    page = text(response)
    assert "uses the short name “conf” already" in page and "The end must not be before the start." in page
    assert "is not a currency code" in page and "must be at most 365" in page
    assert "“bitcoin” is not a payment method" in page and "“xx” is not a language code" in page
    assert 'value="Summer Night"' in page and 'value="Town Hall"' in page and 'value="2027-07-01T19:00"' in page
    assert log_count() == before and event_by_slug("summer-night") is None


@pytest.mark.parametrize("field,value,message", [
    ("date_from", "0001-01-01", "out of range"),
    ("date_from", "9999-12-31T23:59:59-14:00", "out of range"),
    ("date_from", "", "Enter the start date and time"),
    ("date_from", "tomorrow", "Enter the start date"),
    ("name", "x" * 5000, "at most 200 characters"),
    ("name", "Night\x07", "control characters"),
    ("payment_term_days", "1e999", "must be a whole number"),
    ("payment_term_days", "-1", "must be at least 0"),
    ("slug", "Summer Night", "only lowercase letters"),
    ("slug", "new", "used by the back office"),
    ("payment_providers", [], "Enable at least one payment method"),
])
def test_hostile_event_values_are_refused_with_a_message(staff, world, field, value, message):
    before = log_count()
    response = staff.post(NEW, {**GOOD, field: value})
    assert response.status_code == 422 and message in text(response)
    assert log_count() == before


def test_a_copy_brings_products_quotas_and_questions_but_no_orders(staff, world):
    tax = TaxRule(event_id=world.event.id, name="VAT", rate=Decimal("19.00"))
    db.session.add(tax)
    world.ticket.tax_rule = tax
    shirt = factories.item(world.event, "Shirt", "15.00", variations=[("S", "15.00"), ("M", "16.00")],
                           is_addon=True, addon_of=world.ticket)
    factories.quota(world.event, [shirt], 30, name="Shirts")
    question = Question(event_id=world.event.id, identifier="diet", question="Diet?", type="C", required=True)
    question.items = [world.ticket]
    question.options = [QuestionOption(identifier="veg", answer="Vegetarian")]
    db.session.add(question)
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    form = text(staff.get(f"{NEW}?copy_from=conf"))
    assert "New event as a copy of “Conference”" in form and 'name="copy_from" value="conf"' in form
    response = staff.post(NEW, {**GOOD, "copy_from": "conf"})
    assert response.status_code == 303
    copy = event_by_slug("summer-night")
    items = db.session.scalars(select(Item).where(Item.event_id == copy.id).order_by(Item.id)).all()
    assert [(i.name, i.default_price) for i in items] == [("Regular ticket", Decimal("50.00")), ("Shirt", Decimal("15.00"))]
    assert items[0].tax_rule.name == "VAT" and items[0].tax_rule.event_id == copy.id
    assert items[1].addon_of_id == items[0].id and [v.value for v in items[1].variations] == ["S", "M"]
    quotas = db.session.scalars(select(Quota).where(Quota.event_id == copy.id).order_by(Quota.name)).all()
    assert [(q.name, q.size, [i.name for i in q.items]) for q in quotas] == \
        [("Regular", 100, ["Regular ticket"]), ("Shirts", 30, ["Shirt"])]
    assert {v.value for v in quotas[1].variations} == {"S", "M"}
    copied = db.session.scalar(select(Question).where(Question.event_id == copy.id))
    assert copied.required and [o.answer for o in copied.options] == ["Vegetarian"]
    assert [i.id for i in copied.items] == [items[0].id]
    assert "0</a>" in text(staff.get("/demo/events/summer-night/"))  # no orders came along
    entry = db.session.scalar(select(LogEntry).where(LogEntry.event_id == copy.id))
    assert entry.data["copied_from"] == "conf" and entry.data["copied"]["items"] == 2


def test_a_copy_of_a_series_brings_its_dates_and_their_quotas(staff, world):
    world.event.has_subevents = True
    date = factories.subevent(world.event, "Friday")
    factories.quota(world.event, [world.ticket], 5, name="Friday quota", subevent=date)
    db.session.commit()
    assert staff.post(NEW, {**GOOD, "copy_from": "conf", "has_subevents": "on"}).status_code == 303
    copy = event_by_slug("summer-night")
    dates = db.session.scalars(select(SubEvent).where(SubEvent.event_id == copy.id)).all()
    assert [d.name for d in dates] == ["Friday"]
    quota = db.session.scalar(select(Quota).where(Quota.event_id == copy.id, Quota.name == "Friday quota"))
    assert quota.subevent_id == dates[0].id


# --- edit ------------------------------------------------------------------------------------------

EDIT = "/demo/events/conf/settings"


def edit_form(staff) -> dict:
    response = staff.get(EDIT)
    page = text(response)
    assert response.status_code == 200
    return dict(name="Conference 2027", date_from="2027-05-01T09:00", date_to="", timezone="Europe/Berlin",
                location="", currency="EUR", locale="en", locales="en", payment_term_days="14",
                payment_providers=["manual", "banktransfer"], invoicing="on", ticket_download="on",
                seen=seen_of(response)) if page else {}


def test_saving_the_settings_changes_them_and_the_slug_stays(staff, world):
    form = edit_form(staff)
    response = staff.post(EDIT, {**form, "slug": "hijack", "testmode": "on"})
    assert response.status_code == 303
    event = event_by_slug("conf")
    assert event.name == "Conference 2027" and event.testmode and event.payment_providers == ["manual", "banktransfer"]
    entry = db.session.scalars(select(LogEntry).where(LogEntry.event_id == event.id)
                               .order_by(LogEntry.id.desc())).first()
    assert entry.action_type == "event.changed" and entry.data["name"] == {"old": "Conference", "new": "Conference 2027"}
    page = text(staff.get(EDIT))
    assert "Event saved: name," in page and "Changed" in page


def test_a_stale_save_is_refused_shows_the_saved_values_and_saving_again_applies(staff, world):
    form = edit_form(staff)
    other = edit_form(staff)
    assert staff.post(EDIT, {**other, "location": "Elsewhere"}).status_code == 303
    response = staff.post(EDIT, {**form, "name": "Mine"})
    assert response.status_code == 422
    page = text(response)
    assert "changed by someone else" in page and "location “Elsewhere”" in page and 'value="Mine"' in page
    assert event_by_slug("conf").name == "Conference 2027"
    assert staff.post(EDIT, {**form, "name": "Mine", "seen": seen_of(response)}).status_code == 303
    assert event_by_slug("conf").name == "Mine"


def test_currency_and_series_are_fixed_once_the_event_has_orders(staff, world):
    factories.order(world.event, [world.ticket])
    db.session.commit()
    form = edit_form(staff)
    response = staff.post(EDIT, {**form, "currency": "USD"})
    assert response.status_code == 422 and "The currency cannot change: this event has orders" in text(response)
    response = staff.post(EDIT, {**form, "has_subevents": "on"})
    assert response.status_code == 422 and "cannot change: this event has orders" in text(response)
    assert event_by_slug("conf").currency == "EUR"


# --- dates of a series ------------------------------------------------------------------------------

DATES = "/demo/events/conf/dates/"


def make_series(world):
    world.event.has_subevents = True
    db.session.commit()


def test_adding_editing_and_deactivating_dates(staff, world):
    make_series(world)
    response = staff.post(DATES, {"name": "Saturday", "date_from": "2027-06-05T20:00", "date_to": "2027-06-05T23:00"})
    assert response.status_code == 303
    date = db.session.scalar(select(SubEvent).where(SubEvent.event_id == world.event.id))
    assert date.date_from == datetime(2027, 6, 5, 18, 0, tzinfo=timezone.utc)
    url = f"/demo/events/conf/dates/{date.id}/edit"
    seen = seen_of(staff.get(url))
    assert staff.post(url, {"name": "Saturday night", "date_from": "2027-06-05T21:00", "date_to": "", "seen": seen}).status_code == 303
    assert staff.post(url, {"name": "Old tab", "date_from": "2027-06-05T21:00", "date_to": "", "seen": seen}).status_code == 422
    assert staff.post(f"/demo/events/conf/dates/{date.id}/active", {"active": "0"}).status_code == 303
    page = text(staff.get(DATES))
    assert "Saturday night" in page and "deactivated" in page
    actions = db.session.scalars(select(LogEntry.action_type).where(LogEntry.event_id == world.event.id)
                                 .order_by(LogEntry.id)).all()
    assert actions == ["event.date_added", "event.date_changed", "event.date_deactivated"]


def test_a_date_with_orders_cannot_be_deleted_only_deactivated(staff, world):
    make_series(world)
    date = factories.subevent(world.event, "Friday")
    factories.order(world.event, [world.ticket], subevent=date)
    db.session.commit()
    url = f"/demo/events/conf/dates/{date.id}/delete"
    assert "cannot be deleted: it has 1 ticket" in text(staff.get(url))
    # what keeps it is said in the reader's language too
    factories.order(world.event, [world.ticket], subevent=date)
    db.session.commit()
    german = text(staff.get(url, headers={"Accept-Language": "de"}))
    assert "2 Tickets" in german and "2 tickets" not in german
    response = staff.post(url)
    assert response.status_code == 422 and "deactivate it instead" in text(response)
    db.session.rollback()
    assert db.session.get(SubEvent, date.id) is not None


def test_a_date_without_anything_is_deleted_after_confirmation(staff, world):
    make_series(world)
    date = factories.subevent(world.event, "Spare")
    db.session.commit()
    url = f"/demo/events/conf/dates/{date.id}/delete"
    assert "Keep the date" in text(staff.get(url))
    assert staff.post(url).status_code == 303
    db.session.rollback()
    assert db.session.get(SubEvent, date.id) is None


def test_refused_dates_keep_what_was_typed(staff, world):
    make_series(world)
    response = staff.post(DATES, {"name": "Late", "date_from": "2027-06-05T20:00", "date_to": "2027-06-04T20:00"})
    assert response.status_code == 422 and "The end must not be before the start." in text(response)
    assert 'value="Late"' in text(response)
    response = staff.post(DATES, {"name": "", "date_from": "0001-01-01", "date_to": ""})
    assert response.status_code == 422 and "out of range" in text(response)
    assert db.session.scalar(select(func.count(SubEvent.id))) == 0


def test_dates_of_a_single_date_event_are_refused(staff, world):
    response = staff.post(DATES, {"name": "x", "date_from": "2027-06-05T20:00"})
    assert response.status_code == 422 and "single date" in text(response)


def test_a_date_of_another_event_is_not_found(staff, world):
    make_series(world)
    other = factories.event(world.organizer, slug="other", has_subevents=True)
    date = factories.subevent(other, "Theirs")
    db.session.commit()
    for value in (str(date.id), "9" * 30, "abc"):
        assert staff.get(f"/demo/events/conf/dates/{value}/edit").status_code == 404
        assert staff.post(f"/demo/events/conf/dates/{value}/active", {"active": "0"}).status_code == 404


# --- permissions ------------------------------------------------------------------------------------

def test_a_team_limited_to_some_events_manages_those_but_cannot_create(browser, world):
    other = factories.event(world.organizer, slug="other", name="Other")
    limited = factories.user("limited@example.org", org=world.organizer, all_events=False, events=[world.event])
    db.session.commit()
    browser.login(limited.email)
    assert browser.get(EDIT).status_code == 200
    assert browser.get("/demo/events/other/settings").status_code == 404
    assert browser.get(NEW).status_code == 403
    assert browser.post(NEW, GOOD).status_code == 403
    assert 'id="new-event-link"' not in text(browser.get("/demo/"))
    assert event_by_slug("summer-night") is None and other.id


def test_without_manage_events_the_forms_are_403(browser, world):
    clerk = factories.user("clerk@example.org", org=world.organizer, can_manage_events=False)
    db.session.commit()
    browser.login(clerk.email)
    assert browser.get(EDIT).status_code == 403
    assert browser.post(EDIT, {"name": "x"}).status_code == 403
    assert browser.get(DATES).status_code == 403
    assert "/demo/events/conf/settings" not in text(browser.get("/demo/events/conf/"))


def test_another_organizers_events_are_404(staff, world):
    other = factories.organizer(slug="other")
    factories.event(other, slug="theirs")
    db.session.commit()
    assert staff.get("/other/events/theirs/settings").status_code == 404
    assert staff.get("/other/events/new").status_code == 404
    assert staff.get(f"{NEW}?copy_from=theirs").status_code == 404


# --- the overview ------------------------------------------------------------------------------------

def overview_world(world):
    shirt = factories.item(world.event, "Shirt", "10.00")
    factories.quota(world.event, [shirt], None, name="Shirts")
    factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    factories.order(world.event, [world.ticket], status=OrderStatus.PENDING, require_approval=True)
    factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED)
    refunded = factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.add(OrderRefund(order=refunded, local_id=1, state="done", amount=Decimal("20.00"), provider="manual",
                               payment=refunded.payments[0]))
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID, testmode=True)
    db.session.commit()


def test_the_overview_counts_quotas_orders_money_and_approvals_with_links(staff, world):
    overview_world(world)
    page = text(staff.get("/demo/events/conf/"))
    # Regular: 2 + 1 + 1 + 1 (test mode counts against the quota too) taken of 100
    quota_link = f'/demo/events/conf/orders/?status=n&amp;status=p&amp;item={world.ticket.id}'
    assert re.search(rf'href="{re.escape(html.unescape(quota_link))}"[^>]*>5</a>', page)
    assert re.search(r"<td class=\"text-end\">95</td>", page) and "unlimited" in page
    assert re.search(r'href="/demo/events/conf/orders/\?status=p" id="overview-status-paid">3</a>', page)
    assert re.search(r'href="/demo/events/conf/orders/\?status=c" id="overview-status-canceled">1</a>', page)
    assert re.search(r'href="/demo/events/conf/orders/\?status=n&require_approval=true" id="overview-approvals">1</a>', page)
    # paid 100 + 50, refunded 20, the test-mode order left out
    assert re.search(r'id="overview-received">€130.00</a>', page)


def test_the_overview_links_lead_to_lists_with_those_orders(staff, world):
    overview_world(world)
    listed = text(staff.get("/demo/events/conf/orders/?status=n&require_approval=true"))
    assert "1 order" in listed


def test_the_overview_needs_a_fixed_number_of_queries(staff, world, count_queries):
    overview_world(world)
    staff.get("/demo/events/conf/")
    db.session.commit()  # the request's objects expire, as between two real requests
    with count_queries() as two_quotas:
        assert staff.get("/demo/events/conf/").status_code == 200
    factories.quota(world.event, [world.ticket], 7, name="Third")
    for _ in range(5):
        factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    with count_queries() as three_quotas:
        assert staff.get("/demo/events/conf/").status_code == 200
    assert three_quotas.count == two_quotas.count, "\n".join(three_quotas.statements)
    # the user with their teams and organizers, event, quotas, their items, counts, orders by
    # status, money
    assert two_quotas.count == 7, "\n".join(two_quotas.statements)


def test_a_new_series_leads_to_its_dates(staff, world):
    response = staff.post(NEW, {**GOOD, "has_subevents": "on"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/demo/events/summer-night/dates/")
    page = text(staff.get("/demo/events/summer-night/dates/"))
    assert "Add the dates of the series next." in page and "No dates yet" in page


def test_the_paid_and_pending_numbers_of_a_quota_link_to_those_orders(staff, world):
    overview_world(world)
    page = text(staff.get("/demo/events/conf/"))
    assert re.search(rf'href="/demo/events/conf/orders/\?status=p&item={world.ticket.id}"[^>]*>4</a>', page)
    assert re.search(rf'href="/demo/events/conf/orders/\?status=n&item={world.ticket.id}"[^>]*>1</a>', page)


def test_with_orders_the_series_switch_is_shown_fixed_and_saving_keeps_it(staff, world):
    make_series(world)
    factories.order(world.event, [world.ticket])
    db.session.commit()
    page = text(staff.get(EDIT))
    assert re.search(r'id="event-has_subevents" disabled\s+checked', page)
    assert '<input type="hidden" name="has_subevents" value="on">' in page
    form = {**edit_form(staff), "has_subevents": "on", "location": "Hall B"}
    assert staff.post(EDIT, form).status_code == 303
    event = event_by_slug("conf")
    assert event.has_subevents and event.location == "Hall B"
