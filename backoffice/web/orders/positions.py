"""Actions on the tickets of an order: edit the attendee, block/unblock, new secret, cancel one
ticket, add a ticket. Each answers htmx with the tickets region (the message, or the refusal next
to the button that was used) and refreshes the other regions of the page out of band, so that the
totals follow; a plain form post is answered with a redirect back to the order.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from ...domain import orders, positions, secrets
from ...domain.errors import DomainError, Invalid, NotFound
from ...domain.models import Event, OrderStatus
from ...domain.names import scheme_fields
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ...i18n import translated
from ..access import current_actor, require
from ..errors import is_htmx
from ..templating import money
from . import bp
from .detail import REGIONS, page_context, load_order, checked, get_or_404, seen_state

REGION = "positions"
CHOICE_TYPES = ("C", "M")


@bp.app_template_global("order_questions")
def order_questions(order) -> dict:
    """The questions of the products of the order's tickets, by product id: one query, so that
    the page's queries do not grow with its tickets."""
    return positions.questions_by_item({p.item_id for p in order.all_positions})


@bp.app_template_global("position_answers")
def position_answers(position) -> dict:
    """The ticket's answers by question id, for the edit form."""
    return {a.question_id: a for a in position.answers}


def position_route(name: str):
    """POST …/positions/<positionid>/<name>, for staff who may change orders."""
    def decorator(view):
        url = f"/<organizer>/events/<event>/orders/<code>/positions/<positionid>/{name}"
        return bp.post(url, endpoint=view.__name__)(require(Permission.CHANGE_ORDERS)(view))
    return decorator


def run_position_action(event: Event, code: str, positionid: str, action: str, change):
    """Run one domain action on ticket `positionid` of order `code`: 404 for a ticket of another
    order or event (or a number no ticket has); commit on success, roll back on refusal."""
    order = get_or_404(event, code)
    try:
        position = positions.get_position(order, positionid)
    except NotFound:
        abort(404)
    number = position.positionid
    try:
        message, undo = change(position)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        return respond(event, code, action=action, positionid=number, error=e)
    return respond(event, code, action=action, positionid=number, message=message, undo=undo)


def respond(event: Event, code: str, *, action: str, positionid: int | None, message: str | None = None,
            undo: int | None = None, error: DomainError | None = None):
    if not is_htmx():
        flash(translated(error.message if error is not None else message), "danger" if error is not None else "success")
        return redirect(url_for("orders.detail", organizer=event.organizer.slug, event=event.slug, code=code), 303)
    order = load_order(event, code)
    # `message` stays unset for the other regions: the tickets region shows this action's outcome
    context = page_context(order, position_message=message, undo_block=undo, error_action=action,
                       error=error.message if error is not None else None, error_position=positionid,
                       error_field=getattr(error, "field", None), error_fields=getattr(error, "errors", None) or {})
    html = render_template(REGIONS[REGION], **context)
    if error is not None:
        return Markup(html), 422
    others = [render_template(t, oob=True, **context) for name, t in REGIONS.items() if name != REGION]
    others.append(render_template("orders/_history_oob.html", **context))
    return Markup(html + "".join(others)), 200


def _total_note(order) -> str:
    """The sentence after a change of the tickets (it starts with a space)."""
    t = orders.totals(order)
    currency = order.event.currency
    total = money(order.total, currency)
    if t.open > 0 and order.status == OrderStatus.PENDING:
        return T_(" Order total now %(total)s, %(open)s open.", total=total, open=money(t.open, currency))
    if t.to_refund:
        return T_(" Order total now %(total)s; %(refund)s is due for refund.", total=total,
                  refund=money(t.to_refund, currency))
    return T_(" Order total now %(total)s.", total=total)


# --- the routes ---------------------------------------------------------------------------------------

@position_route("edit")
def position_edit(organizer, event, code, positionid):
    def change(position):
        form = request.form
        data = {name: form.get(name, "") for name in ("attendee_email", "company", "street", "zipcode", "city",
                                                      "country", "state")}
        data["attendee_name_parts"] = _name_parts(event)
        data["answers"] = _answers_from_form(position)
        positions.update_position(position, actor=current_actor(), seen_last_modified=seen_state(), **data)
        return T_("Ticket %(number)s saved.", number=position.positionid), None
    return run_position_action(event, code, positionid, "position_edit", change)


