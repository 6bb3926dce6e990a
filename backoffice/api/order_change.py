"""003's change of an order: several changes in one transaction, through order_change.change_order."""
from __future__ import annotations

from flask import jsonify

from ..domain import order_change
from ..domain.errors import Invalid
from ..domain.models import Order
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .order_actions import REFUSALS, order_of
from .orders import ONE_ORDER, event_of, fresh_order
from .params import body
from .registry import route
from .schemas.changes import OrderChange
from .schemas.orders import Order as OrderSchema


def _numbers(order: Order, refs: list[dict], part: str) -> list[dict]:
    """003 names positions by id; the domain by their number in the order."""
    by_id = {p.id: p.positionid for p in order.all_positions}
    result = []
    for index, ref in enumerate(refs):
        if ref["position"] not in by_id:
            raise Invalid(f"There is no position {ref['position']} in order {order.code}.", code="position_not_found",
                          field=f"{part}.{index}.position")
        result.append({**ref, "position": by_id[ref["position"]]})
    return result


@route(ONE_ORDER + "change/", "POST", "Change an order in one transaction", tag="Orders", body=OrderChange,
       response=OrderSchema, errors=REFUSALS)
def change_order(organizer: str, event: str, code: str):
    """Patch, cancel, split and add positions, change and cancel fees, recalculate taxes: all
    checked against the final state and written together, or nothing. send_email defaults to
    false, reissue_invoice to true; change_fees is another name for patch_fees."""
    ev = event_of(organizer, event, Permission.CHANGE_ORDERS)
    order = order_of(ev, code)
    data = body(OrderChange).model_dump()
    order_change.change_order(
        order, actor=auth.actor(), patch_positions=_numbers(order, data["patch_positions"], "patch_positions"),
        cancel_positions=_numbers(order, data["cancel_positions"], "cancel_positions"),
        split_positions=_numbers(order, data["split_positions"], "split_positions"),
        create_positions=data["create_positions"], patch_fees=data["patch_fees"], change_fees=data["change_fees"],
        cancel_fees=data["cancel_fees"], recalculate_taxes=data["recalculate_taxes"],
        send_email=data["send_email"], reissue_invoice=data["reissue_invoice"])
    db.session.commit()
    return jsonify(fresh_order(ev, code))
