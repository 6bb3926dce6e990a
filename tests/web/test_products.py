"""The product pages through HTTP: products and variations, tax rules, quotas, questions, seats.
What a user sees after a save, a refusal (the typed values stay, nothing changes) and a stale save."""
from __future__ import annotations

import html
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain import item_variations, items, questions, tax_rules
from backoffice.domain.audit import SYSTEM
from backoffice.domain.models import (Answer, Event, Item, LogEntry, OrderPosition, OrderStatus, Question, Quota,
                                      Seat, TaxRule)
from backoffice.extensions import db
from tests import factories
from tests.web.test_hostile_input import forms_of

BASE = "/demo/events/conf"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def log_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(LogEntry.id)))


def follow(staff, response):
    assert response.status_code == 303, (response.status_code, text(response)[:500])
    return staff.get(response.headers["Location"])


def form_fields(page_html: str, action_suffix: str) -> dict:
    form = next(f for f in forms_of(page_html) if f["method"] == "post" and f["action"].endswith(action_suffix))
    return dict(form["fields"])


# --- products -----------------------------------------------------------------------------------------

def test_pages_render_for_an_event(staff, world):
    for path in ("/products/", "/products/new", f"/products/{world.ticket.id}/", "/tax-rules/", "/quotas/",
                 "/quotas/new", f"/quotas/{world.quota.id}/", "/questions/", "/questions/new", "/seats/",
                 "/seats/import"):
        response = staff.get(BASE + path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"].startswith("no-store") or "no-store" in response.headers.get(
            "Cache-Control", ""), path


def test_create_a_product_and_see_it_in_the_list(staff, world):
    page = staff.get(BASE + "/products/new").get_data(as_text=True)
    data = {**form_fields(page, "/products/new"), "name": "Workshop", "default_price": "15.50"}
    shown = text(follow(staff, staff.post(BASE + "/products/new", data)))
    assert "Product 'Workshop' created." in shown
    listing = text(staff.get(BASE + "/products/"))
    assert "Workshop" in listing and "€15.50" in listing and "Regular ticket" in listing
    assert listing.index("Regular ticket") < listing.index("Workshop")


def test_refused_product_keeps_what_was_typed_and_changes_nothing(staff, world):
    before = log_count()
    response = staff.post(BASE + "/products/new", {"name": "Typed name", "default_price": "-5", "active": "on"})
    assert response.status_code == 422
    shown = text(response)
    assert "The price cannot be negative." in shown and 'value="Typed name"' in shown
    assert log_count() == before and db.session.scalar(select(func.count(Item.id))) == 1


def test_editing_the_price_keeps_orders_as_sold(staff, world):
    order = factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    page = staff.get(f"{BASE}/products/{world.ticket.id}/").get_data(as_text=True)
    data = {**form_fields(page, f"/products/{world.ticket.id}/"), "default_price": "99.00"}
    shown = text(follow(staff, staff.post(f"{BASE}/products/{world.ticket.id}/", data)))
    assert "Orders keep the prices they were sold at." in shown
    db.session.rollback()
    assert db.session.get(Item, world.ticket.id).default_price == Decimal("99.00")
    assert db.session.scalars(select(OrderPosition.price).where(OrderPosition.order_id == order.id)).one() == \
        Decimal("50.00")
    order_page = text(staff.get(f"{BASE}/orders/{order.code}/"))
    assert "€50.00" in order_page


def test_stale_product_save_shows_the_saved_values_and_keeps_the_typed(staff, world):
    page = staff.get(f"{BASE}/products/{world.ticket.id}/").get_data(as_text=True)
    data = {**form_fields(page, f"/products/{world.ticket.id}/"), "name": "My name"}
    items.update_item(world.ticket, actor=SYSTEM, seen=None, name="Colleague's name", default_price="50.00",
                      admission="on", active="on")
    db.session.commit()
    response = staff.post(f"{BASE}/products/{world.ticket.id}/", data)
    assert response.status_code == 422
    shown = text(response)
    assert "was changed by someone else" in shown and "Colleague's name" in shown and 'value="My name"' in shown
    again = form_fields(response.get_data(as_text=True), f"/products/{world.ticket.id}/")
    follow(staff, staff.post(f"{BASE}/products/{world.ticket.id}/", again))
    db.session.rollback()
    assert db.session.get(Item, world.ticket.id).name == "My name"


def test_deleting_a_product_with_orders_is_refused_and_says_why(staff, world):
    factories.order(world.event, [world.ticket])
    db.session.commit()
    before = log_count()
    response = staff.post(f"{BASE}/products/{world.ticket.id}/delete")
    assert response.status_code == 422
    assert "cannot be deleted: 1 order uses it. Deactivate it instead" in text(response)
    assert log_count() == before
    shown = text(follow(staff, staff.post(f"{BASE}/products/{world.ticket.id}/active", {"active": "0"})))
    assert "'Regular ticket' is no longer on sale" in shown and "Not on sale" in shown


