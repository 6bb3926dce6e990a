"""The search index: the normalised search text of orders and customers finds people however
their names are typed, and every domain change of a searched field keeps it right."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from backoffice.domain import customer_queries, customers, order_fields, order_queries, search_index
from backoffice.domain.audit import Actor
from backoffice.domain.models import Customer, Order
from backoffice.extensions import db
from tests import factories


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def orders_found(world, text: str) -> set[int]:
    """The order list's search and the quick search, which must agree."""
    listed = order_queries.list_page([world.event.id], world.organizer.id,
                                     order_queries.OrderFilters(search=text), "-datetime").items
    quick = order_queries.quick_search(text, [world.event.id], [], limit=1000).orders
    assert {o.id for o in quick} == {row.order.id for row in listed}, text
    return {row.order.id for row in listed}


def customers_found(world, text: str) -> set[int]:
    listed = customer_queries.customers_page(world.organizer, customer_queries.CustomerFilters(query=text)).items
    quick = order_queries.quick_search(text, [], [world.organizer.id], limit=1000).customers
    assert {c.id for c in quick} == {c.id for c in listed}, text
    return {c.id for c in listed}


def address(order, actor, name: str, company: str | None = None) -> None:
    order_fields.set_invoice_address(order, actor=actor, data={
        "name_parts": {"_scheme": "full", "full_name": name}, "company": company, "is_business": bool(company),
        "street": "Hauptstraße 1", "zipcode": "10115", "city": "Berlin", "country": "DE"})


@pytest.fixture
def people(world, actor):
    ev, ticket = world.event, world.ticket
    gross = factories.order(ev, [ticket], email="jg@example.org")
    address(gross, actor, "Jürgen Groß", "Bäckerei Müller")
    zoe = factories.order(ev, [ticket], email="z@example.org")
    zoe.all_positions[0].attendee_name_cached = "Zoë Łapińska"
    rene = factories.customer(world.organizer, "rene@example.org", "René Öztürk", phone="+4917612345678")
    by_customer = factories.order(ev, [ticket], email="other@example.org", customer=rene)
    plain = factories.order(ev, [ticket], email="plain@example.org")
    db.session.commit()
    return dict(gross=gross.id, zoe=zoe.id, rene=rene.id, by_customer=by_customer.id, plain=plain.id)


@pytest.mark.parametrize("text, key", [
    ("gross", "gross"), ("GROSS", "gross"), ("Groß", "gross"), ("jürgen", "gross"), ("JUERGEN", "gross"),
    ("jurgen gross", "gross"), ("Groß Jürgen", "gross"), ("backerei", "gross"), ("BÄCKEREI müller", "gross"),
    ("zoe", "zoe"), ("ZOË", "zoe"), ("łapińska", "zoe"), ("Lapinska zoe", "zoe"), ("ŁAPIŃSKA", "zoe"),
    ("rene", "by_customer"), ("René ÖZTÜRK", "by_customer"), ("oeztuerk", "by_customer"), ("oz", "by_customer"),
])
def test_names_are_found_however_they_are_typed(world, people, text, key):
    assert orders_found(world, text) == {people[key]}


@pytest.mark.parametrize("text", ["öztürk rené", "OZTURK", "0176 1234 5678", "+49176", "rene@exa", "ÖZ"])
def test_customers_are_found_however_they_are_typed(world, people, text):
    assert customers_found(world, text) == {people["rene"]}


def test_a_word_is_not_found_across_two_fields(world, people):
    # "müller" ends one field and "plain" starts none; "gmbh" appears nowhere
    assert orders_found(world, "mullerjg") == set()
    assert orders_found(world, "gross gmbh") == set()


def test_order_field_changes_move_the_text(world, people, actor):
    order = db.session.get(Order, people["plain"])
    order_fields.update_order_fields(order, actor=actor, email="kowalczyk@example.org", phone="+48221234567")
    db.session.commit()
    assert orders_found(world, "kowalczyk") == {order.id}
    assert orders_found(world, "022 123 4567") == {order.id}
    assert orders_found(world, "plain@example") == set()


