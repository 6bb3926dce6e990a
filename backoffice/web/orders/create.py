"""The "New order" page of an event: tickets taken by hand at the box office or on the phone,
and complimentary ones. The form reads products, quantities and one block of attendee fields
per ticket; order_create.create_order decides. A refusal shows the whole form again as typed
(422), each message next to its field; success opens the new order.

htmx makes the form faster, not possible: changing a quantity re-renders the attendee part,
changing the date also the availability (the same POST with `refresh`, which without JavaScript
is the "Show ticket fields" button); the customer search answers with matches to pick.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ...domain import customer_queries, order_create, orders, parsing, positions, providers
from ...domain.errors import DomainError, Invalid
from ...domain.models import Customer, Event, OrderStatus, SubEvent, utcnow
from ...domain.names import scheme_fields
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ...i18n import translated
from ..access import can, current_actor, require
from ..errors import is_htmx
from ..templating import money
from . import bp, order_detail_url

NEW_URL = "/<organizer>/events/<event>/orders/new"
MAX_QUANTITY = 50
CHOICE_TYPES = ("C", "M")
ADDRESS_FIELDS = ("company", "street", "zipcode", "city", "country", "state", "vat_id", "internal_reference")
CUSTOMER_MATCHES = 8


@dataclass
class Slot:
    """One ticket of the form: `key` names its fields (t<line>_<n>-…), `number` is its ticket number."""
    key: str
    line: order_create.ProductLine
    number: int = 0
    parent: str | None = None


@dataclass
class Draft:
    """The form as typed: the date, quantities per product line and the tickets they make."""
    subevent: SubEvent | None
    lines: list[order_create.ProductLine]
    quantities: dict[str, int]
    slots: list[Slot]
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def mains(self) -> list[Slot]:
        return [s for s in self.slots if not s.line.item.is_addon]


def _subevent(event: Event, form) -> SubEvent | None:
    if not event.has_subevents:
        return None
    try:
        subevent_id = parsing.parse_id(form.get("subevent"))
    except Invalid:
        return None
    return db.session.scalar(select(SubEvent).where(SubEvent.id == subevent_id, SubEvent.event_id == event.id)) \
        if subevent_id else None


def read_draft(event: Event, form) -> Draft:
    subevent = _subevent(event, form)
    draft = Draft(subevent, order_create.product_lines(event, subevent), {}, [])
    for line in draft.lines:
        name = f"qty_{line.key}"
        try:
            quantity = parsing.parse_integer(form.get(name), minimum=0, maximum=MAX_QUANTITY,
                                             label=T_("number of '%(name)s'", name=line.item.name), field=name) or 0
        except Invalid as e:
            draft.problems[name] = e.message
            quantity = 0
        draft.quantities[line.key] = quantity
        draft.slots += [Slot(f"t{line.key}_{n}", line) for n in range(1, quantity + 1)]
    _number(draft, form)
    return draft


def _number(draft: Draft, form) -> None:
    """Ticket numbers as the order will have them: each ticket followed by its add-ons (003)."""
    mains = [s.key for s in draft.mains]
    for slot in draft.slots:
        if slot.line.item.is_addon:
            chosen = form.get(f"{slot.key}-addon_to")
            slot.parent = chosen if chosen in mains else (mains[0] if mains and chosen is None else None)
    ordered = []
    for main in draft.mains:
        ordered += [main] + [s for s in draft.slots if s.parent == main.key]
    ordered += [s for s in draft.slots if s.line.item.is_addon and s.parent is None]
    for number, slot in enumerate(ordered, start=1):
        slot.number = number
    draft.slots = ordered


def _positions(event: Event, draft: Draft, form) -> list[dict]:
    questions = positions.questions_by_item({s.line.item.id for s in draft.slots}, active_only=True)
    numbers = {s.key: s.number for s in draft.slots}
    result = []
    for slot in draft.slots:
        k = slot.key
        entry = {"positionid": slot.number, "item": slot.line.item.id,
                 "variation": slot.line.variation.id if slot.line.variation else None,
                 "subevent": draft.subevent.id if draft.subevent else (form.get("subevent") or None),
                 "seat": form.get(f"{k}-seat") or None, "price": form.get(f"{k}-price") or None,
                 "addon_to": numbers.get(slot.parent) if slot.parent else None,
                 "attendee_email": form.get(f"{k}-attendee_email", ""),
                 "attendee_name_parts": {key: form.get(f"{k}-name_{key}", "")
                                         for key, _ in scheme_fields(event.organizer.name_scheme)},
                 "answers": [_answer(form, k, q) for q in questions[slot.line.item.id]]}
        result.append(entry)
    return result


def _answer(form, key: str, question) -> dict:
    """003's answer from the ticket's field (several values for a multiple choice)."""
    name = f"{key}-answer_{question.id}"
    if question.type in CHOICE_TYPES:
        return {"question": question.id, "options": form.getlist(name)}
    return {"question": question.id, "answer": form.get(name, "")}


def _invoice_address(event: Event, form) -> dict | None:
    data = {name: form.get(f"ia_{name}", "") for name in ADDRESS_FIELDS}
    parts = {key: form.get(f"ia_name_{key}", "") for key, _ in scheme_fields(event.organizer.name_scheme)}
    if not any(v.strip() for v in [*data.values(), *parts.values()]):
        return None
    return {**data, "name_parts": parts, "is_business": _checked(form, "ia_is_business")}


def _checked(form, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


# --- where a refusal's messages go ---------------------------------------------------------------------

def place_errors(error: DomainError, draft: Draft) -> dict[str, str]:
    """The domain's field names as the form's: a ticket's field next to that ticket, a quota
    shortage above the products, an invoice address field in the address."""
    by_number = {s.number: s for s in draft.slots}
    placed: dict[str, str] = {}
    for name, message in (error.errors or {"general": error.message}).items():
        placed.setdefault(_form_field(name, by_number), message)
    return placed


def _form_field(name: str, by_number: dict[int, Slot]) -> str:
    if name.startswith("positions."):
        _, index, what = (name.split(".", 2) + [""])[:3]
        slot = by_number.get(int(index) + 1) if index.isdigit() else None
        if slot is None:
            return "products"
        if what in ("item", "variation"):
            return f"qty_{slot.line.key}"
        if what == "subevent":
            return "subevent"
        if what == "attendee_name_parts":
            return f"{slot.key}-name"
        if what == "positionid":
            return f"{slot.key}-addon_to"
        return f"{slot.key}-{what}"
    if name == "positions":
        return "products"
    if name.startswith("invoice_address."):
        what = name.split(".", 1)[1]
        return "ia_name" if what == "name_parts" else f"ia_{what}"
    return name


# --- the page -------------------------------------------------------------------------------------------

def page_context(event: Event, form, draft: Draft, problems: dict[str, str] | None = None) -> dict:
    problems = {**draft.problems, **(problems or {})}
    customer = _chosen_customer(event, form.get("customer"))
    address_open = any(k.startswith("ia_") for k in problems) or _invoice_address(event, form) is not None
    return dict(event=event, form=form, draft=draft, problems=problems, anchors=_anchors(event, problems),
                address_open=address_open,
                deadline=orders.new_deadline(SimpleNamespace(event=event), utcnow()),
                questions=positions.questions_by_item({s.line.item.id for s in draft.slots}, active_only=True),
                seats=_seats(event, draft), customer=customer, query=_customer_query(form),
                matches=_customer_matches(event, _customer_query(form), customer),
                providers=[p for p in event.payment_providers or [] if p in providers.PROVIDERS
                           and p != providers.FREE],
                has_addons=any(line.item.is_addon for line in draft.lines),
                show_customers=can(Permission.VIEW_CUSTOMERS, event))


def _anchors(event: Event, problems: dict[str, str]) -> dict[str, str]:
    """The id of the input each message of the summary links to."""
    first = scheme_fields(event.organizer.name_scheme)[0][0]
    anchors = {}
    for name in problems:
        if name == "products":
            anchors[name] = "new-order-products"
        elif name.endswith("-name") or name == "ia_name":
            anchors[name] = f"{name}_{first}"
        elif name == "customer":
            anchors[name] = "customer-matches"
        elif name == "status":
            anchors[name] = "status-pending"
        elif name != "general":
            anchors[name] = name
    return anchors


def _seats(event: Event, draft: Draft) -> list:
    if not any(s.line.item.requires_seat for s in draft.slots):
        return []
    return order_create.free_seats(event, draft.subevent)


def _chosen_customer(event: Event, identifier) -> Customer | None:
    if not identifier or not isinstance(identifier, str) or len(identifier) > 20 or not can(Permission.VIEW_CUSTOMERS):
        return None
    return db.session.scalar(select(Customer).where(Customer.organizer_id == event.organizer_id,
                                                    Customer.identifier == identifier.upper(),
                                                    Customer.anonymized_at.is_(None)))


def _defaults(event: Event) -> MultiDict:
    """What a new form starts with: pending, confirmation mail on, the organizer's first language."""
    return MultiDict({"status": OrderStatus.PENDING, "send_email": "on", "payment_provider": "boxoffice",
                      "locale": (event.organizer.locales or ["en"])[0], "testmode": "on" if event.testmode else ""})


