"""Shared domain pieces: names, codes, last_modified, availability, errors."""
import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest

from backoffice.domain import availability, codes, order_fields, orders, secrets
from backoffice.domain.availability import Need
from backoffice.domain.errors import DomainError, Invalid
from backoffice.domain.models import (Answer, InvoiceAddress, Order, OrderPayment, OrderStatus, Question,
                                      QuestionOption, utcnow)
from backoffice.domain.names import clean_name_parts, derive_name
from backoffice.extensions import db
from tests import factories


# --- names -----------------------------------------------------------------

def test_name_from_full_scheme():
    assert derive_name({"_scheme": "full", "full_name": "John Doe"}) == "John Doe"


def test_name_from_given_family_scheme():
    assert derive_name({"_scheme": "given_family", "given_name": "Anna", "family_name": "Müller"}) == "Anna Müller"


def test_name_with_one_part_missing():
    assert derive_name({"_scheme": "given_family", "family_name": "Müller"}) == "Müller"


def test_name_of_empty_parts_is_none():
    assert derive_name({"_scheme": "full"}) is None
    assert derive_name(None) is None


def test_name_parts_without_scheme_key_as_in_a_seed_example():
    assert derive_name({"full_name": "John Doe"}) == "John Doe"


def test_clean_name_parts_keeps_the_scheme_and_strips():
    assert clean_name_parts({"given_name": " Anna ", "family_name": "Lee"}, "given_family") == {
        "_scheme": "given_family", "given_name": "Anna", "family_name": "Lee"}


def test_clean_name_parts_refuses_foreign_fields_and_huge_names():
    with pytest.raises(Invalid):
        clean_name_parts({"given_name": "Anna"}, "full")
    with pytest.raises(Invalid, match="at most 255"):
        clean_name_parts({"full_name": "x" * 10_000}, "full")
    with pytest.raises(Invalid):
        clean_name_parts({"full_name": 12}, "full")


# --- codes -----------------------------------------------------------------

def test_order_code_format():
    for _ in range(200):
        code = codes.order_code()
        assert re.fullmatch(r"[A-NP-Z2-9]{5}", code), code
        assert "O" not in code and "1" not in code and "0" not in code


def test_customer_identifier_format():
    for _ in range(200):
        assert re.fullmatch(r"[A-NP-Z2-9]{7}", codes.customer_identifier())


def test_secret_formats():
    assert re.fullmatch(r"[a-z0-9]{16}", codes.order_secret())
    assert re.fullmatch(r"[a-z0-9]{32}", codes.position_secret())
    assert len({codes.position_secret() for _ in range(1000)}) == 1000


# --- last_modified ---------------------------------------------------------

def _order(world):
    order = factories.order(world.event, [world.ticket, world.ticket])
    order.last_modified = utcnow() - timedelta(days=1)
    db.session.commit()
    return order


def test_last_modified_moves_when_a_position_changes(world):
    order = _order(world)
    before = order.last_modified
    order.all_positions[0].attendee_email = "new@example.org"
    db.session.commit()
    assert db.session.get(Order, order.id).last_modified > before


def test_last_modified_moves_when_a_payment_is_added_or_changed(world):
    order = _order(world)
    before = order.last_modified
    payment = OrderPayment(order=order, local_id=1, state="created", amount=Decimal("10.00"), provider="manual")
    db.session.add(payment)
    db.session.commit()
    after_add = db.session.get(Order, order.id).last_modified
    assert after_add > before
    payment.state = "confirmed"
    db.session.commit()
    assert db.session.get(Order, order.id).last_modified > after_add


def test_last_modified_moves_for_invoice_address_and_answers(world):
    order = _order(world)
    before = order.last_modified
    db.session.add(InvoiceAddress(order=order, name_parts={"_scheme": "full", "full_name": "X"}, name_cached="X"))
    db.session.commit()
    after_address = db.session.get(Order, order.id).last_modified
    assert after_address > before
    answer = _answer(order)
    after_new_answer = db.session.get(Order, order.id).last_modified
    assert after_new_answer > after_address
    answer.answer = "Vegetarian"
    db.session.commit()
    assert db.session.get(Order, order.id).last_modified > after_new_answer


