"""Change an order in one transaction (seed 003's POST …/orders/<code>/change/).

Tickets can be changed (product, variation, date, seat, price, tax rule, validity), canceled,
added and split into a new order; fees changed or canceled; taxes recalculated keeping the net
or the gross price. All parts are applied together inside a savepoint and checked against the
**final** state: two attendees can swap seats, and a quota is only asked for what the change adds
to it. One refused part refuses the whole change, naming that part, and nothing is written.

Splitting tickets off into a new order, with the money that moves along, is order_split.py;
order_change_parts.py reads and applies each part, order_change_checks.py checks the final state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ..extensions import db
from . import audit, order_change_checks as checks, orders
from .audit import Actor
from .errors import Invalid, NotFound
from .texts import T_
from .models import Order, OrderPosition, OrderStatus, utcnow
from .order_change_parts import (PartErrors, create_position, fee_label, find_fee, next_positionid, patch_position,
                                 read_plan, recalculate_taxes, set_fee_value)
from .order_split import Split, split_off
from .orders import ZERO, begin_change, canceled_with_fee
from .positions import settle_status, get_position, recompute_total  # the status rule of ticket changes

__all__ = ["ChangeResult", "change_order"]

@dataclass
class ChangeResult:
    """What a change did (or, previewed, would do)."""
    code: str
    currency: str
    old_total: Decimal
    new_total: Decimal
    #: after the change: positive = still to pay, negative = due for refund
    open: Decimal
    status: str
    previous_status: str
    messages: list[str] = field(default_factory=list)
    split_code: str | None = None
    split_total: Decimal | None = None
    split_status: str | None = None
    moved_amount: Decimal = ZERO
    preview: bool = False
    email_sent: bool = False
    invoice_reissued: bool = False
    #: the invoice canceled and the one issued instead (in a preview: what would be issued)
    canceled_invoice: str | None = None
    new_invoice: str | None = None
    new_invoice_total: Decimal | None = None

    @property
    def difference(self) -> Decimal:
        return self.new_total - self.old_total

    @property
    def to_pay(self) -> Decimal:
        return self.open if self.open > ZERO else ZERO

    @property
    def to_refund(self) -> Decimal:
        return -self.open if self.open < ZERO else ZERO


def change_order(order: Order, *, actor: Actor, patch_positions=None, cancel_positions=None, create_positions=None,
                 split_positions=None, patch_fees=None, cancel_fees=None, recalculate_taxes: str | None = None,
                 send_email: bool = False, reissue_invoice: bool = True, seen_last_modified: str | None = None,
                 now: datetime | None = None, preview: bool = False, change_fees=None) -> ChangeResult:
    """Apply every part of the change or none (003's defaults: no email, reissue the invoice).

    Tickets are named by their number in the order (`positionid`), fees by their id; a patch is
    003's {"position": n, "body": {...}} or the same flat. `change_fees` is 003's other name for
    `patch_fees`. `preview` computes the result inside a savepoint and rolls it back: nothing is
    written, and the caller ends the transaction (the order's row stays locked until then).
    """
    now = now or utcnow()
    if change_fees and not patch_fees:
        patch_fees = change_fees
    plan = read_plan(patch_positions=patch_positions, cancel_positions=cancel_positions,
                     create_positions=create_positions, split_positions=split_positions, patch_fees=patch_fees,
                     cancel_fees=cancel_fees, recalculate_taxes=recalculate_taxes)
    if plan.empty():
        raise Invalid(T_("Nothing to change: choose a ticket or fee to change, cancel, add or split."),
                      code="nothing_to_change")
    savepoint = db.session.begin_nested()
    try:
        result = _change(order, plan, actor=actor, send_email=send_email and not preview,
                         reissue_invoice=reissue_invoice, seen=seen_last_modified, now=now)
    except BaseException:
        savepoint.rollback()
        raise
    if preview:
        savepoint.rollback()  # the savepoint holds all of it: nothing was written
        result.preview = True
        if result.split_code:  # that code was never kept: the saved change draws another one
            result.messages = [m.replace(f"new order {result.split_code}", "a new order") for m in result.messages]
    else:
        savepoint.commit()
    return result


def _current_invoice(order: Order) -> bool:
    from .invoices import current_invoice
    return current_invoice(order) is not None


def _ensure_open(order: Order) -> None:
    if order.status not in (OrderStatus.PENDING, OrderStatus.PAID) or canceled_with_fee(order):
        label, _style = orders.status_label(order)
        if order.status == OrderStatus.EXPIRED:
            message = T_("Order %(code)s is %(status)s: only pending or paid orders can be changed. Extend it first.",
                         code=order.code, status=T_(label))
        else:
            message = T_("Order %(code)s is %(status)s: only pending or paid orders can be changed.",
                         code=order.code, status=T_(label))
        raise Invalid(message, code="wrong_status")


def _find(order: Order, ref, errors: PartErrors) -> OrderPosition | None:
    key, label = f"position.{str(ref)[:20]}", T_("Ticket %(number)s", number=str(ref)[:20])
    try:
        position = get_position(order, ref)
    except NotFound:
        errors.add(key, label, T_("order %(code)s has no such ticket.", code=order.code), "position_not_found")
        return None
    if position.canceled:
        errors.add(key, label, T_("it is canceled already."), "position_canceled")
        return None
    return position


def _label(position: OrderPosition) -> str:
    return T_("Ticket %(number)s", number=position.positionid)


@dataclass
class _Applied:
    """The parts of a change as applied in memory, with their history entries and messages."""
    cancels: list[OrderPosition]
    splits: list[OrderPosition]
    created: list[OrderPosition]
    history: dict
    messages: list[str]


def _change(order: Order, plan, *, actor: Actor, send_email: bool, reissue_invoice: bool, seen: str | None,
            now: datetime) -> ChangeResult:
    order = begin_change(order, seen)
    _ensure_open(order)
    previous_status, old_total = order.status, order.total
    before = checks.Before.of(order)
    had_invoice = _current_invoice(order)
    applied = _apply_parts(order, plan)
    labels = {p: (f"position.{p.positionid}", _label(p)) for p in order.all_positions}
    labels.update({p: (f"create.{i}", T_("New ticket %(number)s", number=i)) for i, p in enumerate(applied.created, 1)})
    checks.ensure_final_state(order, before, labels, leaving=applied.splits)

    split = split_off(order, applied.splits, actor=actor, now=now) if applied.splits else None
    recompute_total(order)
    new_status = settle_status(order, now)
    history, messages = applied.history, applied.messages
    history.update(total={"old": old_total, "new": order.total}, email_sent=bool(send_email and order.email),
                   reissue_invoice=reissue_invoice)
    if new_status:
        history["new_status"] = new_status
    if split is not None:
        history["split"] = {"positions": [p.positionid for p in applied.splits], "new_order": split.code,
                            "amount_moved": split.moved}
        if split.moved:
            messages.append(T_("%(tickets)s moved to new order %(code)s with %(amount)s %(currency)s of what was paid.",
                               tickets=_tickets(applied.splits), code=split.code, amount=split.moved,
                               currency=order.event.currency))
        else:
            messages.append(T_("%(tickets)s moved to new order %(code)s.", tickets=_tickets(applied.splits),
                               code=split.code))
    audit.log(actor, order, "order.changed", data=history, now=now)
    canceled, issued = _invoices(order, split, reissue=reissue_invoice, had_invoice=had_invoice, actor=actor, now=now)
    if send_email:
        orders.queue_order_mail(order, "order_changed", messages=messages, split_code=split.code if split else None)
        if split is not None:
            orders.queue_order_mail(split.order, "order_changed", messages=[T_("Split from order %(code)s.",
                                                                               code=order.code)], split_code=None)
    return ChangeResult(code=order.code, currency=order.event.currency, old_total=old_total, new_total=order.total,
                        open=orders.totals(order).open, status=order.status, previous_status=previous_status,
                        messages=messages, split_code=split.code if split else None,
                        split_total=split.order.total if split else None,
                        split_status=split.order.status if split else None, moved_amount=split.moved if split else ZERO,
                        email_sent=bool(send_email and order.email), invoice_reissued=canceled is not None,
                        canceled_invoice=canceled[0] if canceled else None, new_invoice=issued[0] if issued else None,
                        new_invoice_total=issued[1] if issued else None)


def _apply_parts(order: Order, plan) -> _Applied:
    """Every part applied to the order in memory; every refused part reported at once."""
    errors = PartErrors()
    patches = _resolve_patches(order, plan, errors)
    cancels = _expand_with_addons(order, [p for p in (_find(order, r, errors) for r in plan.cancels) if p])
    splits = _expand_with_addons(order, [p for p in (_find(order, r, errors) for r in plan.splits) if p])
    _check_overlaps(order, patches, cancels, splits, plan, errors)
    history: dict = {}
    messages: list[str] = []
    changed = []
    for position, body in patches:
        with errors.check(f"position.{position.positionid}", _label(position)):
            diff = patch_position(order, position, body)
            if diff:
                changed.append({"position": position.positionid, **diff})
                messages.append(T_("%(part)s: %(changes)s.", part=_label(position), changes=_diff_text(diff)))
    for position in cancels:
        position.canceled = True
    created = _create(order, plan, cancels, splits, errors)
    fee_changes = _change_fees(order, plan, errors)
    errors.raise_if_any()
    currency = order.event.currency
    if changed:
        history["changed"] = changed
    if cancels:
        history["canceled"] = [{"position": p.positionid, "product": p.item.name, "price": p.price,
                                "addon_to": p.addon_to.positionid if p.addon_to else None} for p in cancels]
        messages.append(T_("%(tickets)s canceled.", tickets=_tickets(cancels)))
    if created:
        history["added"] = [{"position": p.positionid, "product": p.item.name, "price": p.price,
                             "seat": p.seat.name if p.seat else None,
                             "addon_to": p.addon_to.positionid if p.addon_to else None} for p in created]
        messages.extend(T_("New ticket %(number)s: %(item)s, %(price)s %(currency)s.", number=p.positionid,
                           item=p.item.name, price=p.price, currency=currency) for p in created)
    if fee_changes:
        history["fees"] = fee_changes
        messages.extend(_fee_message(f) for f in fee_changes)
    if plan.recalculate_taxes:
        history["taxes_recalculated"] = {"mode": plan.recalculate_taxes,
                                         "parts": recalculate_taxes(order, plan.recalculate_taxes)}
        messages.append(T_("Taxes recalculated, keeping the net prices.") if plan.recalculate_taxes == "keep_net"
                        else T_("Taxes recalculated, keeping the gross prices."))
    if not (history or splits):
        raise Invalid(T_("Nothing to change: every value given is the ticket's or fee's current one."),
                      code="nothing_to_change")
    return _Applied(cancels, splits, created, history, messages)


def _diff_text(diff: dict) -> str:
    def shown(value):
        if value is None:
            return "—"
        return value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, datetime) else str(value)
    return "; ".join(f"{k.replace('_', ' ')} {shown(v['old'])} → {shown(v['new'])}" for k, v in diff.items())


def _tickets(positions: list[OrderPosition]) -> str:
    numbers = ", ".join(str(p.positionid) for p in positions)
    return T_("Tickets %(numbers)s", numbers=numbers) if len(positions) > 1 else T_("Ticket %(number)s", number=numbers)


def _fee_message(change: dict) -> str:
    if change.get("canceled"):
        return T_("Fee %(fee)s (%(type)s) canceled.", fee=change['fee'], type=change['type'])
    value = change["value"]
    return T_("Fee %(fee)s (%(type)s): %(old)s → %(new)s.", fee=change['fee'], type=change['type'], old=value['old'],
              new=value['new'])


def _resolve_patches(order: Order, plan, errors: PartErrors) -> list[tuple[OrderPosition, dict]]:
    patches, seen = [], set()
    for ref, body in plan.patches:
        position = _find(order, ref, errors)
        if position is None:
            continue
        if position.id in seen:
            errors.add(f"position.{position.positionid}", _label(position), T_("it is changed twice in one change."),
                       "duplicate")
        seen.add(position.id)
        patches.append((position, body))
    return patches


def _expand_with_addons(order: Order, chosen: list[OrderPosition]) -> list[OrderPosition]:
    """The chosen tickets and the add-ons of each: add-ons follow their parent."""
    result = []
    for position in chosen:
        for p in [position, *[a for a in order.positions if a.addon_to_id == position.id]]:
            if p not in result:
                result.append(p)
    return sorted(result, key=lambda p: p.positionid)


def _check_overlaps(order: Order, patches, cancels, splits, plan, errors: PartErrors) -> None:
    for position, _body in patches:
        if position in cancels:
            errors.add(f"position.{position.positionid}", _label(position),
                       T_("it is canceled in this change, so it cannot be changed as well."), "conflicting_parts")
    for position in splits:
        if position in cancels:
            errors.add(f"position.{position.positionid}", _label(position),
                       T_("it cannot be canceled and split off at once."), "conflicting_parts")
        parent = position.addon_to
        if parent is not None and parent not in splits:
            errors.add(f"position.{position.positionid}", _label(position),
                       T_("it is an add-on to ticket %(parent)s: split ticket %(parent)s to move it along.",
                          parent=parent.positionid), "addon_split")


def _create(order: Order, plan, cancels, splits, errors: PartErrors) -> list[OrderPosition]:
    created = []
    for i, body in enumerate(plan.creates, 1):
        with errors.check(f"create.{i}", T_("New ticket %(number)s", number=i)):
            position = create_position(order, body, next_positionid(order))
            created.append(position)
            parent = position.addon_to
            if parent is not None and (parent in cancels or parent in splits):
                message = (T_("ticket %(parent)s it belongs to is canceled in this change.", parent=parent.positionid)
                           if parent in cancels else
                           T_("ticket %(parent)s it belongs to is split off in this change.", parent=parent.positionid))
                raise Invalid(message,
                              code="addon_to_invalid", field="addon_to")
    return created


def _change_fees(order: Order, plan, errors: PartErrors) -> list[dict]:
    changes, touched = [], set()
    for ref, value in plan.fee_values:
        with errors.check(f"fee.{str(ref)[:20]}", fee_label(ref)):
            fee = find_fee(order, ref)
            if fee.id in touched:
                raise Invalid(T_("It is changed twice in one change."), code="duplicate", field="value")
            touched.add(fee.id)
            changes.append(set_fee_value(fee, value))
    for ref in plan.fee_cancels:
        with errors.check(f"fee.{str(ref)[:20]}", fee_label(ref)):
            fee = find_fee(order, ref)
            if fee.id in touched:
                raise Invalid(T_("It cannot be changed and canceled at once."), code="conflicting_parts", field="fee")
            touched.add(fee.id)
            fee.canceled = True
            changes.append({"fee": fee.id, "type": fee.fee_type, "canceled": True, "value": fee.value})
    return changes


# --- invoice ------------------------------------------------------------------------------------------

def _invoices(order: Order, split: Split | None, *, reissue: bool, had_invoice: bool, actor: Actor,
              now: datetime) -> tuple[tuple | None, tuple | None]:
    """003's reissue_invoice: the order's invoice is canceled and a new one issued; a split
    order gets its own invoice when the original had one (as pretix does). Returns (number,
    total) of the canceled invoice and of the new one. In a preview this runs too, inside the
    savepoint, so that the preview can show the new invoice; its numbers are given back."""
    from . import invoices
    canceled = issued = None
    if reissue and had_invoice:
        cancellation, new = invoices.reissue_invoice(order, actor=actor, now=now)
        if cancellation is not None:
            original = next(i for i in order.invoices if i.id == cancellation.refers_id)
            canceled = (original.number, invoices.total(original))
        if new is not None:
            issued = (new.number, invoices.total(new))
    if split is not None and had_invoice and invoices.refusal(split.order) is None:
        invoices.create_invoice(split.order, actor=actor, now=now)
    return canceled, issued
