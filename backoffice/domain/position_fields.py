"""Editing the attendee of a ticket: name, email, company, address and answers to the
product's questions (seed 003's PATCH of an orderposition).

Every field is checked before anything changes, and all bad fields are reported together so
that a form can show every mistake at once. Each answer is checked against its question: its
type (number, date, yes/no, text), its options, and whether it is required.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ..extensions import db
from . import audit, contact, parsing
from .audit import Actor
from .errors import FieldErrors, Invalid
from .models import Answer, Event, Order, OrderPosition, Question
from .models.organizers import question_item
from .names import clean_name_parts, derive_name
from .orders import MAX_TEXT, begin_change
from .texts import T_

#: attendee fields 003 lets a PATCH change, with their length limits
ATTENDEE_FIELDS = {"company": 255, "street": 2000, "zipcode": 30, "city": 255, "state": 100}
EDITABLE_FIELDS = ("attendee_name_parts", "attendee_name", "attendee_email", "company", "street", "zipcode",
                   "city", "country", "state", "answers")

# pretix's question types
NUMBER, TEXT, MULTILINE, BOOLEAN, CHOICE, MULTIPLE, DATE = "N", "S", "T", "B", "C", "M", "D"
EMAIL, PHONE, COUNTRY = "EM", "TEL", "CC"


def questions_for(item_id: int) -> list[Question]:
    """The questions asked for a product, in their order."""
    stmt = (select(Question).join(question_item, question_item.c.question_id == Question.id)
            .where(question_item.c.item_id == item_id).order_by(Question.position, Question.id))
    return list(db.session.scalars(stmt))


def questions_by_item(item_ids, *, active_only: bool = False) -> dict[int, list[Question]]:
    """The questions of several products at once (one query), by product id; `active_only` for
    forms of new tickets, which no longer ask deactivated questions."""
    result: dict[int, list[Question]] = {item_id: [] for item_id in item_ids}
    if not result:
        return result
    stmt = (select(question_item.c.item_id, Question)
            .join(question_item, question_item.c.question_id == Question.id)
            .where(question_item.c.item_id.in_(list(result))).order_by(Question.position, Question.id))
    if active_only:
        stmt = stmt.where(Question.active.is_(True))
    for item_id, question in db.session.execute(stmt):
        result[item_id].append(question)
    return result


def ensure_changeable(position: OrderPosition) -> None:
    if position.canceled:
        raise Invalid(T_("Ticket %(positionid)s of order %(code)s is canceled: "
                         "it cannot be changed.",
                         positionid=position.positionid, code=position.order.code), code="position_canceled")


#: how a field is called inside a sentence, when no label is given
FIELD_LABELS = {"company": T_("company"), "street": T_("street"), "zipcode": T_("zipcode"), "city": T_("city"),
                "state": T_("state"), "country": T_("country"), "secret": T_("secret"), "seat": T_("seat")}


def clean_text(value, field: str, limit: int, label: str | None = None) -> str | None:
    label = label or FIELD_LABELS.get(field) or field.replace("_", " ")
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(T_("The %(label)s must be text.", label=label), code="invalid", field=field)
    value = value.strip()
    if "\x00" in value:
        raise Invalid(T_("The %(label)s contains a character that is not allowed.", label=label), code="invalid",
                      field=field)
    if len(value) > limit:
        raise Invalid(T_("The %(label)s may be at most %(limit)s characters long.", label=label, limit=f"{limit:,}"),
                      code="too_long", field=field)
    return value or None


def _email(value) -> str | None:
    value = clean_text(value, "attendee_email", 254, T_("attendee email"))
    if not value:
        return None
    from email_validator import EmailNotValidError, validate_email
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(T_("'%(value)s' is not a valid email address.", value=value[:60]), code="email_invalid",
                      field="attendee_email") from None


def _country(value) -> str | None:
    value = clean_text(value, "country", 100)
    if not value:
        return None
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise Invalid(T_("The country must be a two-letter code such as DE."), code="country_invalid", field="country")
    return value.upper()


def clean_attendee(data: dict, order: Order | Event, item_id: int, *, require_answers: bool = True) -> dict:
    """Check the attendee fields and answers in `data` (only the keys given); every bad field is
    reported at once. Returns the values to store, answers as (question, text, options) triples.

    `order` is the ticket's order, or the event of an order still being created."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid(T_("These ticket fields cannot be changed: %(fields)s.",
                         fields=', '.join(sorted(unknown))), code="not_editable")
    errors = FieldErrors()
    cleaned: dict = {}
    event = order if isinstance(order, Event) else order.event
    scheme = event.organizer.name_scheme
    if "attendee_name_parts" in data or "attendee_name" in data:
        with errors.check("attendee_name_parts"):
            if data.get("attendee_name_parts") is not None:
                parts = clean_name_parts(data["attendee_name_parts"], scheme)
            else:  # a plain name, as 003 allows instead of the parts
                name = clean_text(data.get("attendee_name"), "attendee_name", 255, T_("attendee name"))
                parts = clean_name_parts({"full_name": name} if name else {}, "full")
            cleaned["attendee_name_parts"] = parts
            cleaned["attendee_name_cached"] = derive_name(parts)
    if "attendee_email" in data:
        with errors.check("attendee_email"):
            cleaned["attendee_email"] = _email(data["attendee_email"])
    for name, limit in ATTENDEE_FIELDS.items():
        if name in data:
            with errors.check(name):
                cleaned[name] = clean_text(data[name], name, limit)
    if "country" in data:
        with errors.check("country"):
            cleaned["country"] = _country(data["country"])
    if data.get("answers") is not None:
        cleaned["answers"] = _clean_answers(data["answers"], item_id, errors, require_answers)
    errors.raise_if_any()
    return cleaned