def _answer(order, options=()):
    question = Question(event_id=order.event_id, identifier="diet", question="Dietary needs", type="M")
    question.options = [QuestionOption(identifier=f"o{i}", answer=text, position=i)
                        for i, text in enumerate(["Vegan", "Vegetarian", "Halal"])]
    db.session.add(question)
    answer = Answer(position=order.all_positions[0], question=question, answer="Vegan",
                    options=[question.options[i] for i in options])
    db.session.add(answer)
    db.session.commit()
    return answer


def test_last_modified_moves_when_only_the_options_of_an_answer_change(world):
    order = _order(world)
    answer = _answer(order, options=[0])
    order.last_modified = before = utcnow() - timedelta(hours=1)
    db.session.commit()
    vegan, vegetarian, _halal = answer.question.options
    answer.options.append(vegetarian)
    db.session.commit()
    after_adding = db.session.get(Order, order.id).last_modified
    assert after_adding > before
    answer.options.remove(vegan)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Order, order.id).last_modified > after_adding
    assert [o.answer for o in db.session.get(Answer, answer.id).options] == ["Vegetarian"]


def test_modified_since_finds_an_order_whose_answer_options_changed(world):
    from backoffice.domain import order_queries
    order = _order(world)
    answer = _answer(order)
    order.last_modified = utcnow() - timedelta(days=2)
    db.session.commit()
    since = utcnow() - timedelta(minutes=1)
    found = lambda: [o.code for o in db.session.scalars(order_queries.orders_stmt(
        [world.event.id], world.organizer.id, order_queries.OrderFilters(modified_since=since), "code"))]
    assert found() == []
    answer.options = [answer.question.options[2]]
    db.session.commit()
    assert found() == [order.code]


def test_last_modified_stays_when_nothing_changes(world):
    order = _order(world)
    before = order.last_modified
    order.all_positions[0].attendee_email = order.all_positions[0].attendee_email
    db.session.commit()
    assert db.session.get(Order, order.id).last_modified == before


def test_last_modified_strictly_increases(world):
    order = _order(world)
    stamps = []
    for i in range(3):
        order.comment = f"comment {i}"
        db.session.commit()
        stamps.append(db.session.get(Order, order.id).last_modified)
    assert stamps[0] < stamps[1] < stamps[2]


# --- availability ----------------------------------------------------------

def test_quota_counts_pending_and_paid_but_not_expired_canceled_or_canceled_positions(world):
    q = world.quota
    factories.order(world.event, [world.ticket], status=OrderStatus.PENDING)
    factories.order(world.event, [world.ticket], status=OrderStatus.PAID)
    factories.order(world.event, [world.ticket], status=OrderStatus.EXPIRED)
    factories.order(world.event, [world.ticket], status=OrderStatus.CANCELED)
    partly = factories.order(world.event, [world.ticket, world.ticket], status=OrderStatus.PAID)
    partly.all_positions[1].canceled = True
    db.session.commit()
    assert availability.quota_used(q) == 3
    assert availability.quota_available(q) == 97


def test_quota_per_subevent_counts_only_its_date(world):
    ev = world.event
    first, second = factories.subevent(ev, "Monday"), factories.subevent(ev, "Tuesday", days=11)
    walk = factories.item(ev, "Walk", "10.00")
    q1 = factories.quota(ev, [walk], 2, name="Monday walk", subevent=first)
    q2 = factories.quota(ev, [walk], 2, name="Tuesday walk", subevent=second)
    factories.order(ev, [walk, walk], subevent=first)
    db.session.commit()
    assert availability.quota_used(q1) == 2 and availability.quota_used(q2) == 0
    with pytest.raises(Invalid, match="Only 0 tickets left in quota 'Monday walk' for Monday"):
        availability.ensure_available(ev.id, [Need(walk.id, None, first.id)])
    availability.ensure_available(ev.id, [Need(walk.id, None, second.id)] * 2)
    availability.ensure_available(ev.id, [Need(walk.id, None, first.id)], force=True)


