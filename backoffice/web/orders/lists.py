"""Order lists per event and per organizer, their filters and CSV exports."""
from __future__ import annotations

from flask import g, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from ...domain import order_queries
from ...domain.models import Event, Item, ItemVariation, OrderStatus, SubEvent
from ...domain.order_queries import STATUSES, OrderFilters
from ...domain.permissions import Permission, visible_event_ids
from ...domain.providers import PROVIDERS, provider_name
from ...extensions import db
from ...i18n import N_, translated
from ..access import require
from ..csv_export import csv_response
from ..errors import is_htmx
from ..listing import ListArgs

from . import bp


BOOLEAN_FILTERS = ("testmode", "require_approval")
MOMENT_FILTERS = ("subevent_after", "subevent_before", "created_since", "created_before", "modified_since")
FILTER_LABELS = {
    "code": N_("Code"), "status": N_("Status"), "search": N_("Search"), "email": N_("Email"),
    "customer": N_("Customer"), "item": N_("Product"), "variation": N_("Variation"), "subevent": N_("Date"),
    "subevent_after": N_("Date after"), "subevent_before": N_("Date before"), "testmode": N_("Test mode"),
    "require_approval": N_("Requires approval"), "locale": N_("Locale"), "sales_channel": N_("Sales channel"),
    "payment_provider": N_("Payment provider"), "created_since": N_("Created since"),
    "created_before": N_("Created before"), "modified_since": N_("Modified since"),
    "include_canceled_positions": N_("With canceled positions"), "include_canceled_fees": N_("With canceled fees"),
}


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
    from ..templating import url_with
    chips = []
    names = list(f.active())
    names += [n for n in ("include_canceled_positions", "include_canceled_fees") if getattr(f, n)]
    for name in names:
        value = getattr(f, name)
        if name == "status":
            shown = ", ".join(translated(OrderStatus.LABELS[s]) for s in value)
        elif isinstance(value, bool):
            shown = gettext("yes") if value else gettext("no")
        elif name in ("item", "variation", "subevent"):
            shown = _chip_object_name(name, value, organizer)
        elif name == "payment_provider":
            shown = translated(provider_name(value))
        else:
            shown = request.args.get(name, str(value))
        chips.append((f"{translated(FILTER_LABELS[name])}: {shown}", url_with(**{name: None})))
    return chips


def _chip_object_name(name: str, object_id: int, organizer) -> str:
    """The product, variation or date a filter points at, by name; only this organizer's."""
    from ..templating import localtime
    if not 0 < object_id < 2 ** 63:
        return gettext("unknown (%(id)s)", id=object_id)
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
    return shown or gettext("unknown (%(id)s)", id=object_id)


def _event_ids(organizer, event: Event | None) -> list[int] | None:
    if event is not None:
        return [event.id]
    return visible_event_ids(g.teams, organizer, Permission.VIEW_ORDERS)


def _list_response(organizer, event: Event | None):
    args = ListArgs(request.args, tz=event.timezone if event else organizer.timezone)
    f = read_filters(args)
    ordering = order_queries.clean_ordering(request.args.get("sort"))
    event_ids = _event_ids(organizer, event)
    page = order_queries.list_page(event_ids, organizer.id, f, ordering, args.page())
    suggestions = (order_queries.order_suggestions(event_ids, organizer.id, f.search)
                   if f.search and not page.total else [])
    context = dict(event=event, page=page, filters=f, sort=ordering, chips=_chips(f, organizer), notices=args.notices,
                   suggestions=suggestions,
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