def test_invoice_address_set_and_removed(world, people, actor):
    order = db.session.get(Order, people["plain"])
    address(order, actor, "Małgorzata Wiśniewska")
    db.session.commit()
    assert orders_found(world, "malgorzata wisniewska") == {order.id}
    address(order, actor, "Ewa Nowak")
    db.session.commit()
    assert orders_found(world, "wisniewska") == set()
    assert orders_found(world, "nowak") == {order.id}
    order_fields.remove_invoice_address(order, actor=actor)
    db.session.commit()
    assert orders_found(world, "nowak") == set()
    assert orders_found(world, "plain") == {order.id}


def test_attendee_name_change_moves_the_text(world, people):
    order = db.session.get(Order, people["zoe"])
    order.all_positions[0].attendee_name_cached = "Søren Kierkegaard"
    db.session.commit()
    assert orders_found(world, "soren") == {order.id}
    assert orders_found(world, "zoe") == set()


def test_customer_edit_moves_the_text_of_customer_and_orders(world, people, actor):
    rene = db.session.get(Customer, people["rene"])
    customers.update_customer(rene, actor=actor, name_parts={"_scheme": "full", "full_name": "René Straßer"},
                              company="Éclair SARL")
    db.session.commit()
    assert customers_found(world, "strasser") == {rene.id}
    assert customers_found(world, "eclair") == {rene.id}
    assert customers_found(world, "ozturk") == set()
    assert orders_found(world, "straßer") == {people["by_customer"]}
    assert orders_found(world, "ozturk") == set()


def test_anonymize_removes_the_customer_from_the_index(world, people, actor):
    rene = db.session.get(Customer, people["rene"])
    customers.anonymize_customer(rene, actor=actor)
    db.session.commit()
    for text in ("ozturk", "rene@example", "0176 1234"):
        assert customers_found(world, text) == set(), text
        assert orders_found(world, text) == set(), text
    assert "rene" not in (db.session.get(Customer, rene.id).search_text or "")
    # the customer is still found by its identifier, as before
    assert customers_found(world, rene.identifier) == {rene.id}


def test_detaching_the_customer_drops_its_name_from_the_order(world, people):
    order = db.session.get(Order, people["by_customer"])
    order.customer = None
    db.session.commit()
    assert orders_found(world, "ozturk") == set()
    assert orders_found(world, "other@example") == {order.id}


def test_stored_text_equals_a_rebuild(world, people, actor):
    """What the flush hook keeps equals what the migration's backfill computes from scratch."""
    address(db.session.get(Order, people["zoe"]), actor, "Ann Lee")
    db.session.commit()
    kept = {o.id: o.search_text for o in db.session.scalars(select(Order))}
    kept_customers = {c.id: c.search_text for c in db.session.scalars(select(Customer))}
    db.session.execute(Order.__table__.update().values(search_text=None))
    db.session.execute(Customer.__table__.update().values(search_text=None))
    assert orders_found(world, "gross") == set()
    search_index.rebuild(db.session.connection(), batch=2)
    db.session.commit()
    db.session.expire_all()
    assert {o.id: o.search_text for o in db.session.scalars(select(Order))} == kept
    assert {c.id: c.search_text for c in db.session.scalars(select(Customer))} == kept_customers
    assert orders_found(world, "gross") == {people["gross"]}


def test_normalise():
    assert search_index.normalise("Straße BÖHM Łukasz Zoë") == "strasse bohm lukasz zoe"
    assert search_index.build_text(["Böhm", None, ""], ["+4930123"]) == "bohm\nboehm\n⁴⁹³⁰¹²³"


def test_short_digits_and_words_do_not_find_phone_numbers(world, people):
    """Digits are looked for in phone numbers only when typed as one (three digits or more)."""
    assert customers_found(world, "17") == set()
    assert customers_found(world, "0176") == customers_found(world, "176") == {people["rene"]}
    assert customers_found(world, "rene 78") == set()
    assert customers_found(world, "rene 678") == {people["rene"]}


