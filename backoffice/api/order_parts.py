"""Where an order's JSON reads the parts around its own row: customer, invoice address, fees,
payments, refunds, and each position's answers, check-ins and seat.

One order (detail, the answer of an action) reads them from its relationships (`OrmParts`). A
page of orders reads them with one plain SELECT per kind for the whole page (`PageParts`): the
rows carry the same attribute names as the models, so order_output.py turns both into the same
JSON. The page's orders and positions themselves stay ORM objects, because the download rule
(domain/tickets.py) and the order's URL are decided on them. Building an ORM object for each of
the page's several hundred answers, check-ins and payments cost most of the list's time.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Protocol

from sqlalchemy import select

from ..domain.models import (Answer, Checkin, Customer, InvoiceAddress, Order, OrderFee, OrderPayment, OrderPosition,
                             OrderRefund, Question, QuestionOption, Seat, answer_option)
from ..extensions import db
from ..plans import any_of, by_key


def _read(stmt):
    """A page's parts, looked up by the ids of its orders or positions."""
    return db.session.execute(by_key(stmt))


class AnswerParts(Protocol):
    question_id: int
    question_identifier: str
    answer: str
    options: list[Any]  # each with .id, .identifier, .position


class Parts(Protocol):
    def customer(self, order: Order) -> str | None: ...
    def address(self, order: Order) -> Any: ...
    def fees(self, order: Order) -> list[Any]: ...
    def payments(self, order: Order) -> list[Any]: ...
    def refunds(self, order: Order) -> list[tuple[Any, int | None]]: ...
    def answers(self, position: OrderPosition) -> list[AnswerParts]: ...
    def checkins(self, position: OrderPosition) -> list[Any]: ...
    def seat(self, position: OrderPosition) -> Any: ...


class _OrmAnswer:
    __slots__ = ("question_id", "question_identifier", "answer", "options")

    def __init__(self, answer: Answer):
        self.question_id = answer.question_id
        self.question_identifier = answer.question.identifier
        self.answer = answer.answer
        self.options = answer.options


class OrmParts:
    """The parts as the order's relationships hold them."""

    def customer(self, order: Order) -> str | None:
        return order.customer.identifier if order.customer is not None else None

    def address(self, order: Order) -> InvoiceAddress | None:
        return order.invoice_address

    def fees(self, order: Order) -> list[OrderFee]:
        return order.all_fees

    def payments(self, order: Order) -> list[OrderPayment]:
        return order.payments

    def refunds(self, order: Order) -> list[tuple[OrderRefund, int | None]]:
        return [(r, r.payment.local_id if r.payment is not None else None) for r in order.refunds]

    def answers(self, position: OrderPosition) -> list[_OrmAnswer]:
        return [_OrmAnswer(a) for a in position.answers]

    def checkins(self, position: OrderPosition) -> list[Checkin]:
        return position.checkins

    def seat(self, position: OrderPosition) -> Seat | None:
        return position.seat


ORM_PARTS = OrmParts()


def _columns(model, *names: str) -> list:
    return [getattr(model, name) for name in names]


def _grouped(rows: Iterable, key: str) -> dict[int, list]:
    groups: dict[int, list] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


ADDRESS = ("order_id", "last_modified", "is_business", "company", "name_cached", "name_parts", "street", "zipcode",
           "city", "country", "state", "internal_reference", "custom_field", "vat_id", "vat_id_validated")
FEE = ("order_id", "id", "fee_type", "value", "description", "internal_type", "tax_rate", "tax_value", "tax_rule_id",
       "canceled")
PAYMENT = ("order_id", "id", "local_id", "state", "amount", "created", "payment_date", "details", "provider")
REFUND = ("order_id", "local_id", "state", "source", "amount", "created", "execution_date", "comment", "details",
          "provider")
CHECKIN = ("position_id", "id", "list_id", "datetime", "type", "gate", "device_id", "auto_checked_in")
SEAT = ("id", "name", "zone_name", "row_name", "row_label", "seat_number", "seat_label", "seat_guid")


class _RowAnswer:
    __slots__ = ("question_id", "question_identifier", "answer", "options")

    def __init__(self, row, options: list):
        self.question_id = row.question_id
        self.question_identifier = row.question_identifier
        self.answer = row.answer
        self.options = options


