"""Order lists and detail (seed 003): shapes, filters, ordering, modified_since, include/exclude."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from backoffice.domain.models import (Answer, Checkin, CheckinList, InvoiceAddress, OrderRefund, OrderStatus,
                                      Question, QuestionOption)
from backoffice.extensions import db
from tests import factories

from .conftest import seed_example
from .shapes import assert_same_shape

EVENT = "/api/v1/organizers/demo/events/conf/orders/"
ORGANIZER = "/api/v1/organizers/demo/orders/"
SEED_NULLS = frozenset({"$.next", "$.previous", "$.results[].customer", "$.results[].custom_followup_at",
                        "$.results[].checkin_text", "$.results[].positions[].variation",
                        "$.results[].positions[].voucher", "$.results[].positions[].addon_to",
                        "$.results[].positions[].subevent", "$.results[].positions[].blocked",
                        "$.results[].positions[].seat"})


def demo_order(world, when=None, **kw):
    """An order like the seed's: paid, an invoice address, a position with a check-in and an answer."""
    kw.setdefault("status", OrderStatus.PAID)
    order = factories.order(world.event, [world.ticket], email="tester@example.org", phone="+491234567",
                            when=when or datetime(2017, 12, 1, 10, tzinfo=timezone.utc), **kw)
    db.session.add(InvoiceAddress(order=order, is_business=True, company="Sample company",
                                  name_parts={"_scheme": "full", "full_name": "John Doe"}, name_cached="John Doe",
                                  street="Test street 12", zipcode="12345", city="Testington", country="DE",
                                  state="", internal_reference="", vat_id="EU123456789"))
    position = order.all_positions[0]
    question = Question(event_id=world.event.id, identifier="WY3TP9SL", question="Diet?", type="C")
    option = QuestionOption(question=question, identifier="VEG", answer="Vegetarian")
    checkin_list = CheckinList(event_id=world.event.id, name="Entrance")
    db.session.add_all([question, option, checkin_list])
    db.session.flush()
    answer = Answer(position=position, question=question, answer="Vegetarian")
    answer.options = [option]
    db.session.add_all([answer, Checkin(list_id=checkin_list.id, position_id=position.id,
                                        datetime=datetime(2017, 12, 25, 12, 45, tzinfo=timezone.utc))])
    db.session.commit()
    return order


def test_event_list_replays_the_seed_example(api, world):
    order = demo_order(world)
    response = api.get(EVENT)
    assert response.status_code == 200
    example = seed_example("order_list")
    assert_same_shape(response.json, example, nullable=SEED_NULLS)
    result = response.json["results"][0]
    assert result["code"] == order.code and result["event"] == "conf" and result["status"] == "p"
    assert result["total"] == "50.00" and result["positions"][0]["price"] == "50.00"
    assert result["url"] == f"http://backoffice.test/demo/conf/order/{order.code}/{order.secret}/"
    assert result["positions"][0]["answers"][0]["option_identifiers"] == ["VEG"]
    assert result["positions"][0]["checkins"][0]["datetime"] == "2017-12-25T12:45:00Z"
    assert result["datetime"] == "2017-12-01T10:00:00Z"
    assert result["payment_provider"] == "manual" and result["payment_date"] == "2017-12-01"
    generated = datetime.fromisoformat(response.headers["X-Page-Generated"].replace("Z", "+00:00"))
    assert generated.tzinfo is not None


def test_detail_and_organizer_list_have_the_same_order(api, world):
    order = demo_order(world)
    detail = api.get(f"{EVENT}{order.code}/")
    assert detail.status_code == 200
    assert_same_shape(detail.json, seed_example("order_list")["results"][0],
                      nullable=frozenset(p.replace("$.results[]", "$") for p in SEED_NULLS))
    listed = api.get(ORGANIZER).json["results"]
    assert listed == [detail.json]
    assert api.get(f"{EVENT}{order.code.lower()}/").json["code"] == order.code


def test_unknown_order_is_404(api, world):
    assert api.get(f"{EVENT}NOPE1/").status_code == 404
    assert api.get(f"{EVENT}{'X' * 100}/").status_code == 404


