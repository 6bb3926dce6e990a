"""The tickets of an event (003's order position list) with its filters and CSV export, and the
event's revoked and blocked secrets, as scanners read them.

Secrets are shown as on the order page: shortened, the whole value copied on click (staff
need it for scanners); the CSV carries it whole, as the export of the list on screen.
"""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from ..domain import order_queries, position_queries, secrets_queries
from ..domain.models import Event, Item, ItemVariation, OrderStatus, SubEvent
from ..domain.permissions import Permission
from ..domain.position_queries import STATUSES, PositionFilters
from ..extensions import db
from ..i18n import N_, translated
from .access import require
from .csv_export import csv_response
from .errors import is_htmx
from .listing import ListArgs

bp = Blueprint("tickets", __name__)

FILTER_LABELS = {
    "search": N_("Search"), "order": N_("Order"), "item": N_("Product"), "variation": N_("Variation"),
    "subevent": N_("Date"), "status": N_("Order status"), "has_checkin": N_("Checked in"),
    "addon_to": N_("Add-on to ticket"), "voucher": N_("Voucher id"), "voucher_code": N_("Voucher"),
    "customer": N_("Customer"), "attendee_name": N_("Attendee (exact)"), "secret": N_("Secret"),
    "pseudonymization_id": N_("Pseudonymization id"), "include_canceled_positions": N_("With canceled tickets"),
}
#: filters under "More filters": the details element opens when one of them is set
MORE_FILTERS = ("order", "variation", "customer", "voucher_code", "voucher", "secret", "pseudonymization_id",
                "addon_to", "attendee_name")


def read_filters(args: ListArgs) -> PositionFilters:
    return PositionFilters(
        search=args.text("search"),
        order=args.text("order"),
        item=args.integers("item"),
        variation=args.integers("variation"),
        subevent=args.integers("subevent"),
        status=args.choices("status", STATUSES),
        has_checkin=args.boolean("has_checkin"),
        addon_to=args.integers("addon_to"),
        voucher=args.integer("voucher"),
        voucher_code=args.text("voucher_code"),
        customer=args.text("customer"),
        attendee_name=args.text("attendee_name"),
        secret=args.text("secret"),
        pseudonymization_id=args.text("pseudonymization_id"),
        include_canceled_positions=bool(args.boolean("include_canceled_positions")),
    )


def _chips(f: PositionFilters, event: Event) -> list[tuple[str, str]]:
    from .templating import url_with
    chips = []
    names = list(f.active()) + (["include_canceled_positions"] if f.include_canceled_positions else [])
    for name in names:
        value = getattr(f, name)
        if name == "status":
            shown = ", ".join(translated(OrderStatus.LABELS[s]) for s in value)
        elif isinstance(value, bool):
            shown = gettext("yes") if value else gettext("no")
        elif name in ("item", "variation", "subevent"):
            shown = ", ".join(_object_name(name, v, event) for v in value)
        elif isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = str(value)
        chips.append((f"{translated(FILTER_LABELS[name])}: {shown}", url_with(**{name: None})))
    return chips


def _object_name(name: str, object_id: int, event: Event) -> str:
    """The product, variation or date a filter points at, by name; only this event's."""
    from .templating import localtime
    if name == "item":
        shown = db.session.scalar(select(Item.name).where(Item.id == object_id, Item.event_id == event.id))
    elif name == "variation":
        row = db.session.execute(select(Item.name, ItemVariation.value).join(Item, Item.id == ItemVariation.item_id)
                                 .where(ItemVariation.id == object_id, Item.event_id == event.id)).first()
        shown = row and f"{row.name} – {row.value}"
    else:
        row = db.session.execute(select(SubEvent.name, SubEvent.date_from)
                                 .where(SubEvent.id == object_id, SubEvent.event_id == event.id)).first()
        shown = row and f"{row.name}, {localtime(row.date_from, event.timezone)}"
    return shown or gettext("unknown (%(id)s)", id=object_id)


