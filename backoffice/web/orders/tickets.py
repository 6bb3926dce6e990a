"""Ticket downloads (seed 003's `download/<output>` of an order and of one ticket) for staff and
for customers, the attendee's own ticket page, and sending a ticket to its attendee.

Who may download what is decided in domain/tickets.py: staff print every ticket that could
still admit someone; customers (the order's secret link) and attendees (their ticket's secret
link) only what the event's download settings and the order's payment allow. A refusal answers
403 with the reason, an unknown output or a ticket of another order 404, as in 003.
"""
from __future__ import annotations

from flask import Response, abort, render_template, url_for

from ...domain import orders, positions, ticket_pdf, tickets
from ...domain.errors import Forbidden, NotFound
from ...domain.models import Event, Order, OrderPosition
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...i18n import N_
from ..access import current_actor, require
from ..public import bp as public_bp
from . import bp
from .detail import get_or_404
from .positions import position_route, run_position_action

STAFF_PREFIX = "/<organizer>/events/<event>/orders/<code>"
ORDER_LINK = "/<organizer>/<event>/order/<code>/<secret>"
TICKET_LINK = "/<organizer>/<event>/ticket/<code>/<positionid>/<secret>"


# --- links the pages show ---------------------------------------------------------------------------

def _staff_url(order: Order, position: OrderPosition | None = None) -> str:
    args = dict(organizer=order.event.organizer.slug, event=order.event.slug, code=order.code, output=tickets.PDF)
    if position is None:
        return url_for("orders.tickets_download", **args)
    return url_for("orders.ticket_download", positionid=position.positionid, **args)


@bp.app_template_global("staff_ticket_links")
def staff_ticket_links(order: Order) -> dict:
    """For the order page: the PDF of all tickets staff may print, one per ticket, and why the
    customer cannot download them (None when they can)."""
    printable = tickets.downloadable_positions(order, staff=True)
    return dict(order=_staff_url(order) if printable else None,
                positions={p.id: _staff_url(order, p) for p in printable},
                customer_refusal=tickets.order_refusal(order))


@public_bp.app_template_global("customer_ticket_links")
def customer_ticket_links(order: Order) -> dict:
    """For the customer's order page: the same, under the order's secret link."""
    base = _order_link(order)
    allowed = tickets.downloadable_positions(order)
    return dict(order=f"{base}download/{tickets.PDF}" if allowed else None,
                positions={p.id: f"{base}positions/{p.positionid}/download/{tickets.PDF}" for p in allowed},
                refusal=tickets.order_refusal(order))


def _order_link(order: Order) -> str:
    return orders.public_order_path(order)


# --- responses ---------------------------------------------------------------------------------------------

def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype=tickets.OUTPUTS[tickets.PDF])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _staff_refused(error: Forbidden):
    return render_template("error.html", status=403, title=N_("Ticket download not available"),
                           message=error.message), 403


def _customer_refused(error: Forbidden, back: str, back_label: str):
    return render_template("public/download_refused.html", message=error.message, back=back,
                           back_label=back_label), 403


def _output_or_404(output: str) -> None:
    try:
        tickets.ensure_output(output)
    except NotFound:
        abort(404)


# --- staff -----------------------------------------------------------------------------------------------------

@bp.get(f"{STAFF_PREFIX}/download/<output>", endpoint="tickets_download")
@require(Permission.VIEW_ORDERS)
def tickets_download(organizer, event: Event, code, output):
    _output_or_404(output)
    order = get_or_404(event, code)
    try:
        chosen = tickets.ensure_order_downloadable(order, staff=True)
    except Forbidden as e:
        return _staff_refused(e)
    return _pdf(ticket_pdf.render_order(order, chosen), ticket_pdf.filename(order))


@bp.get(f"{STAFF_PREFIX}/positions/<positionid>/download/<output>", endpoint="ticket_download")
@require(Permission.VIEW_ORDERS)
def ticket_download(organizer, event: Event, code, positionid, output):
    _output_or_404(output)
    position = _position_or_404(get_or_404(event, code), positionid)
    try:
        tickets.ensure_position_downloadable(position, staff=True)
    except Forbidden as e:
        return _staff_refused(e)
    return _pdf(ticket_pdf.render_position(position), ticket_pdf.filename(position.order, position))


def _position_or_404(order: Order, positionid: str) -> OrderPosition:
    try:
        return positions.get_position(order, positionid)
    except NotFound:
        abort(404)


@position_route("resend")
def position_resend(organizer, event, code, positionid):
    def change(position):
        tickets.resend_ticket_link(position, actor=current_actor())
        return T_("Ticket %(number)s sent to its attendee, %(email)s.", number=position.positionid,
                  email=position.attendee_email), None
    return run_position_action(event, code, positionid, "position_resend", change)


# --- customers: the order's secret link ----------------------------------------------------------------------

def _customer_order(organizer: str, event: str, code: str, secret: str) -> Order:
    try:
        return tickets.find_order_by_link(organizer, event, code, secret)
    except NotFound:
        abort(404)


@public_bp.get(f"{ORDER_LINK}/download/<output>", endpoint="tickets_download")
def customer_tickets_download(organizer, event, code, secret, output):
    _output_or_404(output)
    order = _customer_order(organizer, event, code, secret)
    try:
        chosen = tickets.ensure_order_downloadable(order)
    except Forbidden as e:
        return _customer_refused(e, _order_link(order), N_("Back to your order"))
    return _pdf(ticket_pdf.render_order(order, chosen), ticket_pdf.filename(order))


@public_bp.get(f"{ORDER_LINK}/positions/<positionid>/download/<output>", endpoint="ticket_download")
def customer_ticket_download(organizer, event, code, secret, positionid, output):
    _output_or_404(output)
    order = _customer_order(organizer, event, code, secret)
    position = _position_or_404(order, positionid)
    return _customer_position_pdf(position, back=_order_link(order), back_label=N_("Back to your order"))


def _customer_position_pdf(position: OrderPosition, back: str, back_label: str):
    try:
        tickets.ensure_position_downloadable(position)
    except Forbidden as e:
        return _customer_refused(e, back, back_label)
    return _pdf(ticket_pdf.render_position(position), ticket_pdf.filename(position.order, position))


# --- attendees: their ticket's own link ------------------------------------------------------------------------

def _attendee_ticket(organizer, event, code, positionid, secret) -> OrderPosition:
    try:
        return tickets.find_attendee_ticket(organizer, event, code, positionid, secret)
    except NotFound:
        abort(404)


@public_bp.get(f"{TICKET_LINK}/", endpoint="attendee_ticket")
def attendee_ticket(organizer, event, code, positionid, secret):
    position = _attendee_ticket(organizer, event, code, positionid, secret)
    return render_template("public/ticket.html", position=position, order=position.order,
                           event=position.order.event, refusal=tickets.position_refusal(position),
                           download=f"{tickets.attendee_ticket_path(position)}download/{tickets.PDF}")


@public_bp.get(f"{TICKET_LINK}/download/<output>", endpoint="attendee_ticket_download")
def attendee_ticket_download(organizer, event, code, positionid, secret, output):
    _output_or_404(output)
    position = _attendee_ticket(organizer, event, code, positionid, secret)
    return _customer_position_pdf(position, back=tickets.attendee_ticket_path(position),
                                  back_label=N_("Back to your ticket"))