def test_quota_of_variations_counts_only_its_variations(world):
    ev = world.event
    shirt = factories.item(ev, "Shirt", "15.00", variations=[("S", "15.00"), ("L", "15.00")])
    small, large = shirt.variations
    q_small = factories.quota(ev, [shirt], 1, name="Small shirts", variations=[small])
    factories.order(ev, [(shirt, large), (shirt, large)])
    db.session.commit()
    assert availability.quota_used(q_small) == 0
    availability.ensure_available(ev.id, [Need(shirt.id, small.id, None)])
    factories.order(ev, [(shirt, small)])
    db.session.commit()
    with pytest.raises(Invalid):
        availability.ensure_available(ev.id, [Need(shirt.id, small.id, None)])


def test_unlimited_quota_never_refuses(world):
    world.quota.size = None
    db.session.commit()
    availability.ensure_available(world.event.id, [Need(world.ticket.id, None, None)] * 1000)


def test_seat_taken_by_a_valid_order_is_refused_and_free_after_cancel(world):
    ev = world.event
    a1, a2 = factories.seat(ev, "A1"), factories.seat(ev, "A2")
    holder = factories.order(ev, [world.ticket], seats=[a1])
    db.session.commit()
    with pytest.raises(Invalid, match="Seat A1 is no longer available"):
        availability.ensure_available(ev.id, [Need(world.ticket.id, None, None, a1.id)])
    availability.ensure_available(ev.id, [Need(world.ticket.id, None, None, a2.id)])
    # the holder's own order may keep its seat
    availability.ensure_available(ev.id, [Need(world.ticket.id, None, None, a1.id)], exclude_order_id=holder.id)
    holder.status = OrderStatus.CANCELED
    db.session.commit()
    availability.ensure_available(ev.id, [Need(world.ticket.id, None, None, a1.id)])


def test_two_tickets_on_one_seat_are_refused(world):
    a1 = factories.seat(world.event, "A1")
    db.session.commit()
    with pytest.raises(Invalid, match="same seat"):
        availability.ensure_available(world.event.id, [Need(world.ticket.id, None, None, a1.id)] * 2)


# --- errors ----------------------------------------------------------------

def test_quota_shortage_is_invalid_not_a_conflict(world):
    world.quota.size = 0
    db.session.commit()
    with pytest.raises(DomainError) as info:
        availability.ensure_available(world.event.id, [Need(world.ticket.id, None, None)])
    assert (info.value.kind, info.value.status, info.value.code) == ("invalid", 400, "quota_exceeded")


def test_seat_shortage_is_invalid_not_a_conflict(world):
    seat = factories.seat(world.event, "A1")
    factories.order(world.event, [world.ticket], seats=[seat])
    db.session.commit()
    with pytest.raises(DomainError) as info:
        availability.ensure_available(world.event.id, [Need(world.ticket.id, None, None, seat.id)])
    assert (info.value.kind, info.value.status) == ("invalid", 400)


def test_stale_save_is_a_conflict(world):
    from backoffice.domain.audit import Actor
    order = factories.order(world.event, [world.ticket])
    db.session.commit()
    seen = order.last_modified.isoformat()
    order.comment = "changed by a colleague"
    db.session.commit()
    with pytest.raises(DomainError) as info:
        order_fields.update_order_fields(order, actor=Actor(user=world.admin), seen_last_modified=seen, comment="mine")
    assert (info.value.kind, info.value.status, info.value.code) == ("conflict", 409, "stale")


def test_unknown_order_is_not_found(world):
    with pytest.raises(DomainError) as info:
        orders.get_order(world.event, "NOPE1")
    assert (info.value.kind, info.value.status) == ("not_found", 404)
    assert "no order NOPE1" in info.value.message


# --- locking ---------------------------------------------------------------

