"""Seating lists without HTTP: importing CSV (all or nothing, row-numbered errors, re-imports
that add and update but never delete), and blocking seats."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backoffice.domain import availability, seats
from backoffice.domain.audit import Actor, history
from backoffice.domain.errors import Invalid
from backoffice.domain.models import LogEntry, OrderStatus, Seat
from backoffice.extensions import db
from tests import factories

GOOD = b"section,row,number,name,blocked\nStalls,A,1,,\nStalls,A,2,Aisle seat,no\nBalcony,1,10,,yes\n"


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def all_seats() -> list[tuple]:
    db.session.expire_all()
    return [(s.zone_name, s.row_name, s.seat_number, s.name, s.blocked, s.subevent_id)
            for s in db.session.scalars(select(Seat).order_by(Seat.zone_name, Seat.row_name, Seat.seat_number))]


def test_import_adds_seats_with_names_and_blocks(world, actor):
    result = seats.import_seats(world.event, GOOD, actor=actor)
    db.session.commit()
    assert (result.added, result.updated, result.unchanged) == (3, 0, 0)
    assert all_seats() == [("Balcony", "1", "10", "Balcony, Row 1, Seat 10", True, None),
                           ("Stalls", "A", "1", "Stalls, Row A, Seat 1", False, None),
                           ("Stalls", "A", "2", "Aisle seat", False, None)]
    entry = history(world.event)[0]
    assert entry.action_type == "seats.imported" and entry.data["added"] == 3


def test_reimport_updates_and_adds_but_never_deletes(world, actor):
    seats.import_seats(world.event, GOOD, actor=actor)
    sold = db.session.scalars(select(Seat).where(Seat.seat_number == "1")).one()
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID, seats=[sold])
    db.session.commit()
    result = seats.import_seats(world.event, b"section;row;number;name;blocked\nStalls;A;2;Renamed;\n"
                                             b"Stalls;B;1;;\n", actor=actor)
    db.session.commit()
    assert (result.added, result.updated, result.unchanged) == (1, 1, 0)
    assert len(all_seats()) == 4
    assert availability.seats_taken([sold.id]) == {sold.id}


def test_seats_of_a_date_are_separate(world, actor):
    date = factories.subevent(world.event)
    db.session.commit()
    with pytest.raises(Invalid, match="Choose the date"):
        seats.subevent_for(world.event, "")
    seats.import_seats(world.event, GOOD, actor=actor, subevent=seats.subevent_for(world.event, str(date.id)))
    db.session.commit()
    assert {s[5] for s in all_seats()} == {date.id}


@pytest.mark.parametrize("data,problems", [
    (b"section,row,number\nStalls,A,\nStalls,A,1\nStalls,A,1\n",
     ["Row 2: the seat number is empty.", "Row 4: the same seat as row 3"]),
    (b"section,row,number,blocked\nStalls,A,1,perhaps\n", ["Row 2: blocked must be yes or no, not 'perhaps'."]),
    (b"section,row,number\nStalls,A,1,extra\n", ["Row 2: more cells than columns in the header."]),
    (b"section,row,number\nStalls,A," + b"9" * 300 + b"\n", ["Row 2: the number is too long"]),
    (b"row,number,colour\nA,1,red\n", ["Row 1: the header lacks the column(s) section",
                                       "Row 1: unknown column(s) colour."]),
    (b"", ["The file is empty"]),
    (b"section,row,number\n", ["a header row but no seats"]),
    (b"\xff\xfe\x00s", ["not UTF-8"]),
])
def test_a_bad_file_writes_nothing_and_names_every_bad_row(world, actor, data, problems):
    seats.import_seats(world.event, GOOD, actor=actor)
    db.session.commit()
    before = (all_seats(), db.session.scalar(select(func.count(LogEntry.id))))
    with pytest.raises(seats.ImportRefused) as e:
        seats.import_seats(world.event, data, actor=actor)
    db.session.rollback()
    for problem in problems:
        assert any(p.startswith(problem) or problem in p for p in e.value.problems), (problem, e.value.problems)
    assert e.value.message.startswith("Nothing was imported")
    assert (all_seats(), db.session.scalar(select(func.count(LogEntry.id)))) == before


def test_blocking_and_unblocking_a_seat_is_logged(world, actor):
    seat = factories.seat(world.event, "A1")
    db.session.commit()
    assert seats.set_blocked(seat, actor=actor, blocked=True)
    assert not seats.set_blocked(seat, actor=actor, blocked=True)
    db.session.commit()
    assert availability.shortages(world.event.id, [availability.Need(world.ticket.id, None, None, seat.id)]) == [
        "Seat A1 is blocked by the organizer and cannot be sold."]
    assert seats.set_blocked(seat, actor=actor, blocked=False)
    db.session.commit()
    assert [e.action_type for e in history(world.event)][:2] == ["seat.unblocked", "seat.blocked"]


def test_seat_list_filters_by_section_and_blocked(world, actor):
    seats.import_seats(world.event, GOOD, actor=actor)
    db.session.commit()
    page = seats.seat_page(world.event, seats.SeatFilters(section="Stalls"))
    assert [s.seat_number for s in page.items] == ["1", "2"]
    page = seats.seat_page(world.event, seats.SeatFilters(blocked="yes"))
    assert [s.name for s in page.items] == ["Balcony, Row 1, Seat 10"]
    assert seats.sections(world.event) == ["Balcony", "Stalls"]