def test_unused_product_is_deleted(staff, world):
    item = factories.item(world.event, "Spare", "1.00")
    db.session.commit()
    shown = text(follow(staff, staff.post(f"{BASE}/products/{item.id}/delete")))
    assert "Product 'Spare' deleted." in shown
    assert db.session.get(Item, item.id) is None


def test_move_a_product_up(staff, world):
    factories.item(world.event, "Second", "1.00", position=5)
    db.session.commit()
    second = db.session.scalars(select(Item).where(Item.name == "Second")).one()
    shown = text(follow(staff, staff.post(f"{BASE}/products/{second.id}/move", {"direction": "up"})))
    table = shown[shown.index('id="products"'):]
    assert "Moved 'Second' up." in shown and table.index("Second") < table.index("Regular ticket")
    db.session.rollback()
    assert [i.name for i in items.list_items(db.session.get(Event, world.event.id))] == ["Second", "Regular ticket"]
    assert staff.post(f"{BASE}/products/{second.id}/move", {"direction": "sideways"}).status_code == 422


def test_variations_are_added_edited_and_refused_with_the_typed_values(staff, world):
    shown = text(follow(staff, staff.post(f"{BASE}/products/{world.ticket.id}/variations/new",
                                          {"value": "Student", "default_price": "", "active": "on"})))
    assert "Variation 'Student' added" in shown
    variation = db.session.scalars(select(Item).where(Item.id == world.ticket.id)).one().variations[0]
    assert variation.price == Decimal("50.00")
    response = staff.post(f"{BASE}/products/{world.ticket.id}/variations/new",
                          {"value": "Typed", "default_price": "1e999", "active": "on"})
    assert response.status_code == 422 and "amount such as 10.00" in text(response) and 'value="Typed"' in text(response)
    page = staff.get(f"{BASE}/products/{world.ticket.id}/").get_data(as_text=True)
    suffix = f"/variations/{variation.id}"
    data = {**form_fields(page, suffix), "default_price": "30.00"}
    follow(staff, staff.post(f"{BASE}/products/{world.ticket.id}{suffix}", data))
    db.session.rollback()
    assert item_variations.get_variation(world.ticket, variation.id).price == Decimal("30.00")


def test_other_events_product_is_404(staff, world):
    other = factories.item(factories.event(world.organizer, slug="other"), "Theirs")
    db.session.commit()
    assert staff.get(f"{BASE}/products/{other.id}/").status_code == 404
    assert staff.post(f"{BASE}/products/{other.id}/delete").status_code == 404
    assert db.session.get(Item, other.id) is not None


# --- tax rules ------------------------------------------------------------------------------------------

def test_tax_rules_are_created_used_and_not_deleted_while_used(staff, world):
    shown = text(follow(staff, staff.post(BASE + "/tax-rules/", {"name": "VAT", "rate": "19",
                                                                 "price_includes_tax": "on"})))
    assert "Tax rule 'VAT' created." in shown and "19.00 %" in shown
    rule = db.session.scalars(select(TaxRule)).one()
    world.ticket.tax_rule_id = rule.id
    db.session.commit()
    response = staff.post(f"{BASE}/tax-rules/{rule.id}/delete")
    assert response.status_code == 422 and "1 product uses it" in text(response)
    response = staff.post(BASE + "/tax-rules/", {"name": "Too much", "rate": "150"})
    assert response.status_code == 422 and "at most 100" in text(response) and 'value="Too much"' in text(response)


# --- quotas ---------------------------------------------------------------------------------------------

def test_quota_list_shows_paid_pending_and_free(staff, world):
    factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    factories.order(world.event, [world.ticket])
    factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED)
    db.session.commit()
    page = staff.get(BASE + "/quotas/").get_data(as_text=True)
    row = page[page.index(f'id="quota-{world.quota.id}"'):]
    row = row[:row.index("</tr>")]
    assert 'quota-paid">2<' in row and 'quota-pending">1<' in row and 'quota-free">97' in row


def test_shrinking_a_quota_below_sold_saves_with_a_warning(staff, world):
    for _ in range(3):
        factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    db.session.commit()
    page = staff.get(f"{BASE}/quotas/{world.quota.id}/").get_data(as_text=True)
    data = form_fields(page, f"/quotas/{world.quota.id}/")
    data["size"] = "1"
    data["items"] = [str(world.ticket.id)]
    shown = text(follow(staff, staff.post(f"{BASE}/quotas/{world.quota.id}/", data)))
    assert "now holds 1 tickets, but 3 are already sold" in shown and "overbooked by 2" in shown


