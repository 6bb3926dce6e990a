"""Orders: lists per event and per organizer, the detail page, and one POST route per action.

Every action answers an htmx request with the partial it changed (the same template the detail
page includes) and, on refusal, the same partial with the message next to the button (422).
A plain form post (no JavaScript) is answered with a redirect back to the order and a message.
Approve and deny also sit in the rows of the order lists: a form there sends `list_url`, and the
same route answers with that row instead (or redirects back to the list).
"""
from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

from flask import (Blueprint, abort, flash, g, redirect, render_template, request,
                   url_for)
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ..domain import audit, order_fields, order_queries, orders, parsing, secrets
from ..domain.errors import DomainError, FieldErrors, Invalid, NotFound
from ..domain.models import Event, Item, ItemVariation, OrderStatus, SubEvent
from ..domain.order_queries import STATUSES, OrderFilters, OrderRow
from ..domain.permissions import Permission, visible_event_ids
from ..domain.names import scheme_fields
from ..domain.providers import PROVIDERS, provider_name
from ..extensions import db
from .access import current_actor, require
from .csv_export import csv_response
from .errors import is_htmx
from .listing import ListArgs

bp = Blueprint("orders", __name__)

BOOLEAN_FILTERS = ("testmode", "require_approval")
MOMENT_FILTERS = ("subevent_after", "subevent_before", "created_since", "created_before", "modified_since")
FILTER_LABELS = {
    "code": "Code", "status": "Status", "search": "Search", "email": "Email", "customer": "Customer",
    "item": "Product", "variation": "Variation", "subevent": "Date", "subevent_after": "Date after",
    "subevent_before": "Date before", "testmode": "Test mode", "require_approval": "Requires approval",
    "locale": "Locale", "sales_channel": "Sales channel", "payment_provider": "Payment provider",
    "created_since": "Created since", "created_before": "Created before", "modified_since": "Modified since",
    "include_canceled_positions": "With canceled positions", "include_canceled_fees": "With canceled fees",
}


@bp.app_template_global("customer_url")
def customer_url(customer) -> str | None:
    """Link to a customer's page in the back office."""
    if customer is None:
        return None
    return url_for("customers.detail", organizer=customer.organizer.slug, identifier=customer.identifier)


@bp.app_template_global("provider_name")
def _provider_name(identifier: str) -> str:
    return provider_name(identifier)


@bp.app_template_global("name_fields")
def _name_fields(scheme: str) -> list[tuple[str, str]]:
    return scheme_fields(scheme)


@bp.app_template_global("order_detail_url")
def order_detail_url(order) -> str:
    return url_for("orders.detail", organizer=order.event.organizer.slug, event=order.event.slug, code=order.code)


@bp.app_template_global("order_allows")
def order_allows(order, action: str) -> bool:
    """Whether the order's state allows `action`: the rule is the domain's, templates only ask."""
    return action in orders.allowed_actions(order)


# --- lists -------------------------------------------------------------------------------------------

def read_filters(args: ListArgs) -> OrderFilters:
    return OrderFilters(
        code=args.text("code"),
        status=args.choices("status", STATUSES),
        search=args.text("search"),
        email=args.text("email"),
        customer=args.text("customer"),
        item=args.integer("item"),
        variation=args.integer("variation"),
        subevent=args.integer("subevent"),
        subevent_after=args.moment("subevent_after"),
        subevent_before=args.moment("subevent_before"),
        testmode=args.boolean("testmode"),
        require_approval=args.boolean("require_approval"),
        locale=args.text("locale"),
        sales_channel=args.text("sales_channel"),
        payment_provider=args.choice("payment_provider", PROVIDERS),
        created_since=args.moment("created_since"),
        created_before=args.moment("created_before"),
        modified_since=args.moment("modified_since"),
        include_canceled_positions=bool(args.boolean("include_canceled_positions")),
        include_canceled_fees=bool(args.boolean("include_canceled_fees")),
    )