def test_locked_read_modify_write_loses_no_update(app, world):
    """Writers that lock the row wait for each other, on SQLite and PostgreSQL alike."""
    import time
    from backoffice.domain import tx

    order = factories.order(world.event, [world.ticket])
    order.checkin_text = "0"
    db.session.commit()
    order_id = order.id
    errors = []

    def worker():
        with app.app_context():
            try:
                for _ in range(5):
                    with tx.immediate():
                        locked = tx.lock(Order, order_id)
                        value = int(locked.checkin_text)
                        time.sleep(0.01)  # widen the window a lost update would need
                        locked.checkin_text = str(value + 1)
                        db.session.commit()
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.session.rollback()  # end this thread's read snapshot
    assert db.session.get(Order, order_id).checkin_text == "20"


def test_removing_the_last_block_leaves_sql_null_and_unblocks_the_secret(world):
    from sqlalchemy import select as sa_select
    from backoffice.domain.audit import Actor
    from backoffice.domain.models import BlockedSecret, OrderPosition
    actor = Actor(user=world.admin)
    order = factories.order(world.event, [world.ticket, world.ticket])
    position = order.all_positions[0]
    secrets.add_block(position, actor=actor)
    secrets.add_block(position, actor=actor, block="api:gate.7")
    db.session.commit()

    def unblocked_ids():
        return sorted(db.session.scalars(sa_select(OrderPosition.id).where(OrderPosition.blocked.is_(None))))

    def secret_blocked():
        return db.session.scalar(sa_select(BlockedSecret.blocked).where(BlockedSecret.secret == position.secret))

    assert unblocked_ids() == [order.all_positions[1].id] and secret_blocked() is True
    secrets.remove_block(position, actor=actor)
    db.session.commit()
    assert position.blocked == ["api:gate.7"] and secret_blocked() is True
    secrets.remove_block(position, actor=actor, block="api:gate.7")
    db.session.commit()
    db.session.expire_all()
    # the last block gone: SQL NULL (not [] or JSON null), so `blocked IS NULL` finds the ticket again
    assert unblocked_ids() == sorted(p.id for p in order.all_positions)
    assert secret_blocked() is False


def test_block_names_and_removing_a_missing_block_are_refused(world):
    from backoffice.domain.audit import Actor
    actor = Actor(user=world.admin)
    position = factories.order(world.event, [world.ticket]).all_positions[0]
    db.session.commit()
    for bad in ("api:", "api:gate 7", "other", ""):
        with pytest.raises(Invalid, match="'admin' or 'api:'"):
            secrets.add_block(position, actor=actor, block=bad)
    with pytest.raises(Invalid, match="has no block 'admin'"):
        secrets.remove_block(position, actor=actor)
    db.session.rollback()
    assert db.session.get(type(position), position.id).blocked is None


# --- text matching ---------------------------------------------------------

def test_phone_digits_ignore_separators_and_prefixes():
    from backoffice.domain.text_search import phone_digits
    assert phone_digits("0176 123-45") == "17612345"
    assert phone_digits("+49 (30) 1234") == "49301234"
    assert phone_digits("0049 30") == "4930"
    assert phone_digits("smith") is None
    assert phone_digits("01", minimum=3) is None
    assert phone_digits("1234", minimum=5) is None


def test_matches_is_case_insensitive_and_takes_wildcards_literally(world):
    from backoffice.domain.models import Customer
    from backoffice.domain.text_search import matches
    factories.customer(world.organizer, "mary.smith@example.org", "Mary SMITH")
    factories.customer(world.organizer, "percent@example.org", "100% Fan")
    db.session.commit()

    def names(text):
        from sqlalchemy import select as sa_select
        return sorted(db.session.scalars(sa_select(Customer.name_cached).where(matches(Customer.name_cached, text))))

    assert names("smith") == ["Mary SMITH"]
    assert names("y sm") == ["Mary SMITH"]
    assert names("%") == ["100% Fan"]
    assert names("_") == []