def _export_url(organizer, event: Event) -> str:
    """The CSV of exactly the list on screen: the same filters and sort, all pages."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    return url_for("tickets.ticket_export", organizer=organizer.slug, event=event.slug, **args)


@bp.get("/<organizer>/events/<event>/tickets/")
@require(Permission.VIEW_ORDERS)
def ticket_list(organizer, event):
    args = ListArgs(request.args, tz=event.timezone)
    f = read_filters(args)
    ordering = position_queries.clean_ordering(request.args.get("sort"))
    page = position_queries.list_page(event.id, f, ordering, args.page())
    suggestions = (order_queries.order_suggestions([event.id], organizer.id, f.search)
                   if f.search and not page.total else [])
    context = dict(event=event, page=page, filters=f, sort=ordering, chips=_chips(f, event), notices=args.notices,
                   suggestions=suggestions, statuses=OrderStatus.LABELS, items=list(event.items),
                   subevents=list(event.subevents) if event.has_subevents else [],
                   clear_url=request.base_url, export_url=_export_url(organizer, event),
                   more_open=any(request.args.get(n) for n in MORE_FILTERS))
    if is_htmx() and not request.headers.get("HX-History-Restore-Request"):
        # links in the list (chips, sort, pages) swap filter bar and table; the filter bar the table
        whole_list = request.headers.get("HX-Target") == "ticket-list"
        return render_template("tickets/_list.html" if whole_list else "tickets/_table.html", **context)
    return render_template("tickets/list.html", **context)


@bp.get("/<organizer>/events/<event>/tickets/export.csv")
@require(Permission.VIEW_ORDERS)
def ticket_export(organizer, event):
    f = read_filters(ListArgs(request.args, tz=event.timezone))
    ordering = position_queries.clean_ordering(request.args.get("sort"))
    rows = position_queries.csv_rows(event.id, f, ordering)
    return csv_response(f"tickets-{organizer.slug}-{event.slug}.csv", rows)


# --- revoked and blocked secrets -------------------------------------------------------------------

def _secrets_response(template: str, **context):
    if is_htmx() and not request.headers.get("HX-History-Restore-Request"):
        whole_list = request.headers.get("HX-Target") == "secret-list"
        return render_template("tickets/_secrets_list.html" if whole_list else "tickets/_secrets_table.html",
                               **context)
    return render_template(template, **context)


@bp.get("/<organizer>/events/<event>/secrets/revoked/")
@require(Permission.VIEW_ORDERS)
def revoked_secrets(organizer, event):
    args = ListArgs(request.args, tz=event.timezone)
    created_since = args.moment("created_since")
    ordering = secrets_queries.clean_revoked_ordering(request.args.get("sort"))
    page = secrets_queries.revoked_page(event.id, created_since, ordering, args.page())
    chips = _since_chips("created_since", gettext("Revoked since"), created_since)
    return _secrets_response("tickets/revoked.html", event=event, page=page, sort=ordering, kind="revoked",
                             chips=chips, notices=args.notices, clear_url=request.base_url)


@bp.get("/<organizer>/events/<event>/secrets/blocked/")
@require(Permission.VIEW_ORDERS)
def blocked_secrets(organizer, event):
    from .templating import url_with
    args = ListArgs(request.args, tz=event.timezone)
    blocked = args.boolean("blocked")
    updated_since = args.moment("updated_since")
    page = secrets_queries.blocked_page(event.id, blocked, updated_since, args.page())
    chips = _since_chips("updated_since", gettext("Updated since"), updated_since)
    if blocked is not None:
        chips.insert(0, (f"{gettext('Blocked')}: {gettext('yes') if blocked else gettext('no')}",
                         url_with(blocked=None)))
    return _secrets_response("tickets/blocked.html", event=event, page=page, kind="blocked", blocked=blocked,
                             chips=chips, notices=args.notices, clear_url=request.base_url)


def _since_chips(name: str, label: str, value) -> list[tuple[str, str]]:
    from .templating import url_with
    if value is None:
        return []
    return [(f"{label}: {request.args.get(name)}", url_with(**{name: None}))]