def _name_parts(event: Event) -> dict:
    """The name fields of the organizer's scheme, as the form sends them (name_<part>)."""
    return {key: request.form.get(f"name_{key}", "") for key, _ in scheme_fields(event.organizer.name_scheme)}


def _answers_from_form(position) -> list[dict]:
    """003's answers from the form's fields answer_<question id> (several values for a
    multiple choice)."""
    answers = []
    for question in positions.questions_for(position.item_id):
        name = f"answer_{question.id}"
        if question.type in CHOICE_TYPES:
            answers.append({"question": question.id, "options": request.form.getlist(name)})
        else:
            answers.append({"question": question.id, "answer": request.form.get(name, "")})
    return answers


@position_route("block")
def position_block(organizer, event, code, positionid):
    what = request.form.get("block")

    def change(position):
        kwargs = dict(actor=current_actor(), seen_last_modified=seen_state())
        if what == "add":
            secrets.add_block(position, **kwargs)
            return T_("Ticket %(number)s blocked: scanners refuse it.", number=position.positionid), position.positionid
        if what == "remove":
            secrets.remove_block(position, **kwargs)
            if position.blocked:
                return T_("Ticket %(number)s unblocked. It is still blocked by %(blocks)s.",
                          number=position.positionid, blocks=", ".join(position.blocked)), None
            return T_("Ticket %(number)s unblocked.", number=position.positionid), None
        raise Invalid(T_("Choose whether to block or unblock the ticket."), code="invalid", field="block")
    return run_position_action(event, code, positionid, "position_block", change)


@position_route("secret")
def position_secret(organizer, event, code, positionid):
    def change(position):
        secrets.regenerate_position_secret(position, actor=current_actor(), seen_last_modified=seen_state())
        return T_("New secret for ticket %(number)s; the old one no longer works.", number=position.positionid), None
    return run_position_action(event, code, positionid, "position_secret", change)


@position_route("cancel")
def position_cancel(organizer, event, code, positionid):
    def change(position):
        positions.cancel_position(position, actor=current_actor(), seen_last_modified=seen_state())
        addons = [p.positionid for p in position.order.all_positions if p.addon_to_id == position.id]
        numbers = dict(number=position.positionid, addons=", ".join(map(str, addons)),
                       total=_total_note(position.order))
        if len(addons) > 1:
            return T_("Ticket %(number)s with its add-ons %(addons)s canceled.%(total)s", **numbers), None
        if addons:
            return T_("Ticket %(number)s with its add-on %(addons)s canceled.%(total)s", **numbers), None
        return T_("Ticket %(number)s canceled.%(total)s", **numbers), None
    return run_position_action(event, code, positionid, "position_cancel", change)


@bp.post("/<organizer>/events/<event>/orders/<code>/positions/add", endpoint="position_add")
@require(Permission.CHANGE_ORDERS)
def position_add(organizer, event, code):
    order = get_or_404(event, code)
    form = request.form
    try:
        position = positions.add_position(
            order, actor=current_actor(), item=form.get("item"), variation=form.get("variation"),
            subevent=form.get("subevent"), seat=form.get("seat"), price=form.get("price"),
            addon_to=form.get("addon_to"), force=checked("force"), seen_last_modified=seen_state(),
            attendee_name_parts=_name_parts(event), attendee_email=form.get("attendee_email", ""))
        message = T_("Ticket %(number)s added: %(product)s, %(price)s.%(total)s", number=position.positionid,
                     product=position.item.name, price=money(position.price, event.currency),
                     total=_total_note(position.order))
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        return respond(event, code, action="position_add", positionid=None, error=_with_force_hint(e))
    return respond(event, code, action="position_add", positionid=None, message=message)


def _with_force_hint(error: DomainError) -> DomainError:
    if error.code == "quota_exceeded":
        error.message = T_("%(message)s Tick 'Overbook anyway' to add the ticket regardless.", message=error.message)
    return error
