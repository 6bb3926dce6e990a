"""Emails staff write to one order's buyer or to one customer.

Subject and text may use placeholders such as ``{code}``; they are filled in from a fixed set
of plain values per kind of object (never from attributes), so nothing but those values can get
into a mail: no login token, no other field of the order. A literal brace is written twice
(``{{`` and ``}}``), as in Python's str.format.

The mail goes through the outbox with its order or customer as object, so it is listed in that
object's mail history and visible to whoever may see that object.
"""
from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_currency

from . import audit, orders, tx
from .audit import Actor
from .customer_fields import clean_email
from .errors import FieldErrors, Invalid, NotFound
from .models import Customer, Order, OutboxEmail
from .texts import T_

MAX_SUBJECT = 200
MAX_TEXT = 10_000
TEMPLATE = "staff_message"
ORDER = "order"
CUSTOMER = "customer"

#: the placeholders of each kind of object, with what they stand for (shown as help in the form)
PLACEHOLDERS: dict[str, dict[str, str]] = {
    ORDER: {
        "code": "the order code",
        "event": "the event's name",
        "name": "the name on the invoice address, else the first attendee's name, else \"customer\"",
        "url": "the link to the customer's order page",
        "total": "the order total with its currency",
        "open_amount": "what is still to pay, with its currency",
    },
    CUSTOMER: {
        "name": "the customer's name, else \"customer\"",
        "email": "the customer's email address",
        "identifier": "the customer's identifier",
    },
}
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class Rendered:
    to: str
    subject: str
    body: str


# --- the values ----------------------------------------------------------------------------------

def _money(amount: Decimal, currency: str) -> str:
    return format_currency(amount, currency, locale="en_US")


def _order_name(order: Order) -> str:
    address = order.invoice_address
    if address is not None and address.name:
        return address.name
    first = next((p for p in order.positions if p.attendee_name), None)
    return first.attendee_name if first is not None else "customer"


def order_values(order: Order) -> dict[str, str]:
    """The values of an order's placeholders; the order link is the one the buyer already has."""
    totals = orders.totals(order)
    currency = order.event.currency
    return {"code": order.code, "event": order.event.name, "name": _order_name(order),
            "url": orders.order_url(order), "total": _money(totals.total, currency),
            "open_amount": _money(max(totals.open, Decimal("0.00")), currency)}


def customer_values(customer: Customer) -> dict[str, str]:
    # no password or activation link here: such a link is a login, sent only by its own action
    return {"name": customer.name or "customer", "email": customer.email or "",
            "identifier": customer.identifier}


def values_of(obj: Order | Customer) -> dict[str, str]:
    return order_values(obj) if isinstance(obj, Order) else customer_values(obj)


# --- checking and filling in ---------------------------------------------------------------------

def _placeholder_list(kind: str) -> str:
    return ", ".join("{" + name + "}" for name in PLACEHOLDERS[kind])


def _shown(text: str, limit: int = 40) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "…"


def fill(template: str, values: dict[str, str], kind: str, *, field: str, label: str) -> str:
    """`template` with each {name} replaced by its value. Only bare names are placeholders:
    attribute access ({code.x}), indexes ({code[0]}), conversions ({code!r}) and format specs
    ({total:>99}) are refused, so a template can neither reach into objects nor blow up a mail."""
    try:
        parts = list(_FORMATTER.parse(template))
    except ValueError:
        raise Invalid(T_("The %(label)s has a lone { or }. Write {{ or }} for a brace itself, or use a "
                         "placeholder: %(placeholders)s.", label=label, placeholders=_placeholder_list(kind)),
                      code="placeholder_invalid", field=field) from None
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        written = "{" + name + ("!" + conversion if conversion else "") + (":" + spec if spec else "") + "}"
        if conversion or spec or not name.isidentifier():
            raise Invalid(T_("The %(label)s has %(written)s: placeholders are plain names such as {code}, "
                             "without dots, brackets or formats. Use %(placeholders)s.",
                             label=label, written=_shown(written), placeholders=_placeholder_list(kind)),
                          code="placeholder_invalid", field=field)
        if name not in values:
            raise Invalid(T_("Unknown placeholder %(written)s in the %(label)s: use %(placeholders)s.",
                             written=_shown(written), label=label, placeholders=_placeholder_list(kind)),
                          code="placeholder_unknown", field=field)
        out.append(values[name])
    return "".join(out)


def _single_line(text: str) -> str:
    """A subject is one header line: values filled into it lose their line breaks and controls."""
    return "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text).strip()


def _check_subject(subject) -> str:
    subject = subject.strip() if isinstance(subject, str) else ""
    if not subject:
        raise Invalid(T_("Enter a subject."), code="subject_required", field="subject")
    if len(subject) > MAX_SUBJECT:
        raise Invalid(T_("The subject may be at most %(max_subject)s characters long (it has %(length)s).",
                         max_subject=MAX_SUBJECT, length=f"{len(subject):,}"),
                      code="too_long", field="subject")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in subject):
        raise Invalid(T_("The subject must be a single line, without line breaks or control characters."),
                      code="subject_not_one_line", field="subject")
    return subject