def test_new_quota_with_a_product_of_another_event_is_refused(staff, world):
    other = factories.item(factories.event(world.organizer, slug="other"), "Theirs")
    db.session.commit()
    before = log_count()
    response = staff.post(BASE + "/quotas/new", {"name": "Mixed", "size": "5", "items": [str(other.id)]})
    assert response.status_code == 422 and "products of this event only" in text(response)
    assert log_count() == before and db.session.scalar(select(func.count(Quota.id))) == 1


# --- questions ------------------------------------------------------------------------------------------

def test_question_with_options_and_attendee_fields(staff, world):
    response = staff.post(BASE + "/questions/new", {"question": "Meal?", "identifier": "meal", "type": "C",
                                                    "required": "on", "active": "on",
                                                    "items": [str(world.ticket.id)]})
    shown = text(follow(staff, response))
    assert "Question created. Add its options below." in shown
    question = db.session.scalars(select(Question)).one()
    follow(staff, staff.post(f"{BASE}/questions/{question.id}/options/new", {"answer": "Vegan"}))
    follow(staff, staff.post(f"{BASE}/questions/{question.id}/options/new", {"answer": "Fish"}))
    listing = text(staff.get(BASE + "/questions/"))
    assert "Meal?" in listing and "One choice: Vegan, Fish" in listing
    page = staff.get(BASE + "/questions/").get_data(as_text=True)
    data = {**form_fields(page, "/questions/attendee-fields"), "attendee_names_required": "on"}
    assert "Attendee fields saved." in text(follow(staff, staff.post(BASE + "/questions/attendee-fields", data)))
    db.session.rollback()
    assert db.session.get(Event, world.event.id).attendee_names_required is True


def test_answered_question_and_option_cannot_be_removed(staff, world):
    question = questions.create_question(world.event, actor=SYSTEM, question_text="Meal?", type="C",
                                         items=[str(world.ticket.id)])
    option = questions.add_option(question, actor=SYSTEM, answer="Vegan")
    order = factories.order(world.event, [world.ticket])
    db.session.add(Answer(position=order.positions[0], question=question, answer="Vegan", options=[option]))
    db.session.commit()
    before = log_count()
    response = staff.post(f"{BASE}/questions/{question.id}/delete")
    assert response.status_code == 422 and "1 order answered it. Deactivate it instead" in text(response)
    response = staff.post(f"{BASE}/questions/{question.id}/options/{option.id}/delete")
    assert response.status_code == 422 and "1 answer chose it" in text(response)
    assert log_count() == before
    shown = text(follow(staff, staff.post(f"{BASE}/questions/{question.id}/active", {"active": "0"})))
    assert "no longer asked" in shown


def test_duplicate_identifier_is_refused_with_the_typed_text(staff, world):
    questions.create_question(world.event, actor=SYSTEM, question_text="A", identifier="meal")
    db.session.commit()
    response = staff.post(BASE + "/questions/new", {"question": "Typed question", "identifier": "MEAL", "type": "S"})
    assert response.status_code == 422
    assert "Another question of this event has the identifier 'MEAL'." in text(response)
    assert "Typed question" in text(response)


# --- seats ----------------------------------------------------------------------------------------------

def upload(staff, content: bytes, **fields):
    data = {"file": (io.BytesIO(content), "seats.csv"), **fields}
    return staff.post(BASE + "/seats/import", data, content_type="multipart/form-data")


def test_import_seats_and_filter_the_list(staff, world):
    shown = text(follow(staff, upload(staff, b"section,row,number,name,blocked\nStalls,A,1,,\nBalcony,1,2,,yes\n")))
    assert "2 seats added" in shown and "Stalls, Row A, Seat 1" in shown and "Balcony, Row 1, Seat 2" in shown
    filtered = text(staff.get(BASE + "/seats/?blocked=yes"))
    assert "Balcony, Row 1, Seat 2" in filtered and "Stalls, Row A, Seat 1" not in filtered
    filtered = text(staff.get(BASE + "/seats/?section=Stalls"))
    assert "Stalls, Row A, Seat 1" in filtered and "Balcony, Row 1, Seat 2" not in filtered
    assert "Ignored the filter 'blocked'" in text(staff.get(BASE + "/seats/?blocked=maybe"))


