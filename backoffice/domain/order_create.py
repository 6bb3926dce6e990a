"""Creating an order: taken by hand at the box office or on the phone, complimentary, or sent
through seed 003's order create, which uses the same function and its names and defaults.

Everything is checked first (order_create_input) and every bad field reported at once (per
ticket as `positions.<index>.<field>`). Then, inside the lock, quotas and seats are counted and
the order is written in the caller's transaction: all or nothing. The lock is the quota and
seat rows the tickets need (PostgreSQL `FOR UPDATE`; SQLite's write transaction), so two staff
selling the last ticket at once are served one after the other and the second is refused with
the quota named, never oversold.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from ..extensions import db
from . import audit, codes, providers
from .audit import Actor
from .availability import Need, quota_ids_for, quota_available, seats_taken, shortages
from .errors import FieldErrors, Invalid
from .models import (Event, InvoiceAddress, Item, ItemVariation, Order, OrderFee, OrderPayment, OrderPosition,
                     OrderStatus, PaymentState, Quota, Seat, SubEvent, utcnow)
from .order_create_input import (Fee, Ticket, clean_boolean, on_ticket, clean_customer, clean_fees, clean_header,
                                 clean_invoice_address, clean_positions, new_code)
from .orders import ZERO, queue_order_mail, new_deadline
from .positions import build_position, default_price, recompute_total, tax_included
from .texts import T_, joined

PREVIEW_CODE = "PREVIEW"


def create_order(event: Event, *, actor: Actor, positions: list[dict], email: Any = None, phone: Any = None,
                 locale: Any = None, customer: Any = None, invoice_address: dict | None = None,
                 fees: list[dict] | None = None, status: str | None = None, payment_provider: str | None = None,
                 payment_date: Any = None, payment_info: Any = None, send_email: bool = False,
                 comment: Any = None, sales_channel: Any = "web", testmode: bool = False,
                 require_approval: bool = False, valid_if_pending: bool = False, checkin_attention: bool = False,
                 checkin_text: Any = None, custom_followup_at: Any = None, code: Any = None, force: bool = False,
                 simulate: bool = False, now: datetime | None = None) -> Order:
    """Create an order of `event` with `positions` (003's POST of orders).

    Defaults as 003: pending for orders that cost something, paid for free ones; a ticket's price
    from its product when missing; a paid order gets a confirmed payment (`free` for a zero
    total, else the provider given, which must be enabled for the event), a pending one a
    payment deadline from the event's payment term. `force` overbooks quotas. `send_email`
    (default false, as 003) queues the confirmation. `simulate` checks everything and returns
    the order it would create (code PREVIEW) without writing anything.
    """
    now = now or utcnow()
    stand_in = SimpleNamespace(event=event)  # the order field cleaners only read order.event
    errors = FieldErrors()
    header = clean_header(event, stand_in, errors, email=email, phone=phone, locale=locale, comment=comment,
                           checkin_text=checkin_text, custom_followup_at=custom_followup_at,
                           sales_channel=sales_channel, code=code, payment_date=payment_date,
                           payment_info=payment_info, now=now)
    flags = {}
    for name, value in (("testmode", testmode), ("require_approval", require_approval),
                        ("valid_if_pending", valid_if_pending), ("checkin_attention", checkin_attention),
                        ("force", force), ("send_email", send_email), ("simulate", simulate)):
        with errors.check(name):
            flags[name] = clean_boolean(value, name)
    with errors.check("customer"):
        header["customer"] = clean_customer(event, customer)
    with errors.check("invoice_address"):
        header["invoice_address"] = clean_invoice_address(invoice_address, stand_in)
    tickets = clean_positions(event, positions, errors)
    cleaned_fees = clean_fees(event, fees, tickets, errors)
    # the total of what was valid: enough to tell the status and provider refusals at once with the others
    total = sum((t.price for t in tickets), ZERO) + sum((f.value for f in cleaned_fees), ZERO)
    with errors.check("fees"):
        if total < ZERO:
            raise Invalid(T_("The order total cannot be negative (%(total)s).",
                             total=total), code="total_negative", field="fees")
    with errors.check("status"):
        status, provider = _status_and_provider(event, status, payment_provider, total, flags.get("require_approval"))
    errors.raise_if_any()
    _ensure_unique_secrets(event, tickets)
    _ensure_available(event, tickets, flags["force"])
    if flags["simulate"]:
        return _simulated(event, header, flags, tickets, cleaned_fees, status, now)
    order = _write(event, header, flags, tickets, cleaned_fees, status, now)
    payment = _record_payment(order, status, provider, header, now)
    audit.log(actor, order, "order.created", data={
        "status": order.status, "total": order.total, "positions": len(tickets), "fees": len(cleaned_fees),
        "payment_provider": payment.provider if payment else None, "sales_channel": order.sales_channel,
        "customer": order.customer.identifier if order.customer else None, "testmode": order.testmode,
        "require_approval": order.require_approval, "overbooked": flags["force"],
        "email_sent": bool(flags["send_email"] and order.email)})
    if flags["send_email"]:
        queue_order_mail(order, "order_placed")
    return order


# --- status, payment, availability -------------------------------------------------------------------

def _status_and_provider(event: Event, status, provider, total: Decimal,
                         require_approval: bool) -> tuple[str, str | None]:
    """003: status n or p, by default paid exactly when free. A paid order that costs something
    needs a provider enabled for the event; a paid zero total is paid through `free` (nothing
    went through any other provider, and there is nothing to refund)."""
    if status in (None, ""):
        status = OrderStatus.PAID if total == ZERO and not require_approval else OrderStatus.PENDING
    if status not in (OrderStatus.PENDING, OrderStatus.PAID):
        raise Invalid(T_("A new order is either pending (n) or paid (p)."), code="status_invalid", field="status")
    if status == OrderStatus.PAID and require_approval:
        raise Invalid(T_("An order that requires approval cannot be created as paid."), code="status_invalid",
                      field="status")
    if status == OrderStatus.PAID and total == ZERO:
        return status, providers.FREE
    if provider in (None, ""):
        if status == OrderStatus.PAID:
            raise Invalid(T_("Choose the payment provider through which the order was paid."), code="provider_missing",
                          field="payment_provider")
        return status, None
    identifier = str(provider).strip()[:50]
    if identifier not in providers.PROVIDERS:
        raise Invalid(T_("'%(identifier)s' is not a payment provider this back office knows.",
                         identifier=identifier[:40]),
                      code="provider_unknown", field="payment_provider")
    if identifier not in (event.payment_providers or []):
        raise Invalid(T_("%(provider)s is not enabled for %(name)s.",
                         provider=providers.provider_name(identifier), name=event.name),
                      code="provider_disabled", field="payment_provider")
    if identifier == providers.FREE:
        raise Invalid(T_("The order costs %(total)s: it cannot be paid as a free order.",
                         total=total), code="provider_invalid",
                      field="payment_provider")
    return status, identifier


def _ensure_unique_secrets(event: Event, tickets: list[Ticket]) -> None:
    given = [t for t in tickets if t.secret]
    if not given:
        return
    seen: set[str] = set()
    used = set(db.session.scalars(select(OrderPosition.secret).join(Order, Order.id == OrderPosition.order_id)
                                  .where(Order.event_id == event.id,
                                         OrderPosition.secret.in_([t.secret for t in given]))))
    errors = FieldErrors()
    for ticket in given:
        with errors.check(f"positions.{ticket.index}.secret"):
            if ticket.secret in used or ticket.secret in seen:
                raise Invalid(T_("Ticket %(number)s: this secret is already used by another ticket.",
                                 number=ticket.index + 1),
                              code="secret_taken", field=f"positions.{ticket.index}.secret")
        seen.add(ticket.secret)
    errors.raise_if_any()


def _ensure_available(event: Event, tickets: list[Ticket], force: bool) -> None:
    """Count quotas and seats with their rows locked (availability.shortages); a taken or
    blocked seat is refused next to its ticket, a short quota by name."""
    needs = [Need(t.item.id, t.variation.id if t.variation else None, t.subevent.id if t.subevent else None,
                  t.seat.id if t.seat else None) for t in tickets]
    errors = FieldErrors()
    by_seat: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        if ticket.seat is not None:
            by_seat.setdefault(ticket.seat.id, []).append(ticket)
    for same in by_seat.values():
        for ticket in same[1:]:
            with errors.check(f"positions.{ticket.index}.seat"):
                raise Invalid(T_("Ticket %(number)s: seat %(name)s is already chosen for ticket %(other)s.",
                                 number=ticket.index + 1, name=ticket.seat.name, other=same[0].index + 1),
                              code="seat_taken", field=f"positions.{ticket.index}.seat")
    errors.raise_if_any()
    problems = shortages(event.id, needs)
    if not problems or force:
        return
    taken = seats_taken(list(by_seat))
    said = set()
    for seat_id, (ticket, *_rest) in by_seat.items():
        seat = ticket.seat
        sentence = (T_("Seat %(name)s is blocked by the organizer and cannot be sold.",
                       name=seat.name) if seat.blocked
                    else T_("Seat %(name)s is no longer available.", name=seat.name) if seat_id in taken else None)
        if sentence:
            said.add(sentence)
            with errors.check(f"positions.{ticket.index}.seat"):
                raise Invalid(on_ticket(ticket.index + 1, sentence), code="seat_taken",
                              field=f"positions.{ticket.index}.seat")
    rest = [p for p in problems if p not in said]
    if rest:
        with errors.check("positions"):
            raise Invalid(joined(rest), code="quota_exceeded", field="positions")
    errors.raise_if_any()


# --- writing ------------------------------------------------------------------------------------------

def _write(event: Event, header: dict, flags: dict, tickets: list[Ticket], fees: list[Fee], status: str,
           now: datetime) -> Order:
    order = Order(event=event, code=header["code"] or new_code(event), secret=codes.order_secret(), status=status,
                  testmode=flags["testmode"], email=header["email"], phone=header["phone"],
                  customer=header["customer"], locale=header["locale"], sales_channel=header["sales_channel"],
                  datetime=now, last_modified=now, total=ZERO, comment=header["comment"] or "",
                  custom_followup_at=header["custom_followup_at"], checkin_attention=flags["checkin_attention"],
                  checkin_text=header["checkin_text"], require_approval=flags["require_approval"],
                  valid_if_pending=flags["valid_if_pending"], api_meta={})
    order.expires = new_deadline(order, now)
    db.session.add(order)
    built: dict[int, OrderPosition] = {}
    for ticket in tickets:
        built[ticket.positionid] = build_position(
            order, positionid=ticket.positionid, item=ticket.item, variation=ticket.variation,
            subevent=ticket.subevent, seat=ticket.seat, price=ticket.price,
            addon_to=built.get(ticket.addon_to) if ticket.addon_to else None, cleaned=ticket.cleaned,
            secret=ticket.secret, valid_from=ticket.valid_from, valid_until=ticket.valid_until)
    for fee in fees:
        rate = fee.tax_rule.rate if fee.tax_rule is not None else ZERO
        db.session.add(OrderFee(order=order, fee_type=fee.fee_type, value=fee.value, description=fee.description,
                                internal_type=fee.internal_type, tax_rule_id=fee.tax_rule.id if fee.tax_rule else None,
                                tax_rate=rate, tax_value=tax_included(fee.value, rate)))
    if header["invoice_address"] is not None:
        db.session.add(InvoiceAddress(order=order, last_modified=now, **header["invoice_address"]))
    db.session.flush()
    db.session.expire(order, ["all_positions", "all_fees"])
    recompute_total(order)
    return order


def _record_payment(order: Order, status: str, provider: str | None, header: dict,
                    now: datetime) -> OrderPayment | None:
    """003: a confirmed payment for a paid order, a created one for a pending order with a provider."""
    if provider is None:
        return None
    paid = status == OrderStatus.PAID
    payment = OrderPayment(order=order, local_id=1, amount=order.total, provider=provider, created=now,
                           state=PaymentState.CONFIRMED if paid else PaymentState.CREATED,
                           payment_date=(header["payment_date"] or now) if paid else None,
                           details=header["payment_info"])
    db.session.add(payment)
    db.session.flush()
    return payment


def _simulated(event: Event, header: dict, flags: dict, tickets: list[Ticket], fees: list[Fee], status: str,
               now: datetime) -> Order:
    """003's dry run: the order as it would be created, code PREVIEW, nothing written."""
    savepoint = db.session.begin_nested()
    try:
        header = {**header, "code": PREVIEW_CODE}
        order = _write(event, header, flags, tickets, fees, status, now)
        preview = {"total": order.total, "positions": list(order.positions), "fees": list(order.fees)}
    finally:
        savepoint.rollback()
    order.total = preview["total"]
    return order


# --- what the form offers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductLine:
    """A product (or one of its variations) as the new-order form offers it, with what is left.

    `free` is the smallest number left in its quotas; None when no quota limits it."""
    item: Item
    variation: ItemVariation | None
    free: int | None
    quotas: tuple[tuple[str, int | None], ...]

    @property
    def key(self) -> str:
        return f"{self.item.id}_{self.variation.id}" if self.variation is not None else str(self.item.id)

    @property
    def price(self) -> Decimal:
        return default_price(self.item, self.variation)


def product_lines(event: Event, subevent: SubEvent | None) -> list[ProductLine]:
    """The event's active products and variations with live availability for `subevent`
    (counted as availability counts them, each quota once)."""
    free_by_quota: dict[int, tuple[str, int | None]] = {}
    lines = []
    for item in event.items:
        if not item.active:
            continue
        for variation in [v for v in item.variations if v.active] or ([None] if not item.variations else []):
            need = Need(item.id, variation.id if variation else None, subevent.id if subevent else None)
            quotas = []
            for quota_id in quota_ids_for(event.id, need):
                if quota_id not in free_by_quota:
                    quota = db.session.get(Quota, quota_id)
                    free_by_quota[quota_id] = (quota.name, quota_available(quota))
                quotas.append(free_by_quota[quota_id])
            sized = [free for _name, free in quotas if free is not None]
            lines.append(ProductLine(item, variation, min(sized) if sized else None, tuple(quotas)))
    return lines


def free_seats(event: Event, subevent: SubEvent | None, limit: int = 2000) -> list[Seat]:
    """Seats of the event (date) that are neither blocked nor taken, by name."""
    stmt = (select(Seat).where(Seat.event_id == event.id, Seat.blocked.is_(False),
                               Seat.subevent_id.is_(None) if subevent is None else Seat.subevent_id == subevent.id)
            .order_by(Seat.name).limit(limit))
    seats = list(db.session.scalars(stmt))
    taken = seats_taken([s.id for s in seats])
    return [s for s in seats if s.id not in taken]