def _chips(f: OrderFilters, organizer) -> list[tuple[str, str]]:
    from .templating import url_with
    chips = []
    names = list(f.active())
    names += [n for n in ("include_canceled_positions", "include_canceled_fees") if getattr(f, n)]
    for name in names:
        value = getattr(f, name)
        if name == "status":
            shown = ", ".join(OrderStatus.LABELS[s] for s in value)
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        elif name in ("item", "variation", "subevent"):
            shown = _chip_object_name(name, value, organizer)
        elif name == "payment_provider":
            shown = provider_name(value)
        else:
            shown = request.args.get(name, str(value))
        chips.append((f"{FILTER_LABELS[name]}: {shown}", url_with(**{name: None})))
    return chips


def _chip_object_name(name: str, object_id: int, organizer) -> str:
    """The product, variation or date a filter points at, by name; only this organizer's."""
    from .templating import localtime
    if not 0 < object_id < 2 ** 63:
        return f"unknown ({object_id})"
    of_organizer = Event.organizer_id == organizer.id
    if name == "item":
        row = db.session.execute(select(Item.name).join(Event, Event.id == Item.event_id)
                                 .where(Item.id == object_id, of_organizer)).first()
        shown = row and row.name
    elif name == "variation":
        row = db.session.execute(select(Item.name, ItemVariation.value).join(Item, Item.id == ItemVariation.item_id)
                                 .join(Event, Event.id == Item.event_id)
                                 .where(ItemVariation.id == object_id, of_organizer)).first()
        shown = row and f"{row.name} – {row.value}"
    else:
        row = db.session.execute(select(SubEvent.name, SubEvent.date_from, Event.timezone)
                                 .join(Event, Event.id == SubEvent.event_id)
                                 .where(SubEvent.id == object_id, of_organizer)).first()
        shown = row and f"{row.name}, {localtime(row.date_from, row.timezone)}"
    return shown or f"unknown ({object_id})"


def _event_ids(organizer, event: Event | None) -> list[int] | None:
    if event is not None:
        return [event.id]
    return visible_event_ids(g.teams, organizer, Permission.VIEW_ORDERS)


def _list_response(organizer, event: Event | None):
    args = ListArgs(request.args, tz=event.timezone if event else organizer.timezone)
    f = read_filters(args)
    ordering = order_queries.clean_ordering(request.args.get("sort"))
    page = order_queries.list_page(_event_ids(organizer, event), organizer.id, f, ordering, args.page())
    context = dict(event=event, page=page, filters=f, sort=ordering, chips=_chips(f, organizer), notices=args.notices,
                   statuses=OrderStatus.LABELS, providers=PROVIDERS, items=_items(event),
                   subevents=_subevents(event), clear_url=request.base_url,
                   list_url=request.full_path.rstrip("?"), export_url=_export_url(organizer, event))
    if is_htmx() and not request.headers.get("HX-History-Restore-Request"):
        # links in the list (chips, sort, pages) swap filter bar and table; the filter bar the table
        whole_list = request.headers.get("HX-Target") == "order-list"
        return render_template("orders/_list.html" if whole_list else "orders/_table.html", **context)
    return render_template("orders/list.html", **context)


