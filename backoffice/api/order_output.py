"""Orders, positions, payments and refunds as JSON: the objects of 003, in the models' shapes.

The functions build what is sent, already as JSON values (money as "23.00", moments as ISO 8601
text): one object goes through its pydantic model on the way out (`serialize_order`), a page of
orders is sent as built, since validating fifty nested orders cost a tenth of the list's time.
tests/api check that the model gives back exactly what was built, so the model and the OpenAPI
document generated from it describe both.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..domain import orders as order_rules
from ..domain import ticket_pdf, tickets
from ..mail import absolute_url
from ..domain.models import Order, OrderPosition, OrderRefund, PaymentState
from .order_parts import ORM_PARTS, AnswerParts, PageParts, Parts
from .schemas import orders as schemas
from .schemas.common import money_json, moment_json

# The functions below read attributes, so each takes a model object or a row of
# order_parts.PageParts with the same names.


def payment_data(payment: Any) -> dict:
    return {"local_id": payment.local_id, "state": payment.state, "amount": money_json(payment.amount),
            "created": moment_json(payment.created), "payment_date": moment_json(payment.payment_date),
            "payment_url": None,
            "details": payment.details or {}, "provider": payment.provider}


def refund_data(refund: OrderRefund) -> dict:
    return _refund(refund, refund.payment.local_id if refund.payment is not None else None)


def _refund(refund: Any, payment_number: int | None) -> dict:
    return {"local_id": refund.local_id, "state": refund.state, "source": refund.source,
            "amount": money_json(refund.amount), "payment": payment_number, "created": moment_json(refund.created),
            "execution_date": moment_json(refund.execution_date), "comment": refund.comment,
            "details": refund.details or {},
            "provider": refund.provider}


def _fee(fee: Any) -> dict:
    return {"id": fee.id, "fee_type": fee.fee_type, "value": money_json(fee.value),
            "description": fee.description or "", "internal_type": fee.internal_type or "",
            "tax_rate": money_json(fee.tax_rate), "tax_value": money_json(fee.tax_value),
            "tax_rule": fee.tax_rule_id, "canceled": fee.canceled}


def _address(address: Any) -> dict | None:
    if address is None:
        return None
    return {"last_modified": moment_json(address.last_modified), "is_business": address.is_business,
            "company": address.company, "name": address.name_cached, "name_parts": address.name_parts or {},
            "street": address.street, "zipcode": address.zipcode, "city": address.city, "country": address.country,
            "state": address.state, "internal_reference": address.internal_reference,
            "custom_field": address.custom_field, "vat_id": address.vat_id,
            "vat_id_validated": address.vat_id_validated}


def _checkin(checkin: Any) -> dict:
    # the device's id is the only device number there is: both of 003's fields carry it
    return {"id": checkin.id, "list": checkin.list_id, "datetime": moment_json(checkin.datetime), "type": checkin.type,
            "gate": checkin.gate, "device": checkin.device_id, "device_id": checkin.device_id,
            "auto_checked_in": checkin.auto_checked_in}


def _answer(answer: AnswerParts) -> dict:
    # in the order the question lists its options (the link table keeps none)
    options = sorted(answer.options, key=lambda o: (o.position, o.id))
    return {"question": answer.question_id, "question_identifier": answer.question_identifier,
            "answer": answer.answer, "options": [o.id for o in options],
            "option_identifiers": [o.identifier for o in options]}


def _seat(seat: Any) -> dict | None:
    if seat is None:
        return None
    return {"id": seat.id, "name": seat.name, "zone_name": seat.zone_name, "row_name": seat.row_name,
            "row_label": seat.row_label, "seat_number": seat.seat_number, "seat_label": seat.seat_label,
            "seat_guid": seat.seat_guid}


def position_data(position: OrderPosition, order: Order, parts: Parts = ORM_PARTS, *, event_url: str | None = None,
                  downloadable: bool | None = None, pdf_data: bool = False) -> dict:
    """`event_url` and `downloadable` when the order's serializer knows them already."""
    if downloadable is None:
        downloadable = bool(position.id) and tickets.downloadable(position)
    data = {
        "id": position.id, "order": order.code, "positionid": position.positionid, "canceled": position.canceled,
        "item": position.item_id, "variation": position.variation_id, "price": money_json(position.price),
        "attendee_name": position.attendee_name_cached, "attendee_name_parts": position.attendee_name_parts or {},
        "attendee_email": position.attendee_email, "company": position.company, "street": position.street,
        "zipcode": position.zipcode, "city": position.city, "country": position.country, "state": position.state,
        "voucher": position.voucher_id, "voucher_budget_use": money_json(position.voucher_budget_use),
        "tax_rate": money_json(position.tax_rate), "tax_value": money_json(position.tax_value),
        "tax_rule": position.tax_rule_id,
        "secret": position.secret, "addon_to": position.addon_to_id, "subevent": position.subevent_id,
        "valid_from": moment_json(position.valid_from), "valid_until": moment_json(position.valid_until),
        "blocked": position.blocked or None,
        "discount": position.discount_id, "pseudonymization_id": position.pseudonymization_id,
        "seat": _seat(parts.seat(position)), "checkins": [_checkin(c) for c in parts.checkins(position)],
        "answers": [_answer(a) for a in parts.answers(position)],
        "downloads": _downloads(f"{event_url or _event_url(order)}/orderpositions/{position.id}")
        if downloadable else [],
    }
    if pdf_data:
        data["pdf_data"] = ticket_pdf.pdf_data(position)
    return data


