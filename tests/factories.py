"""Building blocks for tests: small, explicit, with sensible defaults."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

from backoffice.domain import codes
from backoffice.domain.models import (Customer, Event, Item, ItemVariation, Order, OrderFee,
                                      OrderPayment, OrderPosition, OrderStatus, Organizer, Quota,
                                      Seat, SubEvent, Team, User, utcnow)
from backoffice.domain.names import derive_name
from backoffice.domain.passwords import hash_password
from backoffice.extensions import db

PASSWORD = "correct horse battery"
_seq = count(1)
_password_hash_cache: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _password_hash_cache:
        _password_hash_cache[password] = hash_password(password)
    return _password_hash_cache[password]


def organizer(slug: str | None = None, name_scheme: str = "full", **kw) -> Organizer:
    n = next(_seq)
    org = Organizer(slug=slug or f"org{n}", name=kw.pop("name", f"Organizer {n}"), name_scheme=name_scheme, **kw)
    db.session.add(org)
    db.session.flush()
    return org


def event(org: Organizer, slug: str | None = None, **kw) -> Event:
    n = next(_seq)
    kw.setdefault("date_from", utcnow() + timedelta(days=30))
    ev = Event(organizer=org, slug=slug or f"event{n}", name=kw.pop("name", f"Event {n}"), **kw)
    db.session.add(ev)
    db.session.flush()
    return ev


def item(ev: Event, name: str = "Ticket", price: str = "20.00", variations: list[tuple[str, str]] | None = None,
         **kw) -> Item:
    it = Item(event=ev, name=name, default_price=Decimal(price), **kw)
    db.session.add(it)
    for i, (value, vprice) in enumerate(variations or []):
        db.session.add(ItemVariation(item=it, value=value, default_price=Decimal(vprice), position=i))
    db.session.flush()
    return it


def quota(ev: Event, items: list[Item], size: int | None, name: str = "Quota", subevent: SubEvent | None = None,
          variations: list[ItemVariation] | None = None) -> Quota:
    q = Quota(event=ev, name=name, size=size, subevent=subevent)
    db.session.add(q)
    q.items = list(items)
    q.variations = list(variations if variations is not None else [v for i in items for v in i.variations])
    db.session.add(q)
    db.session.flush()
    return q


def subevent(ev: Event, name: str = "Date", days: int = 10) -> SubEvent:
    ev.has_subevents = True
    se = SubEvent(event=ev, name=name, date_from=utcnow() + timedelta(days=days),
                  date_to=utcnow() + timedelta(days=days, hours=3))
    db.session.add(se)
    db.session.flush()
    return se


def seat(ev: Event, name: str, subevent: SubEvent | None = None) -> Seat:
    s = Seat(event_id=ev.id, subevent_id=subevent.id if subevent else None, seat_guid=f"guid-{name}", name=name, zone_name="Stalls",
             row_name=name[:1], seat_number=name[1:])
    db.session.add(s)
    db.session.flush()
    return s


def user(email: str | None = None, password: str = PASSWORD, org: Organizer | None = None,
         all_events: bool = True, events: list[Event] | None = None, **permissions) -> User:
    n = next(_seq)
    u = User(email=email or f"staff{n}@example.org", fullname=f"Staff {n}", password_hash=_hash(password))
    db.session.add(u)
    if org is not None:
        perms = dict(can_view_orders=True, can_change_orders=True, can_view_customers=True,
                     can_change_customers=True, can_manage_events=True, can_manage_team=True)
        perms.update(permissions)
        team = Team(organizer=org, name=f"Team {n}", all_events=all_events, **perms)
        db.session.add(team)
        team.members.append(u)
        team.limit_events = list(events or [])
        db.session.add(team)
    db.session.flush()
    return u


def customer(org: Organizer, email: str | None = None, name: str | None = "Anna Example", **kw) -> Customer:
    n = next(_seq)
    parts = {"_scheme": "full", "full_name": name} if name else {"_scheme": "full"}
    c = Customer(organizer=org, identifier=codes.customer_identifier(), email=email or f"customer{n}@example.org",
                 name_parts=parts, name_cached=derive_name(parts), **kw)
    db.session.add(c)
    db.session.flush()
    return c


def order(ev: Event, items: list[Item | tuple[Item, ItemVariation | None]] | None = None, status: str = OrderStatus.PENDING,
          email: str | None = "buyer@example.org", fees: list[tuple[str, str]] | None = None, paid: bool | None = None,
          subevent: SubEvent | None = None, seats: list[Seat] | None = None, when: datetime | None = None,
          **kw) -> Order:
    """An order with one position per entry of `items`; paid orders get a confirmed payment."""
    now = when or utcnow()
    # no autoflush: reading an expired item would flush the half-built order early, and the
    # last_modified hook would then stamp it with the clock instead of `now`
    with db.session.no_autoflush:
        o = _build_order(ev, items, status, email, fees, paid, subevent, seats, now, kw)
    db.session.flush()
    return o


def _build_order(ev, items, status, email, fees, paid, subevent, seats, now, kw) -> Order:
    o = Order(event=ev, code=codes.order_code(), secret=codes.order_secret(), status=status, email=email,
              datetime=now, expires=now + timedelta(days=ev.payment_term_days), last_modified=now,
              testmode=kw.pop("testmode", ev.testmode), **kw)
    db.session.add(o)
    total = Decimal("0.00")
    for i, entry in enumerate(items or []):
        it, var = entry if isinstance(entry, tuple) else (entry, None)
        price = var.price if var is not None else it.default_price
        db.session.add(OrderPosition(
            order=o, positionid=i + 1, item=it, variation=var, price=price, secret=codes.position_secret(),
            pseudonymization_id=codes.pseudonymization_id(), subevent=subevent,
            seat=seats[i] if seats else None,
            attendee_name_parts={"_scheme": "full", "full_name": f"Attendee {i + 1}"},
            attendee_name_cached=f"Attendee {i + 1}"))
        total += price
    for fee_type, value in fees or []:
        db.session.add(OrderFee(order=o, fee_type=fee_type, value=Decimal(value)))
        total += Decimal(value)
    o.total = total
    if paid if paid is not None else status == OrderStatus.PAID:
        db.session.add(OrderPayment(order=o, local_id=1, state="confirmed", amount=total, provider="manual",
                                    payment_date=now))
    return o


@dataclass
class World:
    organizer: Organizer
    event: Event
    ticket: Item
    quota: Quota
    admin: User


def build_world() -> World:
    org = organizer(slug="demo", name="Demo Organizer")
    ev = event(org, slug="conf", name="Conference", currency="EUR", timezone="Europe/Berlin")
    ticket = item(ev, "Regular ticket", "50.00")
    q = quota(ev, [ticket], 100, name="Regular")
    admin = user("admin@example.org", org=org)
    db.session.commit()
    return World(org, ev, ticket, q, admin)
