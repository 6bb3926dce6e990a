"""Seats of an event: the list (filter by section, blocked, date) with block/unblock on each row
(an htmx action that swaps the row), and importing a seating list from CSV."""
from __future__ import annotations

from flask import render_template, request, url_for

from ...domain import parsing, quotas, seats
from ...domain.errors import DomainError, Invalid
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ..access import current_actor, require
from ..errors import is_htmx
from . import bp
from .common import found, history, saved


def _list_url(event) -> str:
    return url_for("products.seat_list", organizer=event.organizer.slug, event=event.slug)


def _filters(event) -> tuple[seats.SeatFilters, list[str]]:
    """The filters of the URL; a value that cannot apply is ignored with a notice."""
    notices = []
    section = request.args.get("section") or None
    blocked = request.args.get("blocked") or None
    if blocked not in (None, "yes", "no"):
        notices.append(T_("Ignored the filter 'blocked': choose yes or no."))
        blocked = None
    subevent_id = None
    if request.args.get("subevent"):
        try:
            subevent_id = parsing.parse_id(request.args["subevent"], label=T_("date"))
        except Invalid as e:
            notices.append(T_("Ignored the filter '%(name)s': %(why)s", name="subevent", why=e.message))
    return seats.SeatFilters(section=section, blocked=blocked, subevent_id=subevent_id), notices


def _page_number() -> int:
    try:
        return parsing.parse_integer(request.args.get("page"), minimum=1, maximum=1_000_000) or 1
    except Invalid:
        return 1


@bp.get("/<organizer>/events/<event>/seats/")
@require(Permission.MANAGE_EVENTS)
def seat_list(organizer, event):
    filters, notices = _filters(event)
    page = seats.seat_page(event, filters, _page_number())
    return render_template("products/seats.html", event=event, page=page, filters=filters, notices=notices,
                           sold=seats.sold_among(page.items), sections=seats.sections(event),
                           subevents=quotas.subevents_of(event), entries=history(event, ("seat.", "seats.")))


@bp.post("/<organizer>/events/<event>/seats/<seat_id>/blocked")
@require(Permission.MANAGE_EVENTS)
def seat_blocked(organizer, event, seat_id):
    seat = found(seats.get_seat, event, seat_id)
    blocked = request.form.get("blocked") == "1"
    changed = seats.set_blocked(seat, actor=current_actor(), blocked=blocked)
    db.session.commit()
    if blocked:
        message = (T_("Seat %(name)s is blocked: it cannot be sold.", name=seat.name) if changed
                   else T_("Seat %(name)s was already blocked.", name=seat.name))
    else:
        message = (T_("Seat %(name)s can be sold again.", name=seat.name) if changed
                   else T_("Seat %(name)s was not blocked.", name=seat.name))
    if is_htmx():
        return render_template("products/_seat_row.html", event=event, seat=seat,
                               sold=seats.sold_among([seat]), row_message=message)
    return saved(message, request.form.get("back") if _local(request.form.get("back")) else _list_url(event))


def _local(target: str | None) -> bool:
    """Only go back to a page of this site (the list with its filters)."""
    return bool(target) and target.startswith("/") and not target.startswith("//") and "\\" not in target


@bp.route("/<organizer>/events/<event>/seats/import", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def seat_import(organizer, event):
    context = dict(event=event, subevents=quotas.subevents_of(event), typed={"subevent_id": ""}, errors={})
    if request.method == "GET":
        return render_template("products/seat_import.html", **context)
    context["typed"] = {"subevent_id": request.form.get("subevent_id", "")}
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise Invalid(T_("Choose the CSV file to import."), code="required", field="file")
        subevent = seats.subevent_for(event, request.form.get("subevent_id"))
        data = upload.stream.read(seats.MAX_FILE_BYTES + 1)
        result = seats.import_seats(event, data, actor=current_actor(), subevent=subevent)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        problems = getattr(e, "problems", None)
        return render_template("products/seat_import.html", error=e.message if not problems else None,
                               problems=problems, **{**context, "errors": e.errors}), 422
    return saved(T_("Seating list imported: %(added)s seats added, %(updated)s changed, %(unchanged)s unchanged.",
                 added=result.added, updated=result.updated, unchanged=result.unchanged), _list_url(event))