def _check_text(text) -> str:
    text = text if isinstance(text, str) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise Invalid(T_("Enter the text of the email."), code="text_required", field="text")
    if len(text) > MAX_TEXT:
        raise Invalid(T_("The text may be at most %(max_text)s characters long (it has %(length)s).",
                         max_text=f"{MAX_TEXT:,}", length=f"{len(text):,}"),
                      code="too_long", field="text")
    if "\x00" in text:
        raise Invalid(T_("The text contains a NUL character; remove it."), code="text_invalid", field="text")
    bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"), None)
    if bad is not None:
        raise Invalid(T_("The text contains the control character U+%(character)s; remove it.",
                         character=f"{ord(bad):04X}"),
                      code="text_invalid", field="text")
    return text


def render(subject, text, obj: Order | Customer) -> tuple[str, str]:
    """(subject, body) as the recipient will read them; Invalid names every refused field."""
    kind = ORDER if isinstance(obj, Order) else CUSTOMER
    values = values_of(obj)
    errors = FieldErrors()
    rendered = {"subject": "", "text": ""}
    with errors.check("subject"):
        filled = _single_line(fill(_check_subject(subject), values, kind, field="subject", label=T_("subject")))
        if len(filled) > MAX_SUBJECT:
            raise Invalid(T_("With the placeholders filled in, the subject is %(length)s characters long; "
                             "it may be at most %(max_subject)s.", length=f"{len(filled):,}", max_subject=MAX_SUBJECT),
                          code="too_long", field="subject")
        rendered["subject"] = filled
    with errors.check("text"):
        rendered["text"] = fill(_check_text(text), values, kind, field="text", label=T_("text")).strip()
    errors.raise_if_any()
    return rendered["subject"], rendered["text"]


# --- recipients ----------------------------------------------------------------------------------

def order_recipient(order: Order, to=None) -> str:
    """`to` when given (checked as one address), else the order's email address."""
    if to is not None and (not isinstance(to, str) or to.strip()):
        try:
            return clean_email(to)
        except Invalid as e:
            raise Invalid(e.message, code=e.code, field="to") from None
    if not order.email:
        raise Invalid(T_("Order %(code)s has no email address: enter the address to write to.", code=order.code),
                      code="no_email", field="to")
    return order.email


def customer_recipient(customer: Customer) -> str:
    if customer.is_anonymized:
        raise Invalid(T_("This customer was anonymized; there is nobody to write to any more."),
                      code="customer_anonymized")
    if not customer.email:
        raise Invalid(T_("This customer has no email address to write to."), code="no_email")
    return customer.email


def preview_order(order: Order, *, subject, text, to=None) -> Rendered:
    """What send_to_order would send, without sending it."""
    errors = FieldErrors()
    recipient = ""
    with errors.check("to"):
        recipient = order_recipient(order, to)
    with errors.check("text"):
        subject, text = render(subject, text, order)
    errors.raise_if_any()
    return Rendered(recipient, subject, text)


def preview_customer(customer: Customer, *, subject, text) -> Rendered:
    recipient = customer_recipient(customer)
    subject, text = render(subject, text, customer)
    return Rendered(recipient, subject, text)


# --- sending -------------------------------------------------------------------------------------

def _queue(obj: Order | Customer, mail: Rendered, organizer_id: int) -> OutboxEmail:
    from ..mail import queue_mail
    return queue_mail(to=mail.to, template=TEMPLATE, context={"subject": mail.subject, "body": mail.body},
                      organizer_id=organizer_id, obj=obj)


def send_to_order(order: Order, *, actor: Actor, subject, text, to=None) -> OutboxEmail:
    """Queue a written email about `order` (to its email address unless `to` is given).

    As with resending the order link, the order itself does not change: no lock, and its
    last_modified stays, so pages open elsewhere do not turn stale because a mail went out.
    """
    mail = preview_order(order, subject=subject, text=text, to=to)
    queued = _queue(order, mail, order.event.organizer_id)
    # the subject, not the body: the history says what was written about, the outbox has the text
    audit.log(actor, order, "order.email_sent", data={"to": mail.to, "subject": mail.subject})
    return queued


def send_to_customer(customer: Customer, *, actor: Actor, subject, text) -> OutboxEmail:
    """Queue a written email to a customer. The row is locked first, so that a mail cannot slip
    past an anonymization running at the same moment (which erases the mails about the customer)."""
    locked = tx.lock(Customer, customer.id)
    if locked is None:
        raise NotFound(T_("There is no customer with this identifier."), code="customer_not_found")
    mail = preview_customer(locked, subject=subject, text=text)
    queued = _queue(locked, mail, locked.organizer_id)
    audit.log(actor, locked, "customer.email_sent", data={"to": mail.to, "subject": mail.subject})
    return queued
