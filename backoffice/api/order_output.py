"""Orders, positions, payments and refunds as JSON: the objects of 003, in the models' shapes."""
from __future__ import annotations

from typing import Any

from ..domain import orders as order_rules
from ..domain import tickets
from ..mail import absolute_url
from ..domain.models import (Answer, Checkin, InvoiceAddress, Order, OrderFee, OrderPayment, OrderPosition,
                             OrderRefund, PaymentState)
from .schemas import orders as schemas


def payment_data(payment: OrderPayment) -> dict:
    return {"local_id": payment.local_id, "state": payment.state, "amount": payment.amount,
            "created": payment.created, "payment_date": payment.payment_date, "payment_url": None,
            "details": payment.details or {}, "provider": payment.provider}


def refund_data(refund: OrderRefund) -> dict:
    return {"local_id": refund.local_id, "state": refund.state, "source": refund.source, "amount": refund.amount,
            "payment": refund.payment.local_id if refund.payment is not None else None, "created": refund.created,
            "execution_date": refund.execution_date, "comment": refund.comment, "details": refund.details or {},
            "provider": refund.provider}


def _fee(fee: OrderFee) -> dict:
    return {"id": fee.id, "fee_type": fee.fee_type, "value": fee.value, "description": fee.description or "",
            "internal_type": fee.internal_type or "", "tax_rate": fee.tax_rate, "tax_value": fee.tax_value,
            "tax_rule": fee.tax_rule_id, "canceled": fee.canceled}


def _address(address: InvoiceAddress | None) -> dict | None:
    if address is None:
        return None
    return {"last_modified": address.last_modified, "is_business": address.is_business,
            "company": address.company, "name": address.name_cached, "name_parts": address.name_parts or {},
            "street": address.street, "zipcode": address.zipcode, "city": address.city, "country": address.country,
            "state": address.state, "internal_reference": address.internal_reference,
            "custom_field": address.custom_field, "vat_id": address.vat_id,
            "vat_id_validated": address.vat_id_validated}


def _checkin(checkin: Checkin) -> dict:
    # the device's id is the only device number there is: both of 003's fields carry it
    return {"id": checkin.id, "list": checkin.list_id, "datetime": checkin.datetime, "type": checkin.type,
            "gate": checkin.gate, "device": checkin.device_id, "device_id": checkin.device_id,
            "auto_checked_in": checkin.auto_checked_in}


def _answer(answer: Answer) -> dict:
    return {"question": answer.question_id, "question_identifier": answer.question.identifier,
            "answer": answer.answer, "options": [o.id for o in answer.options],
            "option_identifiers": [o.identifier for o in answer.options]}


def _seat(position: OrderPosition) -> dict | None:
    seat = position.seat
    if seat is None:
        return None
    return {"id": seat.id, "name": seat.name, "zone_name": seat.zone_name, "row_name": seat.row_name,
            "row_label": seat.row_label, "seat_number": seat.seat_number, "seat_label": seat.seat_label,
            "seat_guid": seat.seat_guid}


def position_data(position: OrderPosition, order: Order) -> dict:
    return {
        "id": position.id, "order": order.code, "positionid": position.positionid, "canceled": position.canceled,
        "item": position.item_id, "variation": position.variation_id, "price": position.price,
        "attendee_name": position.attendee_name_cached, "attendee_name_parts": position.attendee_name_parts or {},
        "attendee_email": position.attendee_email, "company": position.company, "street": position.street,
        "zipcode": position.zipcode, "city": position.city, "country": position.country, "state": position.state,
        "voucher": position.voucher_id, "voucher_budget_use": position.voucher_budget_use,
        "tax_rate": position.tax_rate, "tax_value": position.tax_value, "tax_rule": position.tax_rule_id,
        "secret": position.secret, "addon_to": position.addon_to_id, "subevent": position.subevent_id,
        "valid_from": position.valid_from, "valid_until": position.valid_until, "blocked": position.blocked or None,
        "discount": position.discount_id, "pseudonymization_id": position.pseudonymization_id,
        "seat": _seat(position), "checkins": [_checkin(c) for c in position.checkins],
        "answers": [_answer(a) for a in position.answers],
        "downloads": _downloads(f"{_event_path(order)}/orderpositions/{position.id}")
        if position.id and tickets.downloadable(position) else [],
    }


def _event_path(order: Order) -> str:
    return f"/api/v1/organizers/{order.event.organizer.slug}/events/{order.event.slug}"


def _downloads(path: str) -> list[dict]:
    """003's download links, where the token's download would be given (domain/tickets.py)."""
    return [{"output": output, "url": absolute_url(f"{path}/download/{output}/")} for output in tickets.OUTPUTS]


def _last_payment(order: Order) -> OrderPayment | None:
    """The deprecated payment_date/payment_provider of 003: the newest confirmed payment."""
    confirmed = [p for p in order.payments if p.state in (PaymentState.CONFIRMED, PaymentState.REFUNDED)]
    return confirmed[-1] if confirmed else None


def order_data(order: Order, *, canceled_positions: bool = False, canceled_fees: bool = False) -> dict:
    last = _last_payment(order)
    positions = order.all_positions if canceled_positions else order.positions
    fees = order.all_fees if canceled_fees else order.fees
    return {
        "code": order.code, "event": order.event.slug, "status": order.status, "testmode": order.testmode,
        "secret": order.secret, "url": order_rules.order_url(order), "email": order.email, "phone": order.phone,
        "customer": order.customer.identifier if order.customer is not None else None, "locale": order.locale,
        "sales_channel": order.sales_channel, "datetime": order.datetime, "expires": order.expires,
        "last_modified": order.last_modified,
        "payment_date": last.payment_date.date() if last is not None and last.payment_date else None,
        "payment_provider": last.provider if last is not None else None,
        "fees": [_fee(f) for f in fees], "total": order.total, "comment": order.comment or "",
        "api_meta": order.api_meta or {}, "custom_followup_at": order.custom_followup_at,
        "checkin_attention": order.checkin_attention, "checkin_text": order.checkin_text,
        "require_approval": order.require_approval, "valid_if_pending": order.valid_if_pending,
        "invoice_address": _address(order.invoice_address),
        "positions": [position_data(p, order) for p in positions],
        "downloads": _downloads(f"{_event_path(order)}/orders/{order.code}")
        if order.id and tickets.downloadable_positions(order) else [],
        "payments": [payment_data(p) for p in order.payments], "refunds": [refund_data(r) for r in order.refunds],
    }


def serialize_order(order: Order, **flags: bool) -> dict:
    return schemas.Order.model_validate(order_data(order, **flags)).model_dump(mode="json")


def serialize_position(position: OrderPosition) -> dict:
    return schemas.Position.model_validate(position_data(position, position.order)).model_dump(mode="json")


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
