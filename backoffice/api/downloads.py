"""Ticket downloads (seed 003's download/<output> of an order and of one position).

A token gets what the order's customer would get (domain/tickets.py): paid orders, pending
ones where the event allows it, not canceled or blocked tickets. Refusals answer 403 with the
reason, an unknown output 404. PDFs are made while the request waits, so there is no 409
"not ready yet".
"""
from __future__ import annotations

from flask import Response

from ..domain import ticket_pdf, tickets
from ..domain.permissions import Permission
from .order_actions import order_of
from .orders import ONE_ORDER, event_of
from .position_actions import position_of
from .positions import ONE_POSITION
from .registry import route

TAG = "Ticket downloads"
PDF_MEDIA = tickets.OUTPUTS[tickets.PDF]


def _file(data: bytes, name: str) -> Response:
    response = Response(data, mimetype=PDF_MEDIA)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@route(ONE_ORDER + "download/<output>/", "GET", "Download the tickets of an order", tag=TAG, media=PDF_MEDIA,
       errors=(401, 403, 404))
def download_order(organizer: str, event: str, code: str, output: str):
    """All downloadable tickets of the order in one PDF."""
    ev = event_of(organizer, event, Permission.VIEW_ORDERS)
    tickets.ensure_output(output)
    order = order_of(ev, code)
    chosen = tickets.ensure_order_downloadable(order)
    return _file(ticket_pdf.render_order(order, chosen), ticket_pdf.filename(order))


@route(ONE_POSITION + "download/<output>/", "GET", "Download one ticket", tag=TAG, media=PDF_MEDIA,
       errors=(401, 403, 404))
def download_position(organizer: str, event: str, id: int, output: str):
    ev = event_of(organizer, event, Permission.VIEW_ORDERS)
    tickets.ensure_output(output)
    position = tickets.ensure_position_downloadable(position_of(ev, id))
    return _file(ticket_pdf.render_position(position), ticket_pdf.filename(position.order, position))