def test_a_bad_seat_file_lists_its_rows_and_imports_nothing(staff, world):
    before = log_count()
    response = upload(staff, b"section,row,number,blocked\nStalls,A,,\nStalls,A,2,perhaps\n")
    assert response.status_code == 422
    shown = text(response)
    assert "Row 2: the seat number is empty." in shown and "Row 3: blocked must be yes or no" in shown
    assert log_count() == before and db.session.scalar(select(func.count(Seat.id))) == 0
    response = staff.post(BASE + "/seats/import", {}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Choose the CSV file" in text(response)


def test_block_a_seat_with_htmx_swaps_its_row(staff, world):
    seat = factories.seat(world.event, "A1")
    db.session.commit()
    response = staff.post(f"{BASE}/seats/{seat.id}/blocked", {"blocked": "1"}, htmx=True)
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.startswith(f'<tr id="seat-{seat.id}">') and "Blocked" in fragment and ">Unblock<" in fragment
    assert "Seat A1 is blocked" in fragment
    db.session.rollback()
    assert db.session.get(Seat, seat.id).blocked is True
    entry = db.session.scalars(select(LogEntry).order_by(LogEntry.id.desc())).first()
    assert entry.action_type == "seat.blocked" and entry.event_id == world.event.id


# --- access ---------------------------------------------------------------------------------------------

def _product_urls(app, world) -> list[tuple[str, str]]:
    """Every product route of the world's event, with ids that exist."""
    variation = item_variations.add_variation(world.ticket, actor=SYSTEM, value="V")
    rule = tax_rules.create_tax_rule(world.event, actor=SYSTEM, name="VAT", rate="19", price_includes_tax="on")
    question = questions.create_question(world.event, actor=SYSTEM, question_text="Q", type="C")
    option = questions.add_option(question, actor=SYSTEM, answer="O")
    seat = factories.seat(world.event, "A1")
    db.session.commit()
    values = {"organizer": "demo", "event": "conf", "item_id": world.ticket.id, "variation_id": variation.id,
              "rule_id": rule.id, "quota_id": world.quota.id, "question_id": question.id, "option_id": option.id,
              "seat_id": seat.id}
    urls = []
    for rule_ in app.url_map.iter_rules():
        if rule_.endpoint.startswith("products."):
            url = rule_.build({k: str(v) for k, v in values.items() if k in rule_.arguments})[1]
            urls += [(method, url) for method in sorted(rule_.methods & {"GET", "POST"})]
    assert len(urls) >= 30
    return urls


def _state() -> tuple:
    db.session.rollback()
    return (db.session.scalar(select(func.count(LogEntry.id))), db.session.scalar(select(func.count(Item.id))),
            db.session.scalar(select(func.count(Seat.id)).where(Seat.blocked.is_(True))))


@pytest.mark.parametrize("who", ["without_permission", "other_event_only"])
def test_product_routes_refuse_who_may_not_manage_this_event(app, browser, world, who):
    urls = _product_urls(app, world)
    if who == "without_permission":
        user = factories.user(org=world.organizer, can_manage_events=False)
        expected = 403
    else:
        other = factories.event(world.organizer, slug="other")
        user = factories.user(org=world.organizer, all_events=False, events=[other])
        expected = 404
    db.session.commit()
    browser.login(user.email)
    before = _state()
    for method, url in urls:
        response = browser.get(url) if method == "GET" else browser.post(url, {"blocked": "1", "name": "x",
                                                                              "active": "0"})
        assert response.status_code == expected, (who, method, url, response.status_code)
    assert _state() == before


def test_other_organizers_event_is_404(browser, world):
    other = factories.organizer(slug="other")
    factories.event(other, slug="conf")
    db.session.commit()
    browser.login(world.admin.email)
    assert browser.get("/other/events/conf/products/").status_code == 404
    assert browser.post("/other/events/conf/tax-rules/", {"name": "X", "rate": "1"}).status_code == 404


def test_event_overview_links_to_the_product_pages(staff, world):
    page = staff.get(BASE + "/").get_data(as_text=True)
    assert f'href="{BASE}/products/"' in page and f'href="{BASE}/quotas/"' in page


def test_list_pages_need_few_queries_however_many_rows(staff, world, count_queries):
    def counts() -> list[int]:
        result = []
        for path in ("/products/", "/quotas/", "/questions/"):
            with count_queries() as counter:
                assert staff.get(BASE + path).status_code == 200
            result.append(counter.count)
        return result

    rule = tax_rules.create_tax_rule(world.event, actor=SYSTEM, name="VAT", rate="19", price_includes_tax="on")

    def add(n: int) -> None:
        item = factories.item(world.event, f"Item {n}", "5.00", variations=[("A", "5.00"), ("B", "6.00")],
                              tax_rule_id=rule.id, is_addon=True, addon_of_id=world.ticket.id)
        factories.quota(world.event, [item], 10, name=f"Quota {n}")
        question = questions.create_question(world.event, actor=SYSTEM, question_text=f"Q{n}", type="C",
                                             items=[str(item.id)])
        questions.add_option(question, actor=SYSTEM, answer="Yes")
        db.session.commit()

    add(0)
    few = counts()
    for n in range(1, 7):
        add(n)
    assert counts() == few
