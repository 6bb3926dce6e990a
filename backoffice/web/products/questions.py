"""Questions of an event: the list with the attendee fields (names, emails required), a form for
a new question, the edit page with its options, deactivating, and deleting one nobody answered."""
from __future__ import annotations

from flask import render_template, request, url_for

from ...domain import items, questions
from ...domain.errors import DomainError
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ...i18n import N_, words
from ..access import current_actor, require
from . import bp
from .common import found, history, refusal_context, saved

FIELDS = ("question", "identifier", "type", "required", "active")
NEW = {"question": "", "identifier": "", "type": "S", "required": "", "active": "on", "items": []}
#: the kinds of answer of domain/questions.py TYPES, here so that the catalogue holds them; shown translated
TYPE_WORDS = (N_("Text (one line)"), N_("Text (several lines)"), N_("Number"), N_("Yes or no"), N_("One choice"),
              N_("Several choices"), N_("Date"), N_("Email address"), N_("Phone number"), N_("Country"))


def _list_url(event) -> str:
    return url_for("products.question_list", organizer=event.organizer.slug, event=event.slug)


def _edit_url(event, question) -> str:
    return url_for("products.question_edit", organizer=event.organizer.slug, event=event.slug,
                   question_id=question.id)


def _typed() -> dict:
    typed = {name: request.form.get(name, "") for name in FIELDS}
    typed["items"] = request.form.getlist("items")
    return typed


def _domain_fields(typed: dict) -> dict:
    fields = {k: v for k, v in typed.items() if k != "question"}
    return {"question_text": typed["question"], **fields}


def _shown(question) -> dict:
    values = questions.current_values(question)
    return {"question": values["question"], "identifier": values["identifier"], "type": values["type"],
            "required": "on" if values["required"] else "", "active": "on" if values["active"] else "",
            "items": [str(i) for i in values["items"]]}


def _attendee_shown(event) -> dict:
    return {k: "on" if v else "" for k, v in questions.attendee_values(event).items()}


def _list_page(event, status: int = 200, **extra):
    context = dict(event=event, questions=questions.list_questions(event), types=words(questions.TYPES),
                   attendee=_attendee_shown(event), attendee_seen=questions.attendee_version(event),
                   attendee_errors={}, entries=history(event, ("question.", "event.attendee_fields_changed")))
    context.update(extra)
    return render_template("products/questions.html", **context), status


def _form_context(event, question, **extra) -> dict:
    context = dict(event=event, question=question, errors={}, types=words(questions.TYPES),
                   products=items.list_items(event), choice_types=questions.CHOICE_TYPES)
    if question is not None:
        context.update(saved_values=_shown(question), answered=questions.answers_count(question),
                       option_versions={o.id: questions.option_version(o) for o in question.options},
                       option_errors={})
    context.update(extra)
    return context


@bp.get("/<organizer>/events/<event>/questions/")
@require(Permission.MANAGE_EVENTS)
def question_list(organizer, event):
    return _list_page(event)


@bp.post("/<organizer>/events/<event>/questions/attendee-fields")
@require(Permission.MANAGE_EVENTS)
def attendee_fields(organizer, event):
    typed = {name: request.form.get(name, "") for name in questions.ATTENDEE_FIELDS}
    seen = request.form.get("seen", "")
    try:
        changed = questions.update_attendee_fields(event, actor=current_actor(), seen=seen, **typed)
        db.session.flush()
    except DomainError as e:
        context = refusal_context(e, seen=seen, current_seen=lambda: questions.attendee_version(event))
        return _list_page(event, 422, attendee=typed, attendee_error=context["error"],
                          attendee_seen=context["seen"], attendee_errors=context["errors"])
    return saved(T_("Attendee fields saved.") if changed else T_("Nothing was changed."), _list_url(event))