class PageParts:
    """The parts of a page of orders (with their positions loaded), or of a page of positions
    (`positions`: no order-level parts), one SELECT per kind."""

    def __init__(self, orders: list[Order], positions: list[OrderPosition] | None = None):
        if positions is None:
            positions = [p for o in orders for p in o.all_positions]
        position_ids = [p.id for p in positions]
        seat_ids = {p.seat_id for p in positions if p.seat_id is not None}
        execute = _read
        self._customers: dict[int, str] = {}
        self._addresses: dict[int, Any] = {}
        self._fees: dict[int, list] = {}
        self._payments: dict[int, list] = {}
        self._refunds: dict[int, list] = defaultdict(list)
        if orders:
            self._read_orders(orders)
        self._answers: dict[int, list] = defaultdict(list)
        self._checkins: dict[int, list] = {}
        if position_ids:
            answer_rows = execute(
                select(Answer.id, Answer.position_id, Answer.question_id, Answer.answer,
                       Question.identifier.label("question_identifier"))
                .join(Question, Question.id == Answer.question_id)
                .where(any_of(Answer.position_id, position_ids)).order_by(Answer.position_id, Answer.id)).all()
            options = _grouped(execute(
                select(answer_option.c.answer_id, QuestionOption.id, QuestionOption.identifier, QuestionOption.position)
                .join(QuestionOption, QuestionOption.id == answer_option.c.option_id)
                .where(any_of(answer_option.c.answer_id, [a.id for a in answer_rows]))), "answer_id") if answer_rows else {}
            for row in answer_rows:
                self._answers[row.position_id].append(_RowAnswer(row, options.get(row.id, [])))
            self._checkins = _grouped(execute(
                select(*_columns(Checkin, *CHECKIN)).where(any_of(Checkin.position_id, position_ids))
                .order_by(Checkin.position_id, Checkin.datetime, Checkin.id)), "position_id")
        self._seats = {row.id: row for row in execute(select(*_columns(Seat, *SEAT)).where(any_of(Seat.id, seat_ids)))} \
            if seat_ids else {}

    def _read_orders(self, orders: list[Order]) -> None:
        execute = _read
        order_ids = [o.id for o in orders]
        customer_ids = {o.customer_id for o in orders if o.customer_id is not None}
        if customer_ids:
            self._customers = dict(execute(select(Customer.id, Customer.identifier)
                                           .where(any_of(Customer.id, customer_ids))).all())
        self._addresses = {row.order_id: row for row in execute(
            select(*_columns(InvoiceAddress, *ADDRESS)).where(any_of(InvoiceAddress.order_id, order_ids)))}
        self._fees = _grouped(execute(select(*_columns(OrderFee, *FEE)).where(any_of(OrderFee.order_id, order_ids))
                                      .order_by(OrderFee.order_id, OrderFee.id)), "order_id")
        self._payments = _grouped(execute(
            select(*_columns(OrderPayment, *PAYMENT)).where(any_of(OrderPayment.order_id, order_ids))
            .order_by(OrderPayment.order_id, OrderPayment.local_id)), "order_id")
        payment_numbers = {p.id: p.local_id for rows in self._payments.values() for p in rows}
        for row in execute(select(*_columns(OrderRefund, *REFUND), OrderRefund.payment_id)
                           .where(any_of(OrderRefund.order_id, order_ids))
                           .order_by(OrderRefund.order_id, OrderRefund.local_id)):
            # a refund's payment belongs to the same order, so it is among the page's payments
            self._refunds[row.order_id].append((row, payment_numbers.get(row.payment_id)))

    def customer(self, order: Order) -> str | None:
        return self._customers.get(order.customer_id) if order.customer_id is not None else None

    def address(self, order: Order) -> Any:
        return self._addresses.get(order.id)

    def fees(self, order: Order) -> list[Any]:
        return self._fees.get(order.id, [])

    def payments(self, order: Order) -> list[Any]:
        return self._payments.get(order.id, [])

    def refunds(self, order: Order) -> list[tuple[Any, int | None]]:
        return self._refunds.get(order.id, [])

    def answers(self, position: OrderPosition) -> list[_RowAnswer]:
        return self._answers.get(position.id, [])

    def checkins(self, position: OrderPosition) -> list[Any]:
        return self._checkins.get(position.id, [])

    def seat(self, position: OrderPosition) -> Any:
        return self._seats.get(position.seat_id) if position.seat_id is not None else None