@bp.route(NEW_URL, methods=["GET", "POST"], endpoint="create")
@require(Permission.CHANGE_ORDERS)
def create(organizer, event):
    if request.method == "GET":
        form = _defaults(event)
        return render_template("orders/new.html", **page_context(event, form, read_draft(event, form)))
    form = request.form
    draft = read_draft(event, form)
    if form.get("refresh"):
        return _refreshed(event, form, draft)
    try:
        if draft.problems:
            raise Invalid(" ".join(draft.problems.values()), code="invalid_fields", errors=draft.problems)
        order = _create(event, form, draft)
        message = _success_message(order, form)
        url = order_detail_url(order)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        draft = read_draft(event, form)
        return render_template("orders/new.html", **page_context(event, form, draft, place_errors(e, draft))), 422
    flash(translated(message), "success")
    return redirect(url, 303)


def _refreshed(event: Event, form, draft: Draft):
    """The form for the quantities (and date) chosen, nothing created: with htmx the attendee
    part (and the availability, when the date changed), without it the whole page."""
    context = page_context(event, form, draft)
    if not is_htmx():
        return render_template("orders/new.html", **context)
    html = render_template("orders/_new_attendees.html", **context)
    if request.headers.get("HX-Trigger-Name") == "subevent":
        html += render_template("orders/_new_products.html", oob=True, **context)
    return Markup(html)