def test_ordering_by_each_field_both_ways(api, world):
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    a = factories.order(world.event, [world.ticket], when=base, status=OrderStatus.PAID)
    b = factories.order(world.event, [world.ticket], when=base + timedelta(hours=1))
    a.code, b.code = "BBBBB", "AAAAA"
    db.session.commit()

    def codes(ordering):
        return [o["code"] for o in api.get(f"{EVENT}?ordering={ordering}").json["results"]]
    assert codes("datetime") == [a.code, b.code]
    assert codes("-datetime") == [b.code, a.code]
    assert codes("code") == ["AAAAA", "BBBBB"]
    assert codes("-code") == ["BBBBB", "AAAAA"]
    assert codes("status") == [b.code, a.code]  # n before p
    assert api.get(f"{EVENT}?ordering=total").status_code == 400
    assert [o["code"] for o in api.get(EVENT).json["results"]] == [a.code, b.code]  # default: datetime


def test_filters_of_003(api, world):
    a = factories.order(world.event, [world.ticket], email="Buyer@Example.org", status=OrderStatus.PAID)
    b = factories.order(world.event, [world.ticket], email="other@example.org", testmode=True)
    db.session.commit()

    def codes(params):
        response = api.get(f"{EVENT}?{params}")
        assert response.status_code == 200, response.json
        return {o["code"] for o in response.json["results"]}
    assert codes("status=p") == {a.code}
    assert codes("status=p&status=n") == {a.code, b.code}
    assert codes("email=buyer@example.ORG") == {a.code}
    assert codes("testmode=true") == {b.code}
    assert codes("testmode=false") == {a.code}
    assert codes(f"code={b.code}") == {b.code}
    assert codes(f"item={world.ticket.id}") == {a.code, b.code}
    assert codes("item=999999") == set()
    assert codes("created_since=2999-01-01T00:00:00Z") == set()


def test_modified_since_with_the_page_generated_header_sees_later_changes(api, world):
    old = factories.order(world.event, [world.ticket], when=datetime(2020, 1, 1, tzinfo=timezone.utc))
    db.session.commit()
    first = api.get(EVENT)
    since = first.headers["X-Page-Generated"]
    assert api.get(f"{EVENT}?modified_since={since}").json["count"] == 0
    api.post(f"{EVENT}{old.code}/mark_paid/", {"send_email": False})
    changed = api.get(EVENT, query_string={"modified_since": since}).json
    assert [o["code"] for o in changed["results"]] == [old.code]


def test_include_and_exclude_with_dotted_paths(api, world):
    demo_order(world)
    only = api.get(f"{EVENT}?include=code&include=positions.secret").json["results"][0]
    assert set(only) == {"code", "positions"} and set(only["positions"][0]) == {"secret"}
    both = api.get(f"{EVENT}?include=code&include=positions&exclude=positions.checkins").json["results"][0]
    assert set(both) == {"code", "positions"} and "checkins" not in both["positions"][0]
    assert "item" in both["positions"][0]
    without = api.get(f"{EVENT}?exclude=fees&exclude=positions.downloads").json["results"][0]
    assert "fees" not in without and "downloads" not in without["positions"][0] and "downloads" in without


def test_canceled_positions_and_fees_only_when_asked(api, world):
    order = factories.order(world.event, [world.ticket, world.ticket], fees=[("payment", "2.50")])
    order.all_positions[1].canceled = True
    order.all_fees[0].canceled = True
    db.session.commit()
    plain = api.get(f"{EVENT}{order.code}/").json
    assert [p["positionid"] for p in plain["positions"]] == [1] and plain["fees"] == []
    full = api.get(f"{EVENT}{order.code}/?include_canceled_positions=true&include_canceled_fees=true").json
    assert [p["canceled"] for p in full["positions"]] == [False, True]
    assert full["fees"][0]["value"] == "2.50" and full["fees"][0]["canceled"] is True
    listed = api.get(f"{EVENT}?include_canceled_positions=true").json["results"][0]
    assert len(listed["positions"]) == 2


