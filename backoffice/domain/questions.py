"""An event's questions to attendees, their options, and whether attendee names and emails are
required.

A question has a text, an identifier (unique in the event; generated when left empty), a type
(pretix's: number, text, multiline text, yes/no, one choice, several choices, date, email, phone,
country), whether it is required, the products it is asked for and whether it is active. How
answers are checked is in position_fields.py.

A question that orders answered cannot be deleted, only deactivated (no longer asked; the
answers stay). Its type cannot change either: the answers given would no longer fit. An option
chosen in an answer cannot be removed.
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from . import product_common
from .audit import Actor
from .errors import Conflict, FieldErrors, Invalid
from .models import Answer, Event, Item, Question, QuestionOption
from .models.orders import answer_option
from .models.organizers import question_item
from .versions import version_of
from .texts import T_

TYPES = {"S": "Text (one line)", "T": "Text (several lines)", "N": "Number", "B": "Yes or no",
         "C": "One choice", "M": "Several choices", "D": "Date", "EM": "Email address", "TEL": "Phone number",
         "CC": "Country"}
CHOICE_TYPES = ("C", "M")
IDENTIFIER = re.compile(r"[A-Za-z0-9._-]+")
IDENTIFIER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FIELDS = ("question", "identifier", "type", "required", "active", "items")


def list_questions(event: Event) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.event_id == event.id)
                                   .order_by(Question.position, Question.id)
                                   .options(selectinload(Question.options), selectinload(Question.items))))


def get_question(event: Event, raw_id: Any) -> Question:
    return product_common.get_in_event(Question, event, raw_id, T_("question"))


def get_option(question: Question, raw_id: Any) -> QuestionOption:
    event = db.session.get(Event, question.event_id)
    return product_common.get_in_event(QuestionOption, event, raw_id, T_("option"),
                                event_of=lambda o: question.event_id if o.question_id == question.id else None)


def current_values(question: Question) -> dict:
    return {"question": question.question, "identifier": question.identifier, "type": question.type,
            "required": bool(question.required), "active": question.active is not False,
            "items": sorted(i.id for i in question.items)}


def version(question: Question) -> str:
    return version_of(current_values(question))


def answers_count(question: Question) -> int:
    """Orders with an answer to this question."""
    from .models import OrderPosition
    return db.session.scalar(select(func.count(func.distinct(OrderPosition.order_id)))
                             .join(Answer, Answer.position_id == OrderPosition.id)
                             .where(Answer.question_id == question.id)) or 0


def _orders(count: int) -> str:
    return T_("1 order answered it") if count == 1 else T_("%(count)s orders answered it", count=f"{count:,}")


# --- checking -----------------------------------------------------------------------------------------

def _identifier(event: Event, raw: Any, question: Question | None) -> str:
    text = product_common.clean_text(raw, field="identifier", label=T_("identifier"), limit=190)
    if not text:
        return _new_identifier(event)
    if not IDENTIFIER.fullmatch(text):
        raise Invalid(T_("The identifier may contain only letters, digits, dots, dashes and underscores."),
                      code="identifier_invalid", field="identifier")
    stmt = select(Question.id).where(Question.event_id == event.id, func.lower(Question.identifier) == text.lower())
    if question is not None:
        stmt = stmt.where(Question.id != question.id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise Invalid(T_("Another question of this event has the identifier '%(text)s'.",
                         text=text), code="identifier_taken",
                      field="identifier")
    return text


def _new_identifier(event: Event) -> str:
    while True:
        candidate = "".join(secrets.choice(IDENTIFIER_ALPHABET) for _ in range(8))
        taken = db.session.scalar(select(Question.id).where(Question.event_id == event.id,
                                                            Question.identifier == candidate))
        if taken is None:
            return candidate


def _items(event: Event, raw: Any) -> list[Item]:
    ids = product_common.parse_ids(raw, field="items", label=T_("product"))
    if not ids:
        return []
    items = list(db.session.scalars(select(Item).where(Item.event_id == event.id, Item.id.in_(ids))
                                    .order_by(Item.position, Item.id)))
    if len(items) != len(ids):
        raise Invalid(T_("Choose products of this event only."), code="item_unknown", field="items")
    return items


def clean_values(event: Event, question: Question | None, *, question_text: Any, identifier: Any = "",
                 type: Any = "S", required: Any = False, active: Any = True, items: Any = ()) -> dict:  # noqa: A002
    errors = FieldErrors()
    values: dict = {}
    with errors.check("question"):
        values["question"] = product_common.clean_text(question_text, field="question", label=T_("question"),
                                                       limit=2000,
                                                required=True, multiline=True)
    with errors.check("identifier"):
        values["identifier"] = _identifier(event, identifier, question)
    with errors.check("type"):
        if type not in TYPES:
            raise Invalid(T_("Choose the kind of answer the question expects."), code="type_unknown", field="type")
        values["type"] = type
    with errors.check("required"):
        values["required"] = product_common.clean_bool(required, field="required", label=T_("'required'"))
    with errors.check("active"):
        values["active"] = product_common.clean_bool(active, field="active", label=T_("'active'"))
    with errors.check("items"):
        values["items"] = _items(event, items)
    errors.raise_if_any()
    return values


def _logged(values: dict) -> dict:
    return {**values, "items": sorted(i.id for i in values["items"])}


# --- saving -------------------------------------------------------------------------------------------

def create_question(event: Event, *, actor: Actor, **fields) -> Question:
    product_common.lock_event(event)
    values = clean_values(event, None, **fields)
    last = db.session.scalar(select(func.max(Question.position)).where(Question.event_id == event.id))
    question = Question(event_id=event.id, position=(last or 0) + 1,
                        **{k: v for k, v in values.items() if k != "items"})
    question.items = values["items"]
    db.session.add(question)
    db.session.flush()
    product_common.log(actor, event, "question.created", {"question_id": question.id, **_logged(values)})
    return question


def update_question(question: Question, *, actor: Actor, seen: str | None, **fields) -> list[str]:
    event = db.session.get(Event, question.event_id)
    product_common.lock_event(event)
    db.session.refresh(question)
    product_common.check_version(current_values(question), seen, T_("the question '%(question)s'",
                                                                    question=question.question[:60]))
    values = clean_values(event, question, **fields)
    if values["type"] != question.type:
        answered = answers_count(question)
        if answered:
            raise Invalid(T_("The kind of answer cannot change: %(orders)s, and those answers would no "
                             "longer fit. Deactivate this question and create a new one instead.",
                             orders=_orders(answered)),
                          code="question_answered", field="type")
    changed = product_common.changes(current_values(question), _logged(values))
    if not changed:
        return []
    for field in FIELDS:
        setattr(question, field, values[field])
    product_common.log(actor, event, "question.changed", {"question_id": question.id, **changed})
    return list(changed)


def set_active(question: Question, *, actor: Actor, active: bool) -> bool:
    event = db.session.get(Event, question.event_id)
    product_common.lock_event(event)
    db.session.refresh(question)
    if (question.active is not False) == active:
        return False
    question.active = active
    product_common.log(actor, event, "question.activated" if active else "question.deactivated",
                {"question_id": question.id, "question": question.question})
    return True


def delete_question(question: Question, *, actor: Actor) -> None:
    event = db.session.get(Event, question.event_id)
    product_common.lock_event(event)
    answered = answers_count(question)
    if answered:
        raise Invalid(T_("The question '%(question)s' cannot be deleted: %(orders)s. "
                         "Deactivate it instead: it is then no longer asked, and the answers stay.",
                         question=question.question[:80], orders=_orders(answered)),
                      code="question_answered")
    data = {"question_id": question.id, **current_values(question)}
    db.session.execute(question_item.delete().where(question_item.c.question_id == question.id))
    for option in list(question.options):
        db.session.delete(option)
    db.session.flush()
    db.session.expire(question)
    db.session.delete(question)
    db.session.flush()
    product_common.log(actor, event, "question.deleted", data)


# --- options ------------------------------------------------------------------------------------------

def option_version(option: QuestionOption) -> str:
    return version_of({"answer": option.answer, "identifier": option.identifier})


def _option_values(question: Question, option: QuestionOption | None, answer: Any, identifier: Any) -> dict:
    if question.type not in CHOICE_TYPES:
        raise Invalid(T_("Only questions with one or several choices have options."), code="options_not_allowed",
                      field="answer")
    errors = FieldErrors()
    values: dict = {}
    with errors.check("answer"):
        values["answer"] = product_common.clean_text(answer, field="answer", label=T_("option"), limit=500,
                                                     required=True)
    with errors.check("option_identifier"):
        text = product_common.clean_text(identifier, field="option_identifier", label=T_("option identifier"),
                                         limit=190)
        if text and not IDENTIFIER.fullmatch(text):
            raise Invalid(T_("The option identifier may contain only letters, digits, dots, dashes and underscores."),
                          code="identifier_invalid", field="option_identifier")
        others = {o.identifier.lower() for o in question.options if option is None or o.id != option.id}
        if text and text.lower() in others:
            raise Invalid(T_("Another option of this question has the identifier '%(text)s'.", text=text),
                          code="identifier_taken", field="option_identifier")
        values["identifier"] = text or _new_option_identifier(others)
    errors.raise_if_any()
    return values


def _new_option_identifier(taken: set[str]) -> str:
    while True:
        candidate = "".join(secrets.choice(IDENTIFIER_ALPHABET) for _ in range(8))
        if candidate.lower() not in taken:
            return candidate


def add_option(question: Question, *, actor: Actor, answer: Any, identifier: Any = "") -> QuestionOption:
    event = db.session.get(Event, question.event_id)
    product_common.lock_event(event)
    values = _option_values(question, None, answer, identifier)
    last = max((o.position for o in question.options), default=-1)
    option = QuestionOption(question_id=question.id, position=last + 1, **values)
    db.session.add(option)
    db.session.flush()
    db.session.expire(question, ["options"])
    product_common.log(actor, event, "question.option_added", {"question_id": question.id, "option": option.id, **values})
    return option


def update_option(option: QuestionOption, *, actor: Actor, seen: str | None, answer: Any,
                  identifier: Any = "") -> list[str]:
    """Rename an option; orders that chose it show the new text from then on (answers store the
    option itself, and the text given at the time)."""
    question = option.question
    event = db.session.get(Event, question.event_id)
    product_common.lock_event(event)
    db.session.refresh(option)
    if seen is not None and seen != option_version(option):
        raise Conflict(product_common.stale_message(T_("the option '%(option)s'", option=option.answer[:60])),
                       code="stale")
    values = _option_values(question, option, answer, identifier or option.identifier)
    changed = product_common.changes({"answer": option.answer, "identifier": option.identifier}, values)
    if not changed:
        return []
    option.answer, option.identifier = values["answer"], values["identifier"]
    product_common.log(actor, event, "question.option_changed", {"question_id": question.id, "option": option.id, **changed})
    return list(changed)


def option_answers_count(option: QuestionOption) -> int:
    return db.session.scalar(select(func.count()).select_from(answer_option)
                             .where(answer_option.c.option_id == option.id)) or 0


def remove_option(option: QuestionOption, *, actor: Actor) -> None:
    question = option.question
    event = db.session.get(Event, question.event_id)
    product_common.lock_event(event)
    used = option_answers_count(option)
    if used:
        answers = T_("1 answer chose it") if used == 1 else T_("%(count)s answers chose it", count=f"{used:,}")
        raise Invalid(T_("The option '%(option)s' cannot be removed: %(answers)s. Rename it instead, "
                         "or deactivate the question.", option=option.answer[:80], answers=answers),
                      code="option_answered")
    data = {"question_id": question.id, "option": option.id, "answer": option.answer}
    db.session.delete(option)
    db.session.flush()
    db.session.expire(question, ["options"])
    product_common.log(actor, event, "question.option_removed", data)


# --- attendee fields ----------------------------------------------------------------------------------

ATTENDEE_FIELDS = ("attendee_names_required", "attendee_emails_required")


def attendee_values(event: Event) -> dict:
    return {field: bool(getattr(event, field)) for field in ATTENDEE_FIELDS}


def attendee_version(event: Event) -> str:
    return version_of(attendee_values(event))


def update_attendee_fields(event: Event, *, actor: Actor, seen: str | None, attendee_names_required: Any,
                           attendee_emails_required: Any) -> list[str]:
    product_common.lock_event(event)
    db.session.refresh(event)
    product_common.check_version(attendee_values(event), seen, T_("the attendee settings"))
    values = {"attendee_names_required": product_common.clean_bool(attendee_names_required, field="attendee_names_required",
                                                            label=T_("'attendee names required'")),
              "attendee_emails_required": product_common.clean_bool(attendee_emails_required,
                                                             field="attendee_emails_required",
                                                             label=T_("'attendee emails required'"))}
    changed = product_common.changes(attendee_values(event), values)
    if not changed:
        return []
    for field, value in values.items():
        setattr(event, field, value)
    product_common.log(actor, event, "event.attendee_fields_changed", changed)
    return list(changed)