def _create(event: Event, form, draft: Draft):
    customer = form.get("customer") or None
    if customer and not can(Permission.VIEW_CUSTOMERS, event):
        raise Invalid(T_("You may not see customers, so you cannot link the order to one."), code="forbidden",
                      field="customer")
    status = form.get("status") or OrderStatus.PENDING
    return order_create.create_order(
        event, actor=current_actor(), positions=_positions(event, draft, form), email=form.get("email", ""),
        phone=form.get("phone", ""), locale=form.get("locale") or None, customer=customer,
        invoice_address=_invoice_address(event, form), status=status,
        payment_provider=form.get("payment_provider") if status == OrderStatus.PAID else None,
        send_email=_checked(form, "send_email"), comment=form.get("comment", ""), sales_channel="backoffice",
        testmode=_checked(form, "testmode"))


def _success_message(order, form) -> str:
    """The message after creating an order, in the page's language (it is flashed)."""
    tickets = len(order.positions)
    status = translated(OrderStatus.LABELS[order.status])
    if order.status == OrderStatus.PAID and order.payments:
        status += f" ({translated(providers.provider_name(order.payments[0].provider))})"
    details = dict(code=order.code, count=tickets, total=money(order.total, order.event.currency), status=status)
    if tickets == 1:
        text = translated(T_("Order %(code)s created: %(count)s ticket, %(total)s, %(status)s", **details))
    else:
        text = translated(T_("Order %(code)s created: %(count)s tickets, %(total)s, %(status)s", **details))
    if _checked(form, "send_email") and order.email:
        text += translated(T_(" — confirmation sent to %(email)s", email=order.email))
    return text + "."


@bp.get(NEW_URL + "/customers", endpoint="create_customers")
@require(Permission.CHANGE_ORDERS)
def create_customers(organizer, event):
    """Customers matching the search box, to link the new order to one of them."""
    if not can(Permission.VIEW_CUSTOMERS, event):
        abort(403)
    query = _customer_query(request.args)
    chosen = _chosen_customer(event, request.args.get("customer"))
    return render_template("orders/_new_customer.html", matches=_customer_matches(event, query, chosen),
                           customer=chosen, query=query, event=event, form=request.args, problems={})


def _customer_query(form) -> str:
    return (form.get("customer_q") or "").strip()[:200]


def _customer_matches(event: Event, query: str, chosen: Customer | None) -> list[Customer]:
    """The chosen customer first, then the search's matches (the customer search of the list)."""
    matches = [chosen] if chosen else []
    if query and can(Permission.VIEW_CUSTOMERS, event):
        filters = customer_queries.CustomerFilters(query=query, anonymized=False)
        stmt = customer_queries.customers_statement(event.organizer, filters, with_tags=False).limit(CUSTOMER_MATCHES)
        matches += [c for c in db.session.scalars(stmt) if c is not chosen]
    return matches
