"""Order lists (per event and organizer-wide) and one order (seed 003)."""
from __future__ import annotations

from datetime import datetime

from flask import jsonify

from ..domain import order_queries
from sqlalchemy.orm import selectinload

from ..domain.models import Event, Order, OrderPosition, Organizer, utcnow
from ..domain.order_queries import OrderFilters
from ..domain.permissions import Permission
from ..extensions import db
from . import auth
from .errors import detail
from .order_output import serialize_order, serialize_orders, trimmed
from .paging import paginated
from .params import query
from .registry import route
from .schemas.orders import Order as OrderSchema
from .schemas.orders import EventOrderListQuery, OrderDetailQuery, OrderListQuery

TAG = "Orders"
EVENT_ORDERS = "/organizers/<organizer>/events/<event>/orders/"
ONE_ORDER = EVENT_ORDERS + "<code>/"
PAGE_GENERATED = {"X-Page-Generated": "The server time at the beginning of the operation: the next call's "
                                      "modified_since"}


def page_generated(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def loading(pdf_data: bool = False):
    """What the download rule and the URL of a page's orders read (with pdf_data: what a ticket
    prints), in a fixed number of queries per page; the other parts come from
    order_parts.PageParts. Only select-in loads: a join in the page's own query would keep SQLite
    from reading it off the ordering index (it then sorts every order of the event)."""
    printed = [selectinload(OrderPosition.variation), selectinload(OrderPosition.subevent),
               selectinload(OrderPosition.seat)] if pdf_data else []
    return [
        selectinload(Order.event).selectinload(Event.organizer),
        selectinload(Order.all_positions).options(selectinload(OrderPosition.item), *printed),
    ]


def filters_from(args: OrderListQuery) -> OrderFilters:
    return OrderFilters(
        code=args.code, status=list(args.status), search=args.search, email=args.email, customer=args.customer,
        item=args.item, variation=args.variation, subevent=args.subevent, subevent_after=args.subevent_after,
        subevent_before=args.subevent_before, testmode=args.testmode, require_approval=args.require_approval,
        locale=args.locale, sales_channel=args.sales_channel, payment_provider=args.payment_provider,
        created_since=args.created_since, created_before=args.created_before, modified_since=args.modified_since,
        include_canceled_positions=args.include_canceled_positions,
        include_canceled_fees=args.include_canceled_fees)


def _order_page(organizer: Organizer, event_ids: list[int] | None, model: type[OrderListQuery] = OrderListQuery):
    args = query(model)
    pdf_data = getattr(args, "pdf_data", False)
    # before the query: a change committed while it runs is seen again by the next modified_since
    generated = utcnow()
    filters = filters_from(args)
    stmt = order_queries.orders_stmt(event_ids, organizer.id, filters, args.ordering).options(*loading(pdf_data))
    flags = dict(canceled_positions=args.include_canceled_positions, canceled_fees=args.include_canceled_fees,
                 pdf_data=pdf_data)

    def serialize(rows: list[Order]) -> list[dict]:
        return [trimmed(data, args.include, args.exclude) for data in serialize_orders(rows, **flags)]

    response = jsonify(paginated(stmt, args.page, serialize,
                                 count_stmt=order_queries.orders_count_stmt(event_ids, organizer.id, filters)))
    response.headers["X-Page-Generated"] = page_generated(generated)
    return response


@route(EVENT_ORDERS, "GET", "List the orders of an event", tag=TAG, query=EventOrderListQuery,
       response=OrderSchema, many=True, errors=(400, 401, 403, 404), headers=PAGE_GENERATED)
def list_event_orders(organizer: str, event: str):
    """Default ordering: datetime. Canceled positions and fees only with include_canceled_*;
    pdf_data=true adds to each position what its ticket PDF prints."""
    org = auth.organizer_for(organizer, Permission.VIEW_ORDERS)
    ev = auth.event_for(org, event, Permission.VIEW_ORDERS)
    return _order_page(org, [ev.id], EventOrderListQuery)


@route("/organizers/<organizer>/orders/", "GET", "List the orders of every event", tag=TAG,
       query=OrderListQuery, response=OrderSchema, many=True, errors=(400, 401, 403, 404), headers=PAGE_GENERATED)
def list_organizer_orders(organizer: str):
    """The orders of all events the token's team may see; the same parameters as the event list but
    pdf_data, which is not offered here (as in pretix) and ignored."""
    org = auth.organizer_for(organizer, Permission.VIEW_ORDERS)
    return _order_page(org, auth.event_ids_for(org, Permission.VIEW_ORDERS))


def load_order(event: Event, code: str) -> Order:
    """One order of the event with everything it shows; 404 for any other code."""
    if len(code) > 16:
        raise detail(404, "There is no such order in this event.")
    order = order_queries.load_order_for_detail(event, code)
    if order is None:
        raise detail(404, "There is no such order in this event.")
    return order


def event_of(organizer: str, event: str, permission: Permission) -> Event:
    org = auth.organizer_for(organizer, permission)
    return auth.event_for(org, event, permission)


@route(ONE_ORDER, "GET", "Show an order", tag=TAG, query=OrderDetailQuery, response=OrderSchema,
       errors=(400, 401, 403, 404))
def show_order(organizer: str, event: str, code: str):
    ev = event_of(organizer, event, Permission.VIEW_ORDERS)
    args = query(OrderDetailQuery)
    order = load_order(ev, code)
    return jsonify(serialize_order(order, canceled_positions=args.include_canceled_positions,
                                   canceled_fees=args.include_canceled_fees))


def fresh_order(event: Event, code: str) -> dict:
    """The order as it is after a change was committed (as the answer of every action)."""
    db.session.expire_all()
    return serialize_order(load_order(event, code))
