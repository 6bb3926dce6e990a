"""Invoices on the order page: create one, cancel and reissue it, download any of them as a PDF;
and the same PDFs behind the customer's order link.

The two actions answer like every action of the order page (web/orders/detail.py): htmx gets the
invoices region with the message, or the refusal next to the button (422), and the other regions
out of band; a plain post is redirected back to the order. A download of an invoice of another
order (or an id no invoice has) is a 404.
"""
from __future__ import annotations

from flask import Response, abort, url_for

from ...domain import invoice_pdf, invoices, tickets
from ...domain.errors import NotFound
from ...domain.models import Event, Invoice, Order
from ...domain.permissions import Permission
from ...domain.texts import T_
from ..access import current_actor, require
from ..public import bp as public_bp
from . import bp
from .detail import action_route, get_or_404, run_action, seen_state

REGION = "invoices"
STAFF_PREFIX = "/<organizer>/events/<event>/orders/<code>"
ORDER_LINK = "/<organizer>/<event>/order/<code>/<secret>"


# --- what the pages ask -----------------------------------------------------------------------------------

@bp.app_template_global("invoice_overview")
def invoice_overview(order: Order) -> dict:
    """For the invoices region: the invoices with their totals, which are canceled (by which
    cancellation), the current one, and why none can be created (None when one can)."""
    canceled_by = {i.refers_id: i for i in order.invoices if i.is_cancellation and i.refers_id is not None}
    return dict(invoices=list(order.invoices), totals={i.id: invoices.total(i) for i in order.invoices},
                canceled_by=canceled_by, current=invoices.current_invoice(order),
                refusal=invoices.refusal(order))


@bp.app_template_global("invoice_url")
def invoice_url(invoice: Invoice) -> str:
    order = invoice.order
    return url_for("orders.invoice_download", organizer=order.event.organizer.slug, event=order.event.slug,
                   code=order.code, invoice_id=invoice.id)


@public_bp.app_template_global("customer_invoice_url")
def customer_invoice_url(invoice: Invoice) -> str:
    order = invoice.order
    return url_for("public.invoice_download", organizer=order.event.organizer.slug, event=order.event.slug,
                   code=order.code, secret=order.secret, invoice_id=invoice.id)


# --- actions ----------------------------------------------------------------------------------------------------

@action_route("invoices/create")
def invoice_create(organizer, event, code):
    def change(order):
        invoice = invoices.create_invoice(order, actor=current_actor(), seen_last_modified=seen_state())
        return T_("Invoice %(number)s created for order %(code)s.", number=invoice.number, code=order.code)
    return run_action(event, code, "invoice_create", REGION, change)


@action_route("invoices/reissue")
def invoice_reissue(organizer, event, code):
    def change(order):
        cancellation, new = invoices.reissue_invoice(order, actor=current_actor(), seen_last_modified=seen_state(),
                                                     required=True)
        numbers = dict(number=cancellation.refers.number, cancellation=cancellation.number)
        if new is None:
            return T_("Invoice %(number)s canceled by %(cancellation)s. No new invoice: %(reason)s",
                      reason=invoices.refusal(cancellation.order), **numbers)
        return T_("Invoice %(number)s canceled by %(cancellation)s; new invoice %(new)s issued.", new=new.number,
                  **numbers)
    return run_action(event, code, "invoice_reissue", REGION, change)


# --- downloads ---------------------------------------------------------------------------------------------------

def _pdf(invoice: Invoice) -> Response:
    response = Response(invoice_pdf.render(invoice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{invoice_pdf.filename(invoice)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _invoice_or_404(order: Order, invoice_id: str) -> Invoice:
    try:
        return invoices.get_invoice(order, invoice_id)
    except NotFound:
        abort(404)


@bp.get(f"{STAFF_PREFIX}/invoices/<invoice_id>.pdf", endpoint="invoice_download")
@require(Permission.VIEW_ORDERS)
def invoice_download(organizer, event: Event, code, invoice_id):
    return _pdf(_invoice_or_404(get_or_404(event, code), invoice_id))


@public_bp.get(f"{ORDER_LINK}/invoices/<invoice_id>.pdf", endpoint="invoice_download")
def customer_invoice_download(organizer, event, code, secret, invoice_id):
    try:
        order = tickets.find_order_by_link(organizer, event, code, secret)
    except NotFound:
        abort(404)
    return _pdf(_invoice_or_404(order, invoice_id))
