"""Which tickets may be downloaded, by whom, and sending one ticket to its attendee (seed 003's
order and order position downloads).

Two audiences, one rule each:
- Customers (the order's secret link, or an attendee's ticket link) get a ticket only when the
  event has ticket downloads on and the order is paid, or pending while the event allows
  downloads for pending orders and the order is not awaiting approval. Canceled tickets, add-ons
  and products without admission have no ticket, and a blocked ticket is refused too (scanners
  would refuse it at the door; the message tells the customer to contact the organizer).
- Staff (who may view the order) may print every ticket that could still admit someone: not
  canceled, an admission product, not an add-on, whatever the payment state or the event's
  download setting, e.g. to hand it out at the box office.

The ticket's secret is printed as its QR code: the PDF is the ticket itself, so only those who
hold the order's secret link, the ticket's own link, or staff access ever get one.
"""
from __future__ import annotations

import hmac

from sqlalchemy import select

from ..extensions import db
from . import audit, orders, positions
from .audit import Actor
from .errors import Forbidden, Invalid, NotFound
from .models import Event, Order, OrderPosition, OrderStatus, Organizer
from .texts import T_

PDF = "pdf"
#: the ticket outputs (003's `output`): their name and the file type they produce
OUTPUTS = {PDF: "application/pdf"}


# --- the rules ------------------------------------------------------------------------------------

def ensure_output(output: str) -> str:
    """The output's name; NotFound for outputs that do not exist (003: 404)."""
    if output not in OUTPUTS:
        shown = (output or "")[:40]
        raise NotFound(T_("There is no ticket output '%(shown)s'. Available: %(outputs)s.",
                          shown=shown, outputs=', '.join(OUTPUTS)),
                       code="output_not_found")
    return output


def order_refusal(order: Order, *, staff: bool = False) -> str | None:
    """Why no ticket of `order` may be downloaded now, or None when its tickets may be."""
    label, _style = orders.status_label(order)
    if order.status == OrderStatus.CANCELED or orders.canceled_with_fee(order):
        return T_("Order %(code)s is %(status)s: its tickets are no longer valid.", code=order.code, status=T_(label))
    if staff:
        return None
    event = order.event
    if not event.ticket_download:
        return T_("Tickets for %(name)s cannot be downloaded yet. The organizer will tell you when they can.",
                  name=event.name)
    if order.status == OrderStatus.PAID:
        return None
    if order.status == OrderStatus.EXPIRED:
        return T_("Order %(code)s expired without payment: its tickets cannot be downloaded.", code=order.code)
    if order.require_approval:
        return (T_("Order %(code)s is waiting for the organizer's approval: tickets can be downloaded "
                   "once it is approved.", code=order.code))
    if not event.ticket_download_pending:
        return T_("Order %(code)s is not paid yet: tickets can be downloaded once the payment has arrived.",
                  code=order.code)
    return None


def position_refusal(position: OrderPosition, *, staff: bool = False) -> str | None:
    """Why ticket `position` may not be downloaded now, or None when it may be."""
    reason = order_refusal(position.order, staff=staff)
    if reason is not None:
        return reason
    return _ticket_refusal(position, staff=staff)


def _ticket_refusal(position: OrderPosition, *, staff: bool) -> str | None:
    number = position.positionid
    if position.canceled:
        return T_("Ticket %(number)s was canceled: it is no longer valid.", number=number)
    if position.addon_to_id is not None:
        parent = position.addon_to.positionid if position.addon_to is not None else None
        if parent is not None:
            return T_("Ticket %(number)s (%(item)s) is an add-on to ticket %(parent)s: it comes with that ticket "
                      "and has no ticket of its own.", number=number, item=position.item.name, parent=parent)
        return T_("Ticket %(number)s (%(item)s) is an add-on: it comes with that ticket and has no "
                  "ticket of its own.", number=number, item=position.item.name)
    if not position.item.admission:
        return T_("Ticket %(number)s (%(item)s) does not admit anyone, so it has no ticket to download.",
                  number=number, item=position.item.name)
    if position.blocked and not staff:
        return T_("Ticket %(number)s is blocked. Please contact the organizer.", number=number)
    return None


def downloadable(position: OrderPosition, *, staff: bool = False) -> bool:
    return position_refusal(position, staff=staff) is None


