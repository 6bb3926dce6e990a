"""Creating an order by hand (and through 003's order create): defaults, payments, quota and
seats inside the lock, add-on rules, answers, all or nothing, and two sales of the last ticket."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.domain import availability, codes, order_create, order_queries, tx
from backoffice.domain.audit import Actor
from backoffice.domain.errors import Invalid
from backoffice.domain.models import (Answer, InvoiceAddress, LogEntry, Order, OrderFee, OrderPayment, OrderPosition,
                                      OutboxEmail, Question, QuestionOption, TaxRule)
from backoffice.domain.order_queries import OrderFilters
from backoffice.extensions import db
from tests import factories


@pytest.fixture
def actor(world):
    return Actor(user=world.admin)


def counts() -> tuple:
    """Rows a refused creation must not leave behind."""
    return tuple(db.session.scalar(select(func.count(m.id))) for m in
                 (Order, OrderPosition, OrderFee, OrderPayment, InvoiceAddress, Answer, LogEntry, OutboxEmail))


def create(world, actor, positions=None, **kw):
    order = order_create.create_order(world.event, actor=actor,
                                      positions=positions if positions is not None else [{"item": world.ticket.id}],
                                      **kw)
    db.session.commit()
    return order


def refused(world, actor, positions=None, **kw) -> Invalid:
    db.session.commit()
    before = counts()
    with pytest.raises(Invalid) as info:
        order_create.create_order(world.event, actor=actor,
                                  positions=positions if positions is not None else [{"item": world.ticket.id}], **kw)
    db.session.rollback()
    assert counts() == before
    return info.value


# --- defaults ---------------------------------------------------------------------------------------

def test_defaults_pending_with_deadline_price_from_product_code_and_secrets(world, actor):
    order = create(world, actor, [{"item": world.ticket.id, "attendee_name": "Ada Lovelace"},
                                  {"item": world.ticket.id, "price": "12.50"}], email="Buyer@Example.org")
    assert order.status == "n" and order.require_approval is False and order.testmode is False
    assert [p.price for p in order.positions] == [Decimal("50.00"), Decimal("12.50")]
    assert order.total == Decimal("62.50")
    assert [p.positionid for p in order.positions] == [1, 2]
    assert len(order.code) == codes.ORDER_CODE_LENGTH and set(order.code) <= set(codes.CODE_ALPHABET)
    assert len(order.secret) == codes.ORDER_SECRET_LENGTH
    assert all(len(p.secret) == codes.POSITION_SECRET_LENGTH for p in order.positions)
    assert len({p.secret for p in order.positions}) == 2
    assert order.expires > order.datetime and order.payments == []
    assert order.email == "Buyer@example.org" and order.locale == "en" and order.sales_channel == "web"
    assert order.positions[0].attendee_name == "Ada Lovelace"
    entry = db.session.scalar(select(LogEntry).where(LogEntry.object_id == order.id, LogEntry.object_type == "order"))
    assert entry.action_type == "order.created" and entry.user_id == world.admin.id
    assert entry.data["positions"] == 2 and entry.data["total"] == "62.50"
    # no mail by default (003: send_email defaults to false)
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_free_order_is_paid_with_the_free_provider(world, actor):
    free = factories.item(world.event, "Guest list", "0.00")
    factories.quota(world.event, [free], 10, name="Guests")
    order = create(world, actor, [{"item": free.id}], email="guest@example.org", send_email=True)
    assert order.status == "p" and order.total == Decimal("0.00")
    [payment] = order.payments
    assert (payment.provider, payment.state, payment.amount) == ("free", "confirmed", Decimal("0.00"))
    mail = db.session.scalar(select(OutboxEmail))
    assert mail.to == "guest@example.org" and order.code in mail.subject
    assert "free of charge" in mail.body


def test_complimentary_price_zero_on_a_paid_product_is_free(world, actor):
    order = create(world, actor, [{"item": world.ticket.id, "price": "0"}])
    assert order.status == "p" and order.payments[0].provider == "free"


def test_paid_now_at_the_box_office_gets_a_confirmed_payment_and_mail(world, actor):
    order = create(world, actor, [{"item": world.ticket.id}] * 2, status="p", payment_provider="boxoffice",
                   email="anna@example.org", send_email=True)
    assert order.status == "p"
    [payment] = order.payments
    assert (payment.provider, payment.state, payment.amount) == ("boxoffice", "confirmed", Decimal("100.00"))
    assert order_queries.list_page([world.event.id], world.organizer.id, OrderFilters(code=order.code),
                                   order_queries.clean_ordering(None)).total == 1
    mail = db.session.scalar(select(OutboxEmail))
    assert "received your payment" in mail.body and mail.object_id == order.id


def test_paid_needs_an_enabled_provider_and_pending_with_provider_gets_created_payment(world, actor):
    assert refused(world, actor, status="p").errors == {
        "payment_provider": "Choose the payment provider through which the order was paid."}
    world.event.payment_providers = ["manual"]
    e = refused(world, actor, status="p", payment_provider="boxoffice")
    assert e.field == "payment_provider" and "not enabled" in e.message
    assert "not a payment provider" in refused(world, actor, status="p", payment_provider="<script>").message
    world.event.payment_providers = ["manual", "free"]
    assert "cannot be paid as a free order" in refused(world, actor, status="p", payment_provider="free").message
    complimentary = create(world, actor, [{"item": world.ticket.id, "price": "0"}], status="p",
                           payment_provider="manual")
    assert [(p.provider, p.amount) for p in complimentary.payments] == [("free", Decimal("0.00"))]
    assert refused(world, actor, status="c").field == "status"
    order = create(world, actor, payment_provider="manual")
    assert order.status == "n" and [(p.state, p.amount) for p in order.payments] == [("created", Decimal("50.00"))]


def test_require_approval_stays_pending_even_when_free(world, actor):
    order = create(world, actor, [{"item": world.ticket.id, "price": "0.00"}], require_approval=True)
    assert order.status == "n" and order.require_approval and order.payments == []
    assert refused(world, actor, status="p", payment_provider="manual", require_approval=True).field == "status"


def test_given_code_customer_invoice_address_fees_and_fields(world, actor):
    customer = factories.customer(world.organizer, email="c@example.org", name="Cora Customer")
    rule = TaxRule(event_id=world.event.id, name="VAT", rate=Decimal("19.00"))
    db.session.add(rule)
    db.session.commit()
    order = create(world, actor, code="ABC23", customer=customer.identifier, phone="+49 30 1234567",
                   invoice_address={"company": "ACME", "is_business": True, "name": "Ida Invoice",
                                    "country": "de", "city": "Berlin"},
                   fees=[{"fee_type": "payment", "value": "1.50", "tax_rule": rule.id},
                         {"fee_type": "other", "value": "10", "_treat_value_as_percentage": True}],
                   comment="phone order", sales_channel="backoffice", testmode=True, checkin_attention=True,
                   checkin_text="VIP", custom_followup_at="2030-01-02", locale="de")
    assert order.code == "ABC23" and order.customer_id == customer.id and order.phone == "+49301234567"
    assert order.invoice_address.company == "ACME" and order.invoice_address.name == "Ida Invoice"
    assert order.invoice_address.country == "DE"
    assert [(f.fee_type, f.value, f.tax_rate) for f in order.fees] == [
        ("payment", Decimal("1.50"), Decimal("19.00")), ("other", Decimal("5.00"), Decimal("0.00"))]
    assert order.total == Decimal("56.50")
    assert (order.comment, order.sales_channel, order.testmode, order.checkin_text, order.locale) == (
        "phone order", "backoffice", True, "VIP", "de")
    assert "ABC23" in refused(world, actor, code="abc23").message
    assert refused(world, actor, code="AB1O").field == "code"
    assert refused(world, actor, customer="NOPE999").field == "customer"
    other = factories.customer(factories.organizer(), email="x@example.org")
    assert refused(world, actor, customer=other.identifier).field == "customer"


def test_found_by_attendee_name_in_the_search(world, actor):
    order = create(world, actor, [{"item": world.ticket.id, "attendee_name_parts": {"full_name": "Zoë Böhm"}}])
    page = order_queries.list_page([world.event.id], world.organizer.id, OrderFilters(search="bohm"),
                                   order_queries.clean_ordering(None))
    assert [row.order.code for row in page.items] == [order.code]


def test_simulate_writes_nothing_and_returns_the_preview(world, actor):
    db.session.commit()
    before = counts()
    order = order_create.create_order(world.event, actor=actor, positions=[{"item": world.ticket.id}] * 2,
                                      simulate=True, email="sim@example.org", send_email=True)
    db.session.commit()
    assert order.code == "PREVIEW" and order.total == Decimal("100.00")
    assert counts() == before


# --- refusals -------------------------------------------------------------------------------------------

def test_sold_out_item_is_refused_naming_the_quota(world, actor):
    world.quota.size = 1
    db.session.commit()
    e = refused(world, actor, [{"item": world.ticket.id}] * 2)
    assert e.code == "quota_exceeded"
    assert e.errors == {"positions": "Only 1 ticket left in quota 'Regular', 2 needed."}
    order = create(world, actor, [{"item": world.ticket.id}] * 2, force=True)
    assert len(order.positions) == 2
    assert availability.quota_used(world.quota) == 2


def test_seat_taken_blocked_or_chosen_twice_is_refused_next_to_the_ticket(world, actor):
    seated = factories.item(world.event, "Seated", "30.00", requires_seat=True)
    a1, a2, a3 = (factories.seat(world.event, n) for n in ("A1", "A2", "A3"))
    a3.blocked = True
    factories.order(world.event, [seated], seats=[a1])
    db.session.commit()
    e = refused(world, actor, [{"item": seated.id, "seat": "guid-A1"}, {"item": seated.id, "seat": "guid-A3"}])
    assert e.errors == {"positions.0.seat": "Ticket 1: Seat A1 is no longer available.",
                        "positions.1.seat": "Ticket 2: Seat A3 is blocked by the organizer and cannot be sold."}
    e = refused(world, actor, [{"item": seated.id, "seat": "guid-A2"}, {"item": seated.id, "seat": "guid-A2"}])
    assert "already chosen for ticket 1" in e.errors["positions.1.seat"]
    assert "choose a seat" in refused(world, actor, [{"item": seated.id}]).errors["positions.0.seat"]
    order = create(world, actor, [{"item": seated.id, "seat": "guid-A2"}])
    assert order.positions[0].seat_id == a2.id


def test_addon_parent_rules(world, actor):
    addon = factories.item(world.event, "Workshop", "15.00", is_addon=True)
    main = {"positionid": 1, "item": world.ticket.id}
    order = create(world, actor, [main, {"positionid": 2, "item": addon.id, "addon_to": 1},
                                  {"positionid": 3, "item": addon.id, "addon_to": 1},
                                  {"positionid": 4, "item": world.ticket.id}])
    by_number = {p.positionid: p for p in order.positions}
    assert by_number[2].addon_to_id == by_number[1].id == by_number[3].addon_to_id
    assert by_number[4].addon_to_id is None and order.total == Decimal("130.00")
    assert "is an add-on" in refused(world, actor, [{"item": addon.id}]).message
    assert "need position ids" in refused(world, actor, [{"item": world.ticket.id},
                                                          {"item": addon.id, "addon_to": 1}]).message
    e = refused(world, actor, [main, {"positionid": 2, "item": world.ticket.id, "addon_to": 1}])
    assert e.errors["positions.1.addon_to"] == "Ticket 2: 'Regular ticket' is not an add-on product."
    e = refused(world, actor, [main, {"positionid": 2, "item": world.ticket.id},
                               {"positionid": 3, "item": addon.id, "addon_to": 1}])
    assert "right after the ticket" in e.errors["positions.2.addon_to"]
    e = refused(world, actor, [main, {"positionid": 3, "item": addon.id, "addon_to": 1}])
    assert "consecutive" in e.errors["positions.1.positionid"]


def test_invalid_answers_and_fields_are_named_per_ticket(world, actor):
    q = Question(event_id=world.event.id, identifier="diet", question="Diet", type="C", required=True)
    db.session.add(q)
    q.items = [world.ticket]
    db.session.add(QuestionOption(question=q, identifier="veg", answer="Vegetarian"))
    age = Question(event_id=world.event.id, identifier="age", question="Age", type="N")
    db.session.add(age)
    age.items = [world.ticket]
    db.session.commit()
    e = refused(world, actor, [{"item": world.ticket.id, "answers": [{"question": q.id, "options": []},
                                                                     {"question": age.id, "answer": "old"}],
                                "attendee_email": "not-an-email"},
                               {"item": 999999, "price": "1e999"}])
    assert set(e.errors) == {f"positions.0.answer_{q.id}", f"positions.0.answer_{age.id}",
                             "positions.0.attendee_email", "positions.1.item", "positions.1.price"}
    assert e.errors[f"positions.0.answer_{q.id}"] == "Ticket 1: The question 'Diet' is required: answer it."
    option = q.options[0]
    order = create(world, actor, [{"item": world.ticket.id, "answers": [{"question": q.id, "options": [option.id]},
                                                                       {"question": age.id, "answer": "42"}]}])
    assert sorted(a.answer for a in order.positions[0].answers) == ["42", "Vegetarian"]


def test_hostile_and_foreign_values_are_refused(world, actor):
    other_event = factories.event(world.organizer, slug="other")
    foreign = factories.item(other_event, "Foreign")
    db.session.commit()
    assert "no product" in refused(world, actor, [{"item": foreign.id}]).message
    assert refused(world, actor, []).errors == {"positions": "An order needs at least one ticket."}
    assert refused(world, actor, "x").field == "positions"
    assert refused(world, actor, [{"item": world.ticket.id, "voucher": "X"}]).code == "unsupported"
    assert refused(world, actor, [{"item": world.ticket.id, "bogus": 1}]).field == "positions.0.item"
    assert refused(world, actor, email="x" * 300).field == "email"
    assert refused(world, actor, email="<script>@").field == "email"
    assert refused(world, actor, comment="x" * 10_001).field == "comment"
    assert refused(world, actor, payment_date="9999-12-31", status="p", payment_provider="manual").field == \
        "payment_date"
    assert refused(world, actor, [{"item": "9" * 30}]).field == "positions.0.item"
    assert refused(world, actor, invoice_address={"country": "Germany"}).field == "invoice_address.country"
    assert refused(world, actor, fees=[{"fee_type": "cancellation", "value": "1"}]).field == "fees.0"
    assert refused(world, actor, fees=[{"fee_type": "other", "value": "-60"}]).code == "total_negative"
    assert refused(world, actor, [{"item": world.ticket.id, "secret": "short"}]).field == "positions.0.secret"
    assert refused(world, actor, testmode="yes").field == "testmode"


# --- two staff on the last ticket ---------------------------------------------------------------------

def test_concurrent_last_ticket_sale_one_wins(app, world):
    world.quota.size = 1
    db.session.commit()
    event_id, admin_id = world.event.id, world.admin.id
    barrier = threading.Barrier(2)
    results: list = []

    def sell(name):
        with app.app_context():
            try:
                barrier.wait()
                with tx.immediate():
                    from backoffice.domain.models import Event, User
                    event = db.session.get(Event, event_id)
                    order = order_create.create_order(
                        event, actor=Actor(user=db.session.get(User, admin_id)),
                        positions=[{"item": world_ticket_id, "attendee_name": name}])
                    db.session.commit()
                    results.append(("ok", order.code))
            except Invalid as e:
                db.session.rollback()
                results.append(("refused", e.message))
            finally:
                db.session.remove()

    world_ticket_id = world.ticket.id
    threads = [threading.Thread(target=sell, args=(n,)) for n in ("Anna", "Ben")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.rollback()
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    assert "Only 0 tickets left in quota 'Regular', 1 needed." in next(r[1] for r in results if r[0] == "refused")
    assert db.session.scalar(select(func.count(Order.id))) == 1
    assert availability.quota_used(world.quota) == 1
