"""Order positions of an event (seed 003): list with 003's filters, detail."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..domain import position_queries
from ..domain.models import Answer, Event, Order, OrderPosition
from ..domain.permissions import Permission
from ..domain.position_queries import PositionFilters
from ..extensions import db
from .errors import detail
from .order_output import serialize_position, serialize_positions
from .orders import event_of
from .paging import paginated
from .params import query
from .registry import route
from .schemas.orders import Position
from .schemas.common import MAX_ROW_ID
from .schemas.positions import PositionDetailQuery, PositionListQuery

TAG = "Order positions"
POSITIONS = "/organizers/<organizer>/events/<event>/orderpositions/"
ONE_POSITION = POSITIONS + "<int:id>/"


def _loaded(stmt):
    """Everything a position shows, in a fixed number of queries per page."""
    return stmt.options(
        contains_eager(OrderPosition.order), joinedload(OrderPosition.seat), joinedload(OrderPosition.item),
        selectinload(OrderPosition.answers).options(joinedload(Answer.question), selectinload(Answer.options)),
        selectinload(OrderPosition.checkins))


def _both(single, many) -> list:
    return ([single] if single is not None else []) + list(many or [])


def filters_from(args: PositionListQuery) -> PositionFilters:
    return PositionFilters(
        search=args.search, order=args.order, item=_both(args.item, args.item__in),
        variation=_both(args.variation, args.variation__in), subevent=_both(args.subevent, args.subevent__in),
        status=_both(args.order__status, args.order__status__in), has_checkin=args.has_checkin,
        addon_to=_both(args.addon_to, args.addon_to__in), voucher=args.voucher, voucher_code=args.voucher__code,
        customer=args.customer, attendee_name=args.attendee_name, secret=args.secret,
        pseudonymization_id=args.pseudonymization_id, include_canceled_positions=args.include_canceled_positions)


@route(POSITIONS, "GET", "List the positions (tickets) of an event", tag=TAG, query=PositionListQuery,
       response=Position, many=True, errors=(400, 401, 403, 404))
def list_positions(organizer: str, event: str):
    """Canceled positions only with include_canceled_positions; `x__in` takes comma-separated values."""
    ev = event_of(organizer, event, Permission.VIEW_ORDERS)
    args = query(PositionListQuery)
    ordering = position_queries.clean_ordering(args.ordering.split(",")[0])
    filters = filters_from(args)
    stmt = position_queries.positions_stmt(ev.id, filters, ordering).options(
        # what the download rule and the links read; the other parts come from order_parts.PageParts
        contains_eager(OrderPosition.order).selectinload(Order.event).selectinload(Event.organizer),
        joinedload(OrderPosition.item))
    return jsonify(paginated(stmt, args.page, serialize_positions,
                             count_stmt=position_queries.count_stmt(ev.id, filters)))


@route(ONE_POSITION, "GET", "Show a position", tag=TAG, query=PositionDetailQuery, response=Position,
       errors=(400, 401, 403, 404))
def show_position(organizer: str, event: str, id: int):
    """A canceled position is 404 unless include_canceled_positions=true."""
    ev = event_of(organizer, event, Permission.VIEW_ORDERS)
    args = query(PositionDetailQuery)
    if id > MAX_ROW_ID:
        raise detail(404, "There is no such position in this event.")
    stmt = _loaded(select(OrderPosition).join(Order, Order.id == OrderPosition.order_id)
                   .where(Order.event_id == ev.id, OrderPosition.id == id))
    position = db.session.scalars(stmt).first()
    if position is None or (position.canceled and not args.include_canceled_positions):
        raise detail(404, "There is no such position in this event.")
    return jsonify(serialize_position(position))