def test_an_email_edit_keeps_the_text_from_the_stored_parts(world, people, actor, count_queries):
    """An email or phone edit reads the other searched values in one query; the text is the same
    as the one built from the loaded parts."""
    order = db.session.get(Order, people["by_customer"])
    address(order, actor, "Ann Lee", "Lee & Co")
    order.all_positions[0].attendee_name_cached = "Bea Attendee"
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, people["by_customer"])
    with count_queries() as counted:
        order_fields.update_order_fields(order, actor=actor, email="New.Mail@example.org", phone="+4930999")
        db.session.flush()
    assert sum("invoice_address" in s and "UNION ALL" in s for s in counted.statements) == 1
    db.session.commit()
    db.session.expire_all()
    order = db.session.get(Order, people["by_customer"])
    assert order.search_text == search_index.order_text(order)
    assert orders_found(world, "new.mail") == orders_found(world, "bea attendee") == {order.id}
    assert orders_found(world, "lee & co") == orders_found(world, "öztürk") == {order.id}


def test_trigram_similarity_is_pg_trgms():
    assert search_index.trigram_similarity("Schmidt", "schmidt") == 1.0
    assert search_index.trigram_similarity("word", "other") == 0.0
    # 'schmitd' and 'schmidt' share 5 of their 11 trigrams ("  s", " sc", "sch", "chm", "hmi"):
    # PostgreSQL's similarity('schmitd', 'schmidt') is 0.454545
    assert round(search_index.trigram_similarity("schmitd", "Schmidt"), 6) == 0.454545
    assert (search_index.trigram_similarity("johnsen", "Johnson")
            > search_index.trigram_similarity("johnsen", "Jonas"))


def test_suggestions_look_past_rows_sharing_one_trigram(world, actor, monkeypatch):
    """Candidates come first from rows sharing two trigrams with the typed word, so that many
    rows sharing one common trigram ('sch') do not crowd out the name meant."""
    monkeypatch.setattr(search_index, "SUGGESTION_CANDIDATES", 5)
    for _ in range(8):
        address(factories.order(world.event, [world.ticket], email="s@example.org"), actor, "Anna Schulz")
    address(factories.order(world.event, [world.ticket], email="j@example.org"), actor, "Jan Schmidt")
    db.session.commit()
    scope = Order.event_id == world.event.id
    assert search_index.suggest_names(Order, "Schmitd", scope) == ["Jan Schmidt"]
    # a swap that leaves a single shared trigram is still found, in the looser round
    assert search_index.suggest_names(Order, "Schluz", scope) == ["Anna Schulz"]


@pytest.mark.parametrize("sort", ["-joined", "joined", "identifier", "-last_modified"])
def test_customer_search_pages_sort_and_count_every_match_once(world, sort, monkeypatch):
    """A one-word customer search pages through its matches in the list's order, counts each
    once (found by name and by identifier alike), stops counting at the cap and keeps the
    organizer's customers apart (PostgreSQL reads them from the index lookups, _matches_page)."""
    from datetime import timedelta

    from backoffice.domain import paging
    from backoffice.domain.models import utcnow
    monkeypatch.setattr(paging, "COUNT_CAP", 6)
    other = factories.organizer(slug="other-org")
    start = utcnow() - timedelta(days=30)
    matching = []
    for i in range(9):
        c = factories.customer(world.organizer, f"wiśniewska{i}@example.org", f"Ewa Wiśniewska {i}")
        c.date_joined = start + timedelta(days=i % 4, hours=i)  # ties on the day, not the hour
        matching.append(c)
    factories.customer(world.organizer, "someone@example.org", "Somebody Else")
    factories.customer(other, "wisniewska@example.org", "Ewa Wiśniewska elsewhere")
    db.session.commit()
    f = customer_queries.CustomerFilters(query="wisniewska", sort=sort)
    expected = [c.id for c in db.session.scalars(
        select(Customer).where(Customer.id.in_([c.id for c in matching]))
        .order_by(*customer_queries.ordering(sort)))]
    first = customer_queries.customers_page(world.organizer, f, 1, per_page=4)
    second = customer_queries.customers_page(world.organizer, f, 2, per_page=4)
    third = customer_queries.customers_page(world.organizer, f, 3, per_page=4)
    assert [c.id for p in (first, second, third) for c in p.items] == expected
    assert first.capped and first.total == 7 and first.more  # "more than 6"
    assert [c.id for c in customer_queries.customers_page(world.organizer, f, 9, per_page=4).items] == expected[8:]
    by_identifier = customer_queries.CustomerFilters(query=matching[0].identifier.lower(), sort=sort)
    page = customer_queries.customers_page(world.organizer, by_identifier)
    assert [c.id for c in page.items] == [matching[0].id] and page.total == 1 and not page.capped