def downloadable_positions(order: Order, *, staff: bool = False) -> list[OrderPosition]:
    """The tickets of `order` the audience may download, in ticket order (none when the order
    itself is refused)."""
    if order_refusal(order, staff=staff) is not None:
        return []
    return [p for p in order.all_positions if _ticket_refusal(p, staff=staff) is None]


def ensure_order_downloadable(order: Order, *, staff: bool = False) -> list[OrderPosition]:
    """The tickets that go into the order's download; Forbidden (003: 403) with the reason when
    there are none."""
    reason = order_refusal(order, staff=staff)
    if reason is not None:
        raise Forbidden(reason, code="download_unavailable")
    tickets = downloadable_positions(order, staff=staff)
    if not tickets:
        reasons = [_ticket_refusal(p, staff=staff) for p in order.all_positions]
        message = (T_("Order %(code)s has no ticket to download. %(reason)s", code=order.code, reason=reasons[0])
                   if len(reasons) == 1 else T_("Order %(code)s has no ticket to download.", code=order.code))
        raise Forbidden(message, code="download_unavailable")
    return tickets


def ensure_position_downloadable(position: OrderPosition, *, staff: bool = False) -> OrderPosition:
    reason = position_refusal(position, staff=staff)
    if reason is not None:
        raise Forbidden(reason, code="download_unavailable")
    return position


# --- the attendee's own link ------------------------------------------------------------------------

def attendee_ticket_path(position: OrderPosition) -> str:
    """The page of one ticket for its attendee: it holds the ticket's secret, so it shows that
    ticket and nothing else of the order (not the buyer's page, not the other attendees)."""
    event = position.order.event
    return f"/{event.organizer.slug}/{event.slug}/ticket/{position.order.code}/{position.positionid}/{position.secret}/"


def attendee_ticket_url(position: OrderPosition) -> str:
    from ..mail import absolute_url
    return absolute_url(attendee_ticket_path(position))


def _order_at(organizer: str, event: str, code: str) -> Order | None:
    return db.session.scalar(
        select(Order).join(Event, Event.id == Order.event_id).join(Organizer, Organizer.id == Event.organizer_id)
        .where(Organizer.slug == organizer, Event.slug == event, Order.code == code))


def find_order_by_link(organizer: str, event: str, code: str, secret: str) -> Order:
    """The order behind a customer's order link; NotFound for anything that does not match
    exactly, the same for every part, so the answer reveals nothing about which part was wrong."""
    order = _order_at(organizer, event, code)
    if order is None or not hmac.compare_digest(order.secret.encode(), secret.encode()):
        raise NotFound(T_("There is no such order."), code="order_not_found")
    return order


def find_attendee_ticket(organizer: str, event: str, code: str, positionid: str, secret: str) -> OrderPosition:
    """The ticket behind an attendee's ticket link (its own secret); NotFound, alike for every
    part, when anything does not match exactly."""
    missing = NotFound(T_("There is no such ticket."), code="ticket_not_found")
    order = _order_at(organizer, event, code)
    if order is None:
        raise missing
    try:
        position = positions.get_position(order, positionid)
    except NotFound:
        raise missing from None
    if not hmac.compare_digest(position.secret.encode(), secret.encode()):
        raise missing
    return position


# --- sending a ticket to its attendee -------------------------------------------------------------------

def resend_ticket_link(position: OrderPosition, *, actor: Actor) -> OrderPosition:
    """Email the attendee the link to their ticket. Refused when the ticket has no attendee email
    or the attendee could not download it now (they would only find the refusal)."""
    from ..mail import queue_mail
    order = position.order
    number = position.positionid
    if position.canceled:
        raise Invalid(T_("Ticket %(number)s was canceled: there is nothing to send.", number=number),
                      code="position_canceled")
    if not position.attendee_email:
        raise Invalid(T_("Ticket %(number)s has no attendee email address. Add one with 'Edit attendee' first.",
                         number=number), code="no_attendee_email")
    reason = position_refusal(position)
    if reason is not None:
        raise Invalid(T_("Ticket %(number)s cannot be sent to its attendee now: %(reason)s", number=number,
                         reason=reason), code="download_unavailable")
    queue_mail(to=position.attendee_email, template="ticket_link", organizer_id=order.event.organizer_id, obj=order,
               context=dict(order=order, event=order.event, position=position, url=attendee_ticket_url(position)))
    audit.log(actor, order, "position.ticket_link_sent", data={"position": position.positionid,
                                                               "to": position.attendee_email})
    return position