@bp.route("/<organizer>/events/<event>/questions/new", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def question_new(organizer, event):
    if request.method == "GET":
        return render_template("products/question_form.html", **_form_context(event, None, typed=NEW))
    typed = _typed()
    try:
        question = questions.create_question(event, actor=current_actor(), **_domain_fields(typed))
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("products/question_form.html", **_form_context(
            event, None, typed=typed, error=e.message, errors=e.errors)), 422
    message = (T_("Question created. Add its options below.") if question.type in questions.CHOICE_TYPES
               else T_("Question created."))
    return saved(message, _edit_url(event, question))


@bp.route("/<organizer>/events/<event>/questions/<question_id>/", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def question_edit(organizer, event, question_id):
    question = found(questions.get_question, event, question_id)
    if request.method == "GET":
        return render_template("products/question_form.html", **_form_context(
            event, question, typed=_shown(question), seen=questions.version(question)))
    typed = _typed()
    seen = request.form.get("seen", "")
    try:
        changed = questions.update_question(question, actor=current_actor(), seen=seen, **_domain_fields(typed))
        db.session.flush()
    except DomainError as e:
        context = refusal_context(e, seen=seen, current_seen=lambda: questions.version(question))
        return render_template("products/question_form.html", **_form_context(event, question, typed=typed,
                                                                              **context)), 422
    return saved(T_("Question saved.") if changed else T_("Nothing was changed."), _edit_url(event, question))


@bp.post("/<organizer>/events/<event>/questions/<question_id>/active")
@require(Permission.MANAGE_EVENTS)
def question_active(organizer, event, question_id):
    question = found(questions.get_question, event, question_id)
    active = request.form.get("active") == "1"
    questions.set_active(question, actor=current_actor(), active=active)
    message = (T_("The question is asked again.") if active
               else T_("The question is no longer asked; the answers given stay with the orders."))
    return saved(message, _edit_url(event, question))


@bp.post("/<organizer>/events/<event>/questions/<question_id>/delete")
@require(Permission.MANAGE_EVENTS)
def question_delete(organizer, event, question_id):
    question = found(questions.get_question, event, question_id)
    try:
        questions.delete_question(question, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("products/question_form.html", **_form_context(
            event, question, typed=_shown(question), seen=questions.version(question), delete_error=e.message)), 422
    return saved(T_("Question deleted."), _list_url(event))


# --- options ---------------------------------------------------------------------------------------

def _option_refusal(event, question, error: DomainError, option_id=None, typed=None):
    db.session.rollback()
    context = _form_context(event, question, typed=_shown(question), seen=questions.version(question))
    if option_id is None:
        context.update(new_option=typed, new_option_error=error.message, new_option_errors=error.errors)
    else:
        context["option_errors"] = {option_id: error}
        context["option_typed"] = {option_id: typed} if typed else {}
    return render_template("products/question_form.html", **context), 422


def _option_typed() -> dict:
    return {"answer": request.form.get("answer", ""), "option_identifier": request.form.get("option_identifier", "")}


@bp.post("/<organizer>/events/<event>/questions/<question_id>/options/new")
@require(Permission.MANAGE_EVENTS)
def option_new(organizer, event, question_id):
    question = found(questions.get_question, event, question_id)
    typed = _option_typed()
    try:
        option = questions.add_option(question, actor=current_actor(), answer=typed["answer"],
                                      identifier=typed["option_identifier"])
        db.session.flush()
    except DomainError as e:
        return _option_refusal(event, question, e, typed=typed)
    return saved(T_("Option '%(answer)s' added.", answer=option.answer), _edit_url(event, question) + "#options")


@bp.post("/<organizer>/events/<event>/questions/<question_id>/options/<option_id>")
@require(Permission.MANAGE_EVENTS)
def option_edit(organizer, event, question_id, option_id):
    question = found(questions.get_question, event, question_id)
    option = found(questions.get_option, question, option_id)
    typed = _option_typed()
    try:
        changed = questions.update_option(option, actor=current_actor(), seen=request.form.get("seen", ""),
                                          answer=typed["answer"], identifier=typed["option_identifier"])
        db.session.flush()
    except DomainError as e:
        return _option_refusal(event, question, e, option_id=option.id, typed=typed)
    return saved(T_("Option saved.") if changed else T_("Nothing was changed."),
                 _edit_url(event, question) + "#options")


@bp.post("/<organizer>/events/<event>/questions/<question_id>/options/<option_id>/delete")
@require(Permission.MANAGE_EVENTS)
def option_delete(organizer, event, question_id, option_id):
    question = found(questions.get_question, event, question_id)
    option = found(questions.get_option, question, option_id)
    answer = option.answer
    try:
        questions.remove_option(option, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        return _option_refusal(event, question, e, option_id=option.id)
    return saved(T_("Option '%(answer)s' removed.", answer=answer), _edit_url(event, question) + "#options")
