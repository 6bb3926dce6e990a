"""003's create_invoice: invoice an order that has no valid invoice, through invoices.create_invoice."""
from __future__ import annotations

from flask import jsonify

from ..domain import invoices
from ..domain.models import Invoice as InvoiceRow
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .order_actions import REFUSALS, order_of
from .orders import ONE_ORDER, event_of
from .params import body_data
from .registry import route
from .schemas.invoices import Invoice


def serialize_invoice(invoice: InvoiceRow) -> dict:
    return Invoice.model_validate({
        "order": invoice.order.code, "number": invoice.number, "is_cancellation": invoice.is_cancellation,
        "refers": invoice.refers.number if invoice.refers is not None else None, "date": invoice.date,
        "invoice_from": invoice.issuer, "invoice_to": invoice.recipient, "currency": invoice.currency,
        "lines": [{"position": line.position, "description": line.description, "gross_value": line.gross_value,
                   "tax_value": line.tax_value, "tax_rate": line.tax_rate, "tax_name": line.tax_name}
                  for line in invoice.lines],
    }).model_dump(mode="json")


@route(ONE_ORDER + "create_invoice/", "POST", "Invoice an order", tag="Orders", response=Invoice,
       errors=REFUSALS)
def create_invoice(organizer: str, event: str, code: str):
    """Refused when invoicing is off for the event, the order has a valid invoice already, or there
    is nothing to invoice (canceled, awaiting approval, total 0)."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    body_data()
    invoice = invoices.create_invoice(order_of(ev, code), actor=auth.actor())
    invoice_id = invoice.id
    db.session.commit()
    db.session.expire_all()
    return jsonify(serialize_invoice(db.session.get(InvoiceRow, invoice_id)))