def _clean_answers(raw, item_id: int, errors: FieldErrors, require_answers: bool) -> list[tuple]:
    """003's answers: a list of {question, answer, options}; all answers of the ticket at once."""
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        with errors.check("answers"):
            raise Invalid(T_("The answers must be a list of objects with question, answer and options."),
                          code="answers_invalid", field="answers")
        return []
    questions = {q.id: q for q in questions_for(item_id)}
    given: dict[int, dict] = {}
    for entry in raw:
        with errors.check("answers"):
            qid = _question_id(entry.get("question"), questions)
            given[qid] = entry
    result = []
    for question in questions.values():
        field = f"answer_{question.id}"
        with errors.check(field):
            entry = given.get(question.id, {})
            text, options = _clean_answer(question, entry.get("answer"), entry.get("options") or [])
            missing = text is None or (question.type == BOOLEAN and text != "True")
            # a deactivated question is no longer asked: answers given before are kept
            if missing and question.required and question.active is not False and require_answers:
                message = (T_("The question '%(question)s' is required: it must be answered with Yes.",
                              question=question.question) if question.type == BOOLEAN else
                           T_("The question '%(question)s' is required: answer it.", question=question.question))
                raise Invalid(message, code="answer_required",
                              field=field)
            if text is not None:
                result.append((question, text, options))
    return result


def _question_id(value, questions: dict[int, Question]) -> int:
    try:
        qid = parsing.parse_id(value, label=T_("question"))
    except Invalid:
        qid = None
    if qid is None or qid not in questions:
        raise Invalid(T_("Question %(value)s is not asked for this ticket's product.", value=str(value)[:20]),
                      code="question_invalid", field="answers")
    return qid


def _clean_answer(question: Question, answer, options) -> tuple[str | None, list]:
    """(text to store, options) of one answer, or (None, []) when it is left empty."""
    field, label = f"answer_{question.id}", T_("the question '%(question)s'", question=question.question)
    if question.type in (CHOICE, MULTIPLE):
        chosen = _options(question, options if isinstance(options, list) else [options])
        if question.type == CHOICE and len(chosen) > 1:
            raise Invalid(T_("Choose one option for %(question)s.", question=label), code="answer_invalid", field=field)
        return (", ".join(o.answer for o in chosen), chosen) if chosen else (None, [])
    if isinstance(answer, bool) and question.type == BOOLEAN:
        return ("True" if answer else "False"), []
    if answer is not None and not isinstance(answer, (str, int, Decimal)) or isinstance(answer, bool):
        raise Invalid(T_("The answer to %(question)s must be text.", question=label), code="answer_invalid",
                      field=field)
    text = clean_text(None if answer is None else str(answer), field, MAX_TEXT,
                      T_("answer to %(question)s", question=label))
    if text is None:
        return None, []
    if question.type == BOOLEAN:
        return _boolean(text, label, field), []
    if question.type == NUMBER:
        return _number(text, label, field), []
    if question.type == DATE:
        return parsing.parse_date(text, label=T_("answer to %(question)s", question=label), field=field).isoformat(), []
    if question.type == EMAIL:
        return _answer_email(text, label, field), []
    if question.type == PHONE:
        organizer = db.session.get(Event, question.event_id).organizer
        return contact.parse_phone(text, contact.default_region(organizer), field=field), []
    if question.type == COUNTRY:
        return contact.clean_country(text, field=field), []
    return text, []