def test_organizer_list_shows_only_the_teams_events(client, world):
    from .conftest import Api, limited_team, make_token, team_of
    other = factories.event(world.organizer, slug="other")
    factories.order(world.event, [world.ticket])
    hidden = factories.item(other, "Other ticket", "10.00")
    factories.order(other, [hidden], status=OrderStatus.PAID)
    elsewhere = factories.event(factories.organizer(slug="elsewhere"), slug="conf")
    factories.order(elsewhere, [factories.item(elsewhere)])
    db.session.commit()
    api = Api(client, make_token(limited_team(world, [world.event])))
    listed = api.get(ORGANIZER).json
    assert {o["event"] for o in listed["results"]} == {"conf"} and listed["count"] == 1
    # the count (read apart from the page) agrees with the page for a team of every event too,
    # with and without a filter, and never counts another organizer's orders
    everything = Api(client, make_token(team_of(world.admin)))
    listed = everything.get(ORGANIZER).json
    assert sorted(o["event"] for o in listed["results"]) == ["conf", "other"] and listed["count"] == 2
    paid = everything.get(ORGANIZER, query_string={"status": "p"}).json
    assert [o["event"] for o in paid["results"]] == ["other"] and paid["count"] == 1


def test_money_keeps_two_decimals(api, world):
    order = factories.order(world.event, [world.ticket])
    order.all_positions[0].price = Decimal("7.5")
    order.total = Decimal("7.5")
    db.session.commit()
    result = api.get(f"{EVENT}{order.code}/").json
    assert result["total"] == "7.50" and result["positions"][0]["price"] == "7.50"


# --- a page of orders with every part: the same JSON as one order, in a fixed number of queries ---

def rich_orders(world, count: int) -> list:
    """`count` orders showing every part an order has: customer, invoice address, fees, a payment
    and a refund, and positions with a seat, an answer with options and a check-in."""
    question = Question(event_id=world.event.id, identifier="MEAL", question="Meal?", type="M")
    options = [QuestionOption(question=question, identifier=f"O{i}", answer=f"Option {i}", position=2 - i)
               for i in range(2)]
    checkin_list = CheckinList(event_id=world.event.id, name="Entrance")
    db.session.add_all([question, *options, checkin_list])
    db.session.flush()
    made = []
    for i in range(count):
        seat = factories.seat(world.event, f"R{i}")
        order = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID,
                                fees=[("payment", "2.50")], seats=[seat, None],
                                customer=factories.customer(world.organizer),
                                when=datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=i))
        db.session.add(InvoiceAddress(order=order, company=f"Company {i}", name_parts={"_scheme": "full",
                                      "full_name": "Jo"}, name_cached="Jo", country="DE"))
        first = order.all_positions[0]
        answer = Answer(position=first, question=question, answer="Option 0, Option 1")
        answer.options = list(options)
        db.session.add_all([answer, Checkin(list_id=checkin_list.id, position_id=first.id,
                                            datetime=datetime(2024, 2, 1, 9, 30, tzinfo=timezone.utc))])
        db.session.add(OrderRefund(order=order, local_id=1, state="done", source="admin", amount=Decimal("5.00"),
                                   provider="manual", payment=order.payments[0],
                                   created=datetime(2024, 1, 3, tzinfo=timezone.utc)))
        made.append(order)
    db.session.commit()
    return made


def test_a_page_of_orders_sends_what_each_order_sends(api, world):
    orders = rich_orders(world, 3)
    listed = api.get(f"{EVENT}?include_canceled_positions=true&include_canceled_fees=true").json["results"]
    assert [o["code"] for o in listed] == [o.code for o in orders]
    for order, entry in zip(orders, listed):
        detail = api.get(f"{EVENT}{order.code}/?include_canceled_positions=true&include_canceled_fees=true").json
        assert entry == detail
    first = listed[0]
    assert first["customer"] and first["invoice_address"]["company"] == "Company 0"
    assert first["fees"][0]["value"] == "2.50" and first["payments"][0]["amount"] == "102.50"
    assert first["refunds"][0]["payment"] == 1 and first["refunds"][0]["created"] == "2024-01-03T00:00:00Z"
    seated, unseated = first["positions"]
    assert seated["seat"]["name"] == "R0" and unseated["seat"] is None
    # options in the order the question lists them
    assert seated["answers"][0]["option_identifiers"] == ["O1", "O0"]
    assert seated["checkins"][0]["datetime"] == "2024-02-01T09:30:00Z" and unseated["checkins"] == []