def _export_url(organizer, event: Event | None) -> str:
    """The CSV of exactly the list on screen: the same filters and sort, all pages."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    if event is None:
        return url_for("orders.organizer_export", organizer=organizer.slug, **args)
    return url_for("orders.event_export", organizer=organizer.slug, event=event.slug, **args)


def _items(event: Event | None) -> list[Item]:
    return list(event.items) if event is not None else []


def _subevents(event: Event | None) -> list[SubEvent]:
    return list(event.subevents) if event is not None and event.has_subevents else []


def _csv_response(organizer, event: Event | None):
    args = ListArgs(request.args, tz=event.timezone if event else organizer.timezone)
    f = read_filters(args)
    ordering = order_queries.clean_ordering(request.args.get("sort"))
    rows = order_queries.csv_rows(_event_ids(organizer, event), organizer.id, f, ordering)

    return csv_response(f"orders-{organizer.slug}{'-' + event.slug if event else ''}.csv", rows)


@bp.get("/<organizer>/orders/")
@require(Permission.VIEW_ORDERS)
def organizer_list(organizer):
    return _list_response(organizer, None)


@bp.get("/<organizer>/orders/export.csv")
@require(Permission.VIEW_ORDERS)
def organizer_export(organizer):
    return _csv_response(organizer, None)


@bp.get("/<organizer>/events/<event>/orders/")
@require(Permission.VIEW_ORDERS)
def event_list(organizer, event):
    return _list_response(organizer, event)


@bp.get("/<organizer>/events/<event>/orders/export.csv")
@require(Permission.VIEW_ORDERS)
def event_export(organizer, event):
    return _csv_response(organizer, event)


# --- detail -------------------------------------------------------------------------------------------

def _load(event: Event, code: str):
    order = order_queries.load_order_for_detail(event, code)
    if order is None:
        abort(404)
    return order


def _context(order, **extra) -> dict:
    return dict(order=order, event=order.event, totals=orders.totals(order),
                actions=orders.allowed_actions(order), likely=orders.likely_action(order),
                seen=order.last_modified.isoformat(), entries=audit.history(order),
                order_url=orders.order_url(order), form=request.form if request.method == "POST" else {},
                today=date.today().isoformat(), **extra)


@bp.get("/<organizer>/events/<event>/orders/<code>/")
@require(Permission.VIEW_ORDERS)
def detail(organizer, event, code):
    order = _load(event, code)
    return render_template("orders/detail.html", **_context(order))


# --- actions -----------------------------------------------------------------------------------------

# The regions of the detail page; an action swaps the one it changed and refreshes the others out
# of band, so that every form on the page carries the order's new last_modified.
REGIONS = {
    "summary": "orders/_summary.html",
    "details": "orders/_details.html",
    "invoice_address": "orders/_invoice_address.html",
    "positions": "orders/_positions.html",
    "payments": "orders/_payments.html",
}
FORCE_HINT = {"mark_paid": "mark it as paid", "extend": "extend it"}


def _error_message(error: DomainError, action: str) -> str:
    if error.code == "quota_exceeded" and action in FORCE_HINT:
        return f"{error.message} Tick 'Overbook anyway' to {FORCE_HINT[action]} regardless."
    return error.message


def _respond(event: Event, code: str, region: str, *, action: str, message: str | None = None,
             error: DomainError | None = None):
    list_url = _list_url()
    if list_url is not None:
        return _respond_in_list(event, code, list_url, action=action, message=message, error=error)
    if not is_htmx():
        if error is not None:
            flash(_error_message(error, action), "danger")
        elif message:
            flash(message, "success")
        return redirect(url_for("orders.detail", organizer=event.organizer.slug, event=event.slug, code=code), 303)
    order = _load(event, code)
    context = _context(order, message=message, error=_error_message(error, action) if error else None,
                       error_action=action, error_field=getattr(error, "field", None),
                       error_fields=getattr(error, "errors", None) or {})
    html = render_template(REGIONS[region], **context)
    if error is not None:
        return Markup(html), 422
    others = [render_template(t, oob=True, **context) for name, t in REGIONS.items() if name != region]
    others.append(render_template("orders/_history_oob.html", **context))
    return Markup(html + "".join(others)), 200


# --- actions started from a row of an order list ----------------------------------------------------

def _list_url() -> str | None:
    """The list page a row action was sent from; only a path on this site, never another host."""
    target = request.form.get("list_url") or ""
    if not target.startswith("/") or target.startswith("//") or "\\" in target or urlsplit(target).netloc:
        return None
    return target


def _respond_in_list(event: Event, code: str, list_url: str, *, action: str, message: str | None,
                     error: DomainError | None):
    text = _row_error_message(error, code, action) if error is not None else None
    if not is_htmx():
        flash(text or message, "danger" if error is not None else "success")
        return redirect(list_url, 303)
    organizer_wide = urlsplit(list_url).path == url_for("orders.organizer_list", organizer=event.organizer.slug)
    html = render_template("orders/_row.html", row=_list_row(event, code, list_url), list_url=list_url,
                           event=None if organizer_wide else event, message=message, error=text)
    return Markup(html), 422 if error is not None else 200


def _row_error_message(error: DomainError, code: str, action: str) -> str:
    # The refused row is re-rendered with the order's current state, so "reload" is already done.
    if error.code == "stale":
        return (f"Order {code} was changed by someone else in the meantime. "
                "The row now shows its current state.")
    return _error_message(error, action)


def _list_row(event: Event, code: str, list_url: str) -> OrderRow:
    """The order's row as the list shows it, counting canceled parts as the list's filters say."""
    args = ListArgs(MultiDict(parse_qsl(urlsplit(list_url).query)))
    f = OrderFilters(code=code,
                     include_canceled_positions=bool(args.boolean("include_canceled_positions")),
                     include_canceled_fees=bool(args.boolean("include_canceled_fees")))
    page = order_queries.list_page([event.id], event.organizer_id, f, order_queries.clean_ordering(None))
    if not page.items:
        abort(404)
    return page.items[0]


def _run(event: Event, code: str, action: str, partial: str, change):
    """Run one domain action for the order `code`; commit on success, roll back on refusal."""
    order = _get_or_404(event, code)
    try:
        message = change(order)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        return _respond(event, code, partial, action=action, error=e)
    return _respond(event, code, partial, action=action, message=message)


def _get_or_404(event: Event, code: str):
    try:
        return orders.get_order(event, code)
    except NotFound:
        abort(404)


def _seen() -> str | None:
    return request.form.get("seen") or None


def _checked(name: str) -> bool:
    return request.form.get(name) in ("on", "true", "1", "yes")


def _email_note(order, sent: bool) -> str:
    return f" — email sent to {order.email}" if sent and order.email else ""


def _action_route(name: str, partial: str = "summary"):
    def decorator(view):
        endpoint = view.__name__
        url = f"/<organizer>/events/<event>/orders/<code>/{name}"
        return bp.post(url, endpoint=endpoint)(require(Permission.CHANGE_ORDERS)(view))
    return decorator


@_action_route("mark_paid")
def mark_paid(organizer, event, code):
    send = _checked("send_email")

    def change(order):
        order = orders.mark_paid(order, actor=current_actor(), send_email=send, force=_checked("force"),
                                 seen_last_modified=_seen())
        return f"Order {order.code} marked as paid{_email_note(order, send)}."
    return _run(event, code, "mark_paid", "summary", change)


@_action_route("cancel")
def cancel(organizer, event, code):
    send = _checked("send_email")

    def change(order):
        order = orders.cancel_order(order, actor=current_actor(), send_email=send,
                                    comment=request.form.get("comment"),
                                    cancellation_fee=(request.form.get("cancellation_fee") or "").strip() or None,
                                    seen_last_modified=_seen())
        what = "canceled" if order.status == OrderStatus.CANCELED else "canceled, keeping the cancellation fee"
        return f"Order {order.code} {what}{_email_note(order, send)}."
    return _run(event, code, "cancel", "summary", change)


@_action_route("reactivate")
def reactivate(organizer, event, code):
    def change(order):
        order = orders.reactivate_order(order, actor=current_actor(), seen_last_modified=_seen())
        return f"Order {order.code} reactivated: it is {OrderStatus.LABELS[order.status]} now."
    return _run(event, code, "reactivate", "summary", change)


@_action_route("mark_pending")
def mark_pending(organizer, event, code):
    def change(order):
        order = orders.mark_pending(order, actor=current_actor(), seen_last_modified=_seen())
        return f"Order {order.code} marked as pending."
    return _run(event, code, "mark_pending", "summary", change)


@_action_route("mark_expired")
def mark_expired(organizer, event, code):
    def change(order):
        order = orders.mark_expired(order, actor=current_actor(), seen_last_modified=_seen())
        return f"Order {order.code} marked as expired."
    return _run(event, code, "mark_expired", "summary", change)


def _date_field(name: str, label: str) -> date:
    day = parsing.parse_date(request.form.get(name), label=label, field=name)
    if day is None:
        raise Invalid(f"Enter the {label} as a date (YYYY-MM-DD).", code="date_invalid", field=name)
    return day


@_action_route("extend")
def extend(organizer, event, code):
    def change(order):
        until = _date_field("until", "new payment deadline")
        order = orders.extend_order(order, until=until, force=_checked("force"), actor=current_actor(),
                                    seen_last_modified=_seen())
        return f"Payment deadline of order {order.code} set to {until.isoformat()} (end of day)."
    return _run(event, code, "extend", "summary", change)


@_action_route("approve")
def approve(organizer, event, code):
    send = _checked("send_email")

    def change(order):
        order = orders.approve_order(order, actor=current_actor(), send_email=send, seen_last_modified=_seen())
        return f"Order {order.code} approved{_email_note(order, send)}."
    return _run(event, code, "approve", "summary", change)


@_action_route("deny")
def deny(organizer, event, code):
    send = _checked("send_email")

    def change(order):
        order = orders.deny_order(order, actor=current_actor(), send_email=send, comment=request.form.get("comment"),
                                  seen_last_modified=_seen())
        return f"Order {order.code} denied{_email_note(order, send)}."
    return _run(event, code, "deny", "summary", change)


@_action_route("regenerate_secrets")
def regenerate_secrets(organizer, event, code):
    def change(order):
        order = secrets.regenerate_secrets(order, actor=current_actor(), seen_last_modified=_seen())
        return f"New order link and ticket secrets for {order.code}; the old ones no longer work."
    return _run(event, code, "regenerate_secrets", "summary", change)


@_action_route("resend_link")
def resend_link(organizer, event, code):
    def change(order):
        orders.resend_link(order, actor=current_actor())
        return f"Order link sent to {order.email}."
    return _run(event, code, "resend_link", "summary", change)


@_action_route("delete")
def delete(organizer, event, code):
    order = _get_or_404(event, code)
    try:
        orders.delete_order(order, actor=current_actor(), seen_last_modified=_seen())
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        return _respond(event, code, "summary", action="delete", error=e)
    flash(f"Test-mode order {code} deleted.", "success")
    target = url_for("orders.event_list", organizer=organizer.slug, event=event.slug)
    if is_htmx():
        return "", 200, {"HX-Redirect": target}
    return redirect(target, 303)


def _local_date(moment, tz: str) -> date:
    from zoneinfo import ZoneInfo
    return moment.astimezone(ZoneInfo(tz)).date()


@_action_route("fields", partial="details")
def edit_fields(organizer, event, code):
    def change(order):
        form = request.form
        followup = (form.get("custom_followup_at") or "").strip()
        fields = {}
        errors = FieldErrors()  # bad dates are reported together with the domain's refusals
        with errors.check("expires"):
            expires = _date_field("expires", "payment deadline")
            if expires != _local_date(order.expires, event.timezone):
                fields["expires"] = expires  # a date means the end of that day, as for extend
        with errors.check("custom_followup_at"):
            fields["custom_followup_at"] = _date_field("custom_followup_at", "follow-up date") if followup else None
        with errors.check("fields"):
            order_fields.update_order_fields(
                order, actor=current_actor(), seen_last_modified=_seen(),
                email=form.get("email", ""), phone=form.get("phone", ""), locale=form.get("locale", order.locale),
                comment=form.get("comment", ""), checkin_attention=_checked("checkin_attention"),
                checkin_text=form.get("checkin_text", ""), valid_if_pending=_checked("valid_if_pending"),
                **fields)
        errors.raise_if_any()  # the transaction is rolled back: nothing of a refused form is saved
        return "Order details saved."
    return _run(event, code, "fields", "details", change)


@_action_route("invoice_address", partial="invoice_address")
def edit_invoice_address(organizer, event, code):
    def change(order):
        form = request.form
        data = {name: form.get(name, "") for name in order_fields.ADDRESS_FIELDS}
        data["is_business"] = _checked("is_business")
        data["name_parts"] = {key[len("name_"):]: value for key, value in form.items()
                              if key.startswith("name_") and key != "name_parts"}
        order_fields.set_invoice_address(order, actor=current_actor(), data=data, seen_last_modified=_seen())
        return "Invoice address saved."
    return _run(event, code, "invoice_address", "invoice_address", change)


@_action_route("invoice_address/remove", partial="invoice_address")
def remove_invoice_address(organizer, event, code):
    def change(order):
        order_fields.remove_invoice_address(order, actor=current_actor(), seen_last_modified=_seen())
        return "Invoice address removed."
    return _run(event, code, "remove_invoice_address", "invoice_address", change)