def _answer_email(text: str, label: str, field: str) -> str:
    from email_validator import EmailNotValidError, validate_email
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(T_("The answer to %(question)s must be an email address: '%(text)s' is not one.",
                         question=label, text=text[:60]),
                      code="answer_invalid", field=field) from None


def _options(question: Question, raw: list) -> list:
    by_id = {o.id: o for o in question.options}
    chosen = []
    for value in raw:
        if value in (None, ""):
            continue
        try:
            option_id = parsing.parse_id(value, label=T_("option"))
        except Invalid:
            option_id = None
        if option_id not in by_id:
            raise Invalid(T_("'%(value)s' is not an option of the question '%(question)s'.",
                             value=str(value)[:40], question=question.question),
                          code="option_invalid", field=f"answer_{question.id}")
        if by_id[option_id] not in chosen:
            chosen.append(by_id[option_id])
    return chosen


def _boolean(text: str, label: str, field: str) -> str | None:
    lowered = text.lower()
    if lowered in ("true", "yes", "on", "1"):
        return "True"
    if lowered in ("false", "no", "off", "0"):
        return "False"
    raise Invalid(T_("Answer %(question)s with Yes or No.", question=label), code="answer_invalid", field=field)


def _number(text: str, label: str, field: str) -> str:
    try:
        number = parsing.parse_amount(text, field=field)
    except Invalid:
        raise Invalid(T_("The answer to %(question)s must be a number such as 42 or 1.5.", question=label),
                      code="answer_invalid",
                      field=field) from None
    return format(number.normalize(), "f")


def store_answers(position: OrderPosition, answers: list[tuple]) -> None:
    """Replace the ticket's answers (003: a PATCH gives all of them)."""
    for old in list(position.answers):
        old.options = []
        db.session.delete(old)
    db.session.flush()
    db.session.expire(position, ["answers"])
    for question, text, options in answers:
        db.session.add(Answer(position=position, question=question, answer=text, options=list(options)))


def apply_changes(position: OrderPosition, cleaned: dict) -> dict:
    """Set the cleaned values; returns what changed as {field: {old, new}} for the history."""
    changes = {}
    for name, value in cleaned.items():
        if name in ("answers", "attendee_name_parts"):
            continue
        before = getattr(position, name)
        if before != value:
            setattr(position, name, value)
            key = "attendee_name" if name == "attendee_name_cached" else name
            changes[key] = {"old": before, "new": value}
    if "attendee_name_parts" in cleaned:
        position.attendee_name_parts = cleaned["attendee_name_parts"]
    if "answers" in cleaned:
        before = {a.question_id: (a.answer, sorted(o.id for o in a.options)) for a in position.answers}
        after = {q.id: (text, sorted(o.id for o in opts)) for q, text, opts in cleaned["answers"]}
        if before != after:
            names = {a.question_id: a.question.question for a in position.answers}
            names.update({q.id: q.question for q, _, _ in cleaned["answers"]})
            store_answers(position, cleaned["answers"])
            changes["answers"] = {names[qid]: {"old": before.get(qid, (None,))[0], "new": after.get(qid, (None,))[0]}
                                  for qid in sorted(set(before) | set(after)) if before.get(qid) != after.get(qid)}
    return changes


def update_position(position: OrderPosition, *, actor: Actor, seen_last_modified: str | None = None,
                    **fields) -> OrderPosition:
    """Change the attendee of a ticket (003's PATCH of attendee fields and answers); only the
    fields given change. `answers`, when given, are all answers of the ticket."""
    cleaned = clean_attendee(fields, position.order, position.item_id)
    begin_change(position.order, seen_last_modified)
    db.session.refresh(position)
    ensure_changeable(position)
    changes = apply_changes(position, cleaned)
    if changes:
        audit.log(actor, position.order, "position.changed", data={"position": position.positionid, **changes})
    return position