def _event_url(order: Order) -> str:
    return absolute_url(f"/api/v1/organizers/{order.event.organizer.slug}/events/{order.event.slug}")


def _downloads(url: str) -> list[dict]:
    """003's download links, where the token's download would be given (domain/tickets.py)."""
    return [{"output": output, "url": f"{url}/download/{output}/"} for output in tickets.OUTPUTS]


def _last_payment(payments: list[Any]) -> Any:
    """The deprecated payment_date/payment_provider of 003: the newest confirmed payment."""
    confirmed = [p for p in payments if p.state in (PaymentState.CONFIRMED, PaymentState.REFUNDED)]
    return confirmed[-1] if confirmed else None


def order_data(order: Order, *, canceled_positions: bool = False, canceled_fees: bool = False,
               parts: Parts = ORM_PARTS, pdf_data: bool = False) -> dict:
    payments = parts.payments(order)
    last = _last_payment(payments)
    positions = order.all_positions if canceled_positions else order.positions
    # as Order.fees: canceled fees only when asked for
    fees = [f for f in parts.fees(order) if canceled_fees or not f.canceled]
    event_url = _event_url(order)
    # the tickets the token could download (domain/tickets.py), decided once for the order
    printable = tickets.downloadable_positions(order) if order.id else []
    return {
        "code": order.code, "event": order.event.slug, "status": order.status, "testmode": order.testmode,
        "secret": order.secret, "url": order_rules.order_url(order), "email": order.email, "phone": order.phone,
        "customer": parts.customer(order), "locale": order.locale,
        "sales_channel": order.sales_channel, "datetime": moment_json(order.datetime),
        "expires": moment_json(order.expires), "last_modified": moment_json(order.last_modified),
        "payment_date": moment_json(last.payment_date.date()) if last is not None and last.payment_date else None,
        "payment_provider": last.provider if last is not None else None,
        "fees": [_fee(f) for f in fees], "total": money_json(order.total), "comment": order.comment or "",
        "api_meta": order.api_meta or {}, "custom_followup_at": moment_json(order.custom_followup_at),
        "checkin_attention": order.checkin_attention, "checkin_text": order.checkin_text,
        "require_approval": order.require_approval, "valid_if_pending": order.valid_if_pending,
        "invoice_address": _address(parts.address(order)),
        "positions": [position_data(p, order, parts, event_url=event_url, downloadable=bool(p.id) and p in printable,
                                    pdf_data=pdf_data) for p in positions],
        "downloads": _downloads(f"{event_url}/orders/{order.code}") if printable else [],
        "payments": [payment_data(p) for p in payments],
        "refunds": [_refund(r, number) for r, number in parts.refunds(order)],
    }


def serialize_order(order: Order, **flags: Any) -> dict:
    return sent(schemas.Order, order_data(order, **flags))


def sent(model: type[BaseModel], data: dict) -> dict:
    """`data` through its model, as it is sent: what was not given (pdf_data) stays missing."""
    return model.model_validate(data).model_dump(mode="json", exclude_unset=True)


def serialize_orders(orders: list[Order], **flags: bool) -> list[dict]:
    """A page of orders (their positions loaded, see orders.loading), its parts read at once;
    sent as built (see the module's docstring)."""
    parts = PageParts(orders)
    return [order_data(o, parts=parts, **flags) for o in orders]


def serialize_positions(positions: list[OrderPosition]) -> list[dict]:
    """A page of positions (their orders and products loaded), its parts read at once; sent as
    built (see the module's docstring)."""
    parts = PageParts([], positions)
    return [position_data(p, p.order, parts) for p in positions]


def serialize_position(position: OrderPosition) -> dict:
    return sent(schemas.Position, position_data(position, position.order))


# --- include / exclude --------------------------------------------------------------------------

def _tree(paths: list[str]) -> dict:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


def _keep(data: Any, tree: dict) -> Any:
    if not tree:
        return data
    if isinstance(data, list):
        return [_keep(item, tree) for item in data]
    if isinstance(data, dict):
        return {key: _keep(value, tree[key]) for key, value in data.items() if key in tree}
    return data


def _drop(data: Any, tree: dict) -> Any:
    if isinstance(data, list):
        return [_drop(item, tree) for item in data]
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key not in tree:
                out[key] = value
            elif tree[key]:
                out[key] = _drop(value, tree[key])
        return out
    return data


def trimmed(data: dict, include: list[str], exclude: list[str]) -> dict:
    """003's include/exclude with dotted paths: include first, then exclude (which wins)."""
    if include:
        data = _keep(data, _tree(include))
    if exclude:
        data = _drop(data, _tree(exclude))
    return data
