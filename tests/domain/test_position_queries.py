"""position_queries: the ticket list's rules without HTTP (one event only, the search's
narrowing to tickets, orderings, CSV rows in the list's order)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from backoffice.domain import order_queries, position_queries
from backoffice.domain.models import InvoiceAddress, OrderPosition
from backoffice.domain.position_queries import PositionFilters
from backoffice.extensions import db
from tests import factories


def found(event, ordering: str = "datetime", **filters) -> list[str]:
    page = position_queries.list_page(event.id, PositionFilters(**filters), ordering, 1)
    return [f"{row.order.code}-{row.position.positionid}" for row in page.items]


def name(position: OrderPosition, full_name: str | None) -> None:
    position.attendee_name_parts = {"_scheme": "full", "full_name": full_name} if full_name else {"_scheme": "full"}
    position.attendee_name_cached = full_name


def test_only_the_events_own_tickets(world):
    other = factories.event(world.organizer, slug="other")
    theirs = factories.order(other, [factories.item(other)], phone="+4930111222")
    name(theirs.all_positions[0], "Same Name")
    mine = factories.order(world.event, [world.ticket])
    name(mine.all_positions[0], "Same Name")
    db.session.commit()
    assert found(world.event) == [f"{mine.code}-1"]
    assert found(world.event, search="same name") == [f"{mine.code}-1"]
    assert found(world.event, search=theirs.all_positions[0].secret[:8]) == []
    assert found(world.event, secret=theirs.all_positions[0].secret) == []
    assert found(world.event, order=theirs.code) == []


def test_search_by_phone_typed_in_groups_lists_the_whole_order(world):
    order = factories.order(world.event, [world.ticket, world.ticket], phone="+4917612345678")
    name(order.all_positions[0], "Ann")
    factories.order(world.event, [world.ticket], phone="+4930999")
    db.session.commit()
    assert found(world.event, search="0176 123 456") == [f"{order.code}-1", f"{order.code}-2"]


def test_search_narrows_per_word_to_named_tickets(world):
    order = factories.order(world.event, [world.ticket, world.ticket, world.ticket])
    ann, ann_addon, ben = order.all_positions
    name(ann, "Ann Meyer")
    name(ann_addon, None)
    ann_addon.addon_to_id = ann.id
    name(ben, "Ben Meyer")
    db.session.add(InvoiceAddress(order=order, name_cached="Carla Meyer"))
    db.session.commit()
    code = order.code
    assert found(world.event, search="meyer") == [f"{code}-1", f"{code}-2", f"{code}-3"]  # everyone is a Meyer
    assert found(world.event, search="ann meyer") == [f"{code}-1", f"{code}-2"]
    assert found(world.event, search="carla ben") == [f"{code}-3"]
    assert found(world.event, search="ann ben") == []


def test_a_canceled_namesake_does_not_hide_the_order(world):
    """A word naming only a canceled ticket narrows to that ticket, which the list leaves out;
    with canceled tickets included it is there."""
    order = factories.order(world.event, [world.ticket, world.ticket])
    name(order.all_positions[0], "Kept")
    name(order.all_positions[1], "Gone")
    order.all_positions[1].canceled = True
    db.session.commit()
    assert found(world.event, search="gone") == []
    assert found(world.event, search="gone", include_canceled_positions=True) == [f"{order.code}-2"]


def test_orders_of_found_tickets_are_orders_the_order_list_finds(world):
    for i, full_name in enumerate(["Jürgen Groß", "Łukasz Nowak", "Zoë Brontë", "Anna Böhm"]):
        order = factories.order(world.event, [world.ticket, world.ticket], email=f"buyer{i}@example.org")
        name(order.all_positions[0], full_name)
    db.session.commit()
    for text in ("gross", "lukasz", "zoe bronte", "boehm", "buyer2", "example", "ann", "xyz"):
        orders = order_queries.list_page([world.event.id], world.organizer.id,
                                         order_queries.OrderFilters(search=text), "-datetime")
        tickets = {t.rsplit("-", 1)[0] for t in found(world.event, search=text)}
        assert tickets == {row.order.code for row in orders.items}, text


@pytest.mark.parametrize("value,expected", [
    (None, "datetime"), ("", "datetime"), ("code", "code"), ("-positionid", "-positionid"),
    ("order__status", "status"), ("-order__code", "-code"), ("order__datetime", "datetime"),
    ("secret", "datetime"), ("--code", "datetime"), ("x" * 300, "datetime"),
])
def test_clean_ordering(value, expected):
    assert position_queries.clean_ordering(value) == expected


def test_active_filters_leave_out_the_canceled_switch():
    f = PositionFilters(search="x", item=[1], include_canceled_positions=True, has_checkin=False)
    assert f.active() == {"search": "x", "item": [1], "has_checkin": False}


@pytest.mark.parametrize("ordering", ["datetime", "-datetime", "code", "-positionid", "attendee_name",
                                      "-attendee_name", "status"])
def test_csv_rows_are_the_pages_in_order(world, ordering):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(30):
        order = factories.order(world.event, [world.ticket, world.ticket], status="np"[i % 2],
                                when=base + timedelta(minutes=i % 7))
        name(order.all_positions[0], f"Name {i % 11}")
        name(order.all_positions[1], None)
    db.session.commit()
    f = PositionFilters()
    listed = []
    for number in (1, 2):
        page = position_queries.list_page(world.event.id, f, ordering, number)
        listed += [(row.order.code, row.position.positionid) for row in page.items]
    rows = list(position_queries.csv_rows(world.event.id, f, ordering))
    assert rows[0] == position_queries.CSV_HEADER
    assert [(r[0], r[1]) for r in rows[1:]] == listed and len(listed) == 60


@pytest.mark.parametrize("ordering", ["datetime", "-datetime", "code", "-code", "status", "-status"])
def test_a_walked_search_finds_the_same_tickets_in_the_same_order(world, ordering):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(24):
        order = factories.order(world.event, [world.ticket, world.ticket, world.ticket], status="npec"[i % 4],
                                when=base + timedelta(minutes=i % 5))
        name(order.all_positions[0], f"Walker {i}")
        name(order.all_positions[1], "Somebody Else" if i % 3 else f"Walker Jr {i}")
        order.all_positions[2].addon_to_id = order.all_positions[0].id
        name(order.all_positions[2], None)
    db.session.commit()
    for text in ("walker", "walker jr", "else"):
        f = PositionFilters(search=text)
        plain = db.session.scalars(position_queries.positions_stmt(world.event.id, f, ordering)).all()
        walked = db.session.scalars(position_queries.positions_stmt(world.event.id, f, ordering, walk=True)).all()
        assert [p.id for p in walked] == [p.id for p in plain] and plain, text


def test_more_than_the_cap_pages_on_without_a_count(world, monkeypatch):
    from backoffice.domain import paging
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    for i in range(30):
        order = factories.order(world.event, [world.ticket, world.ticket])
        name(order.all_positions[0], f"Capped {i}")
    db.session.commit()
    first = position_queries.list_page(world.event.id, PositionFilters(search="capped"), "datetime", 1)
    second = position_queries.list_page(world.event.id, PositionFilters(search="capped"), "datetime", 2)
    assert first.capped and first.total == 11 and len(first.items) == 30 and not first.has_next
    plain = position_queries.list_page(world.event.id, PositionFilters(), "datetime", 2)
    assert plain.capped and [r.position.id for r in plain.items] == \
        [p.id for p in db.session.scalars(position_queries.positions_stmt(world.event.id, PositionFilters(),
                                                                          "datetime")).all()[50:]]
    assert second.number == 1 and [r.position.id for r in second.items] == [r.position.id for r in first.items]


@pytest.mark.parametrize("ordering", ["-datetime", "code", "status"])
@pytest.mark.parametrize("orders,canceled_first,include_canceled", [(9, 0, False), (3, 0, False), (9, 7, False),
                                                                     (9, 7, True)])
def test_a_searchs_pages_and_count_are_slices_of_the_whole_list(world, monkeypatch, ordering, orders,
                                                                canceled_first, include_canceled):
    """Page by page, what the list shows and counts is the whole sorted result cut into pages,
    whichever way the page is read (PostgreSQL reads a search's first pages with their count in
    one query), also when the first orders found have only canceled tickets."""
    from backoffice.domain import paging
    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(orders):
        # the newest orders first in "-datetime"; their tickets are canceled for `canceled_first`
        order = factories.order(world.event, [world.ticket, world.ticket], status="np"[i % 2],
                                when=base - timedelta(minutes=i))
        name(order.all_positions[0], f"Pager {i}")
        if i < canceled_first:
            for position in order.all_positions:
                position.canceled = True
    db.session.commit()
    f = PositionFilters(search="pager", include_canceled_positions=include_canceled)
    whole = [p.id for p in db.session.scalars(position_queries.positions_stmt(world.event.id, f, ordering))]
    assert len(whole) == (orders if include_canceled else orders - canceled_first)
    for number in (1, 2, 3):
        page = position_queries.list_page(world.event.id, f, ordering, number)
        assert page.capped == (len(whole) > 5) and page.total == min(len(whole), 6)
        start = (page.number - 1) * 2
        assert [r.position.id for r in page.items] == whole[start:start + 2], number
        if page.capped:
            assert page.number == number and page.more == (len(whole) > number * 2)