def test_a_page_of_orders_is_what_the_order_schema_sends(api, world):
    """The list is sent as built, without going through the model: the model (and the OpenAPI
    document made from it) must still give back exactly the same."""
    from backoffice.api.order_output import sent
    from backoffice.api.schemas.orders import Order as OrderSchema
    rich_orders(world, 2)
    for query in ("", "?pdf_data=true&include_canceled_positions=true"):
        for entry in api.get(EVENT + query).json["results"]:
            assert sent(OrderSchema, entry) == entry


def test_order_list_page_needs_a_fixed_number_of_queries(api, world, count_queries):
    rich_orders(world, 12)
    api.get(EVENT)  # the token's "last used" is written on its first request only
    # token with its team and organizer, event; count, page; the page's events and organizers,
    # positions, products; customers, invoice addresses, fees, payments, refunds, answers, answer
    # options, check-ins, seats
    with count_queries() as twelve:
        assert api.get(EVENT).json["count"] == 12
    assert twelve.count == 17, "\n".join(twelve.statements)
    with count_queries() as printed:
        assert api.get(f"{EVENT}?pdf_data=true").status_code == 200
    # and the seats as the ticket prints them (variations and dates of a series too, when any
    # position has one)
    assert printed.count == 17 + 1, "\n".join(printed.statements)


# --- pdf_data ------------------------------------------------------------------------------------

def test_pdf_data_sends_what_the_ticket_prints(api, world):
    seat = factories.seat(world.event, "B7")
    order = factories.order(world.event, [world.ticket], seats=[seat])
    german = factories.order(world.event, [world.ticket], locale="de")
    db.session.commit()
    plain = api.get(EVENT).json["results"][0]
    assert "pdf_data" not in plain["positions"][0]
    listed = {o["code"]: o for o in api.get(f"{EVENT}?pdf_data=true").json["results"]}
    data = listed[order.code]["positions"][0]["pdf_data"]
    position = order.all_positions[0]
    assert data["event_name"] == "Conference" and data["organizer"] == "Demo Organizer"
    assert data["itemvar"] == "Regular ticket" and data["attendee_name"] == "Attendee 1"
    assert data["order"] == order.code and data["positionid"] == 1 and data["secret"] == position.secret
    assert data["price"] == "€50.00" and data["seat"].startswith("B7") and data["attendee_company"] == ""
    assert "(Europe/Berlin)" in data["event_date"]
    # in the order's language, as its PDF
    assert listed[german.code]["positions"][0]["pdf_data"]["price"] == "50,00\xa0€"
    # the organizer-wide list does not offer it (as in pretix) and ignores the parameter
    everywhere = api.get(f"{ORGANIZER}?pdf_data=true").json["results"]
    assert everywhere and all("pdf_data" not in p for o in everywhere for p in o["positions"])
    assert "pdf_data" not in api.get(f"{EVENT}{order.code}/?pdf_data=true").json["positions"][0]
    assert api.get(f"{EVENT}?pdf_data=maybe").status_code == 400


def test_pdf_data_is_documented_on_the_event_list_only(client):
    doc = client.get("/api/v1/openapi.json").json
    params = lambda path: {p["name"] for p in doc["paths"][path]["get"]["parameters"]}  # noqa: E731
    assert "pdf_data" in params("/api/v1/organizers/{organizer}/events/{event}/orders/")
    assert "pdf_data" not in params("/api/v1/organizers/{organizer}/orders/")
    assert "secret" in doc["components"]["schemas"]["PdfData"]["properties"]


def test_a_page_of_positions_sends_what_each_position_sends(api, world):
    from backoffice.api.order_output import sent
    from backoffice.api.schemas.orders import Position
    rich_orders(world, 2)
    listed = api.get("/api/v1/organizers/demo/events/conf/orderpositions/").json["results"]
    assert len(listed) == 4 and listed[0]["seat"]["name"] == "R0" and listed[0]["answers"]
    for entry in listed:
        assert entry == api.get(f"/api/v1/organizers/demo/events/conf/orderpositions/{entry['id']}/").json
        assert sent(Position, entry) == entry
