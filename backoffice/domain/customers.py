"""Customer accounts: every rule about creating, changing, blocking, tagging and anonymizing them.

Functions validate first, then change state, then write the audit entry. They flush but never
commit: the caller owns the transaction.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..extensions import db
from ..plans import by_key
from . import audit, codes, money, outbox, tx
from .audit import Actor
from .errors import STALE_CUSTOMER_MESSAGE, Conflict, FieldErrors, Invalid, NotFound
from .models import (Customer, CustomerTag, Event, LogEntry, Order, Organizer, OutboxEmail,
                     utcnow)
from .passwords import UNUSABLE, hash_password, verify_password
from .customer_fields import clean_fields, clean_password, clean_tag
from .names import derive_name
from .orders import Totals
from .texts import T_

PASSWORD_LINK_VALID = timedelta(days=7)
BLOCKED_LINK_MESSAGE = (T_("This account is blocked, so no password link can be sent. "
                           "Activate the account first if the customer may log in again."))
MAX_TAGS = 50
MAX_ORDERS_SHOWN = 100
#: the personal data anonymize erases (logged by name only, never by value)
ERASED = ("email", "phone", "name_parts", "notes", "street", "address_line2", "zipcode", "city",
          "state", "country", "company", "date_of_birth", "external_identifier", "marketing_consent",
          "tags")
#: where the customer's history holds personal data: the erased fields (also inside "changed"),
#: the name derived from them, a tag, the address a mail went to
ERASED_HISTORY_KEYS = set(ERASED) | {"name_cached", "name", "tag", "to", "subject", "marketing_opted_in_at",
                                     "marketing_opted_out_at"}


# --- reading ---------------------------------------------------------------------------------

def get_customer(organizer: Organizer, identifier: str, *, for_update: bool = False) -> Customer:
    """One customer of this organizer; another organizer's customer is simply not found.

    `for_update` locks the row (PostgreSQL) and reloads it, so two agents changing the same
    customer at once queue up instead of overwriting each other.
    """
    # tags joined in the same query (a customer has a few): one round trip less than loading them
    # separately, which PostgreSQL pays on every customer page. Not when locking: a query that
    # waited for the lock sees the customer row as committed since, but joined rows as they were
    # when it began, so a tag just added by the agent it waited for would be missing.
    stmt = select(Customer).where(Customer.organizer_id == organizer.id, Customer.identifier == identifier)
    stmt = stmt.options(selectinload(Customer.tag_rows) if for_update else joinedload(Customer.tag_rows))
    if for_update:
        stmt = stmt.execution_options(populate_existing=True)
        if not tx.is_sqlite():
            stmt = stmt.with_for_update(of=Customer)
    customer = db.session.scalars(by_key(stmt)).unique().one_or_none()
    if customer is None:
        raise NotFound(T_("There is no customer with this identifier."), code="customer_not_found")
    return customer


def customer_orders(customer: Customer, limit: int = MAX_ORDERS_SHOWN + 1,
                    event_ids: list[int] | None = None) -> tuple[list[Order], dict[int, Totals]]:
    """The customer's orders across all events, newest first, with their event, and their
    money ({order id: Totals}), in one query.

    `event_ids` limits them to the events whose orders the reader may see (None: all events).
    """
    stmt = (select(Order, *money.sum_columns()).where(Order.customer_id == customer.id)
            .join(Order.event).where(Event.organizer_id == customer.organizer_id)
            .options(contains_eager(Order.event))
            .order_by(Order.datetime.desc(), Order.id.desc()).limit(limit))
    if event_ids is not None:
        stmt = stmt.where(Order.event_id.in_(event_ids))
    rows = db.session.execute(by_key(stmt)).all()
    return [order for order, _, _ in rows], {order.id: money.totals_from_sums(order, paid, refunded)
                                              for order, paid, refunded in rows}


def count_hidden_orders(customer: Customer, event_ids: list[int] | None) -> int:
    """How many of the customer's orders lie in events outside `event_ids` (None: all visible)."""
    if event_ids is None:
        return 0
    stmt = (select(func.count()).select_from(Order)
            .where(Order.customer_id == customer.id, Order.event_id.not_in(event_ids)))
    return db.session.scalar(stmt) or 0


def count_orders(customer: Customer) -> int:
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.customer_id == customer.id)) or 0


def customer_history(customer: Customer, limit: int = 200) -> list[LogEntry]:
    """Newest first, with who did it loaded in the same query."""
    stmt = (select(LogEntry)
            .where(LogEntry.object_type == audit.object_type(customer), LogEntry.object_id == customer.id)
            .options(joinedload(LogEntry.user), joinedload(LogEntry.api_token))
            .order_by(LogEntry.datetime.desc(), LogEntry.id.desc()).limit(limit))
    return list(db.session.scalars(by_key(stmt)))


def organizer_tags(organizer: Organizer) -> list[str]:
    """Every tag in use at this organizer (the tag list of 002), for autocomplete and filters.

    On PostgreSQL a skip scan of the (organizer, name) index: each step asks for the next name
    after the last one, so a few distinct tags cost a few index lookups, where `SELECT DISTINCT`
    read every tag row (40,000 rows, 6 ms on every customer page at 50,000 customers). SQLite
    skips through the index for DISTINCT by itself (0.1 ms; the recursive query 0.6 ms)."""
    if tx.is_sqlite():
        return list(db.session.scalars(select(CustomerTag.name).where(CustomerTag.organizer_id == organizer.id)
                                       .distinct().order_by(CustomerTag.name)))
    tag = CustomerTag.__table__.alias("next_tag")
    first = select(func.min(CustomerTag.name).label("name")).where(CustomerTag.organizer_id == organizer.id)
    names = first.cte("tag_names", recursive=True)
    following = (select(func.min(tag.c.name)).where(tag.c.organizer_id == organizer.id, tag.c.name > names.c.name)
                 .scalar_subquery())
    names = names.union_all(select(following).where(names.c.name.is_not(None)))
    return list(db.session.scalars(by_key(select(names.c.name).where(names.c.name.is_not(None))
                                          .order_by(names.c.name))))


def _ensure_email_free(organizer: Organizer, email: str | None, customer_id: int | None = None) -> None:
    if email is None:
        return
    stmt = select(Customer.id).where(Customer.organizer_id == organizer.id,
                                     func.lower(Customer.email) == email.lower())
    if customer_id is not None:
        stmt = stmt.where(Customer.id != customer_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        # invalid, not a conflict: the input is wrong, whoever was first
        raise Invalid(T_("Another customer already uses the email address %(email)s.", email=email),
                      code="email_taken", field="email")


def _ensure_not_anonymized(customer: Customer) -> None:
    if customer.is_anonymized:
        raise Invalid(T_("This customer was anonymized; the record cannot be changed any more."),
                       code="customer_anonymized")


def _flush_checking_email(email: str | None) -> None:
    """Two agents saving the same email at once: the unique index decides, the loser gets a message."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Invalid(T_("Another customer already uses the email address %(email)s.", email=email),
                      code="email_taken", field="email")


def _new_identifier(organizer: Organizer) -> str:
    for _ in range(20):
        identifier = codes.customer_identifier()
        taken = db.session.scalar(select(Customer.id).where(
            Customer.organizer_id == organizer.id, Customer.identifier == identifier))
        if taken is None:
            return identifier
    raise Conflict(T_("Could not find a free customer identifier; try again."), code="identifier_exhausted")


def _touch(customer: Customer, now: datetime) -> None:
    """Move `last_modified`, strictly forward: a form that saw the old value must notice."""
    previous = customer.last_modified
    if previous is not None and now <= previous:
        now = previous + timedelta(microseconds=1)
    customer.last_modified = now


def ensure_unchanged(customer: Customer, seen: str | None) -> None:
    """Refuse when the form that sent a change showed an older state of the customer.

    `seen` is the ISO timestamp of `last_modified` the form was rendered with (None or "" when
    the client sent none, e.g. an API client that accepts last-write-wins).
    """
    if seen and seen != customer.last_modified.isoformat():
        raise Conflict(STALE_CUSTOMER_MESSAGE, code="stale")


def _lock(customer: Customer) -> Customer:
    """The customer's row, locked for this transaction (PostgreSQL) and read fresh."""
    locked = tx.lock(Customer, customer.id)
    if locked is None:
        raise NotFound(T_("There is no customer with this identifier."), code="customer_not_found")
    return locked


def _apply_consent(customer: Customer, consent: bool | None, now: datetime) -> None:
    """Opting in or out stamps the moment; the other date stays as a record of the past."""
    if consent == customer.marketing_consent:
        return
    customer.marketing_consent = consent
    if consent is True:
        customer.marketing_opted_in_at = now
    elif consent is False:
        customer.marketing_opted_out_at = now


# --- changing --------------------------------------------------------------------------------

def create_customer(*, organizer: Organizer, actor: Actor, email: Any, password: str | None = None,
                    tags: list[str] | None = None, send_email: bool = False, now: datetime | None = None,
                    **fields: Any) -> Customer:
    """A new customer. `fields` are any of EDITABLE besides email; the password is hashed."""
    now = now or utcnow()
    fields["email"] = email
    fields.setdefault("locale", None)
    fields.setdefault("name_parts", None)
    errors = FieldErrors()
    values = clean_fields(organizer, fields, now.date(), errors)
    if password not in (None, ""):
        with errors.check("password"):
            password = clean_password(password)
    clean_tags: list[str] = []
    with errors.check("tags"):
        clean_tags = _unique_tags(tags or [])
    if "email" in values:
        with errors.check("email"):
            _ensure_email_free(organizer, values["email"])
    errors.raise_if_any()

    consent = values.pop("marketing_consent", None)
    customer = Customer(organizer=organizer, identifier=_new_identifier(organizer), date_joined=now,
                        last_modified=now, is_active=True, is_verified=False, **values)
    _apply_consent(customer, consent, now)
    if password:
        customer.password_hash = hash_password(password)
    customer.tag_rows = [CustomerTag(organizer_id=organizer.id, name=t) for t in sorted(clean_tags)]
    db.session.add(customer)
    _flush_checking_email(customer.email)
    audit.log(actor, customer, "customer.created", data={
        "fields": sorted(k for k in fields if fields[k] not in (None, "")),
        "tags": clean_tags, "password_set": bool(password), "send_email": send_email}, now=now)
    if send_email:
        send_password_link(customer, actor=actor, now=now)
    return customer


def _unique_tags(raw_tags: list[str]) -> list[str]:
    tags: list[str] = []
    for raw in raw_tags:
        try:
            tag = clean_tag(raw)
        except Invalid as e:
            raise Invalid(e.message, code=e.code, field="tags") from None
        if tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise Invalid(T_("A customer may have at most %(max_tags)s tags.",
                         max_tags=MAX_TAGS), code="too_many_tags", field="tags")
    return tags


def update_customer(customer: Customer, *, actor: Actor, now: datetime | None = None,
                    seen_last_modified: str | None = None, **fields: Any) -> dict:
    """Change any of EDITABLE. Returns {field: {"old", "new"}} of what really changed.

    `seen_last_modified` is the customer's `last_modified` as the editing form showed it: a save
    from a form opened before someone else's change is refused instead of overwriting it. The
    check runs on the locked row, so two saves at the same moment cannot both pass it.
    """
    now = now or utcnow()
    customer = _lock(customer)
    _ensure_not_anonymized(customer)
    ensure_unchanged(customer, seen_last_modified)
    errors = FieldErrors()
    values = clean_fields(customer.organizer, fields, now.date(), errors)
    if "email" in values:
        with errors.check("email"):
            _ensure_email_free(customer.organizer, values["email"], customer.id)
    errors.raise_if_any()
    changed: dict = {}
    consent = values.pop("marketing_consent", customer.marketing_consent)
    values.pop("name_cached", None)
    for field, value in values.items():
        old = getattr(customer, field)
        if old != value:
            changed[field] = {"old": old, "new": value}
            setattr(customer, field, value)
    if "name_parts" in changed:
        customer.name_cached = derive_name(customer.name_parts)
    if consent != customer.marketing_consent:
        changed["marketing_consent"] = {"old": customer.marketing_consent, "new": consent}
        _apply_consent(customer, consent, now)
    if not changed:
        return changed
    _touch(customer, now)
    _flush_checking_email(customer.email)
    audit.log(actor, customer, "customer.changed", data={"changed": changed}, now=now)
    return changed


def set_active(customer: Customer, *, active: bool, actor: Actor, now: datetime | None = None) -> bool:
    """Activate or block an account. Returns False when it already was in that state.

    Blocking also ends a password link that is still valid: a blocked account must not be
    taken over through a mail that is still lying in someone's inbox, even after it is
    activated again (then staff send a new link).
    """
    now = now or utcnow()
    _ensure_not_anonymized(customer)
    if customer.is_active == active:
        return False
    customer.is_active = active
    data = None
    if not active and customer.password_token_hash is not None:
        if customer.password_token_expires is not None and customer.password_token_expires > now:
            data = {"password link": "no longer works"}
        customer.password_token_hash = None
        customer.password_token_expires = None
    _touch(customer, now)
    audit.log(actor, customer, "customer.activated" if active else "customer.deactivated", data=data, now=now)
    return True


def add_tag(customer: Customer, *, tag: Any, actor: Actor, now: datetime | None = None) -> str:
    now = now or utcnow()
    _ensure_not_anonymized(customer)
    name = clean_tag(tag)
    if name.lower() in {t.lower() for t in customer.tags}:
        raise Invalid(T_("This customer already has the tag '%(name)s'.", name=name), code="tag_exists", field="tag")
    if len(customer.tag_rows) >= MAX_TAGS:
        raise Invalid(T_("A customer may have at most %(max_tags)s tags.",
                         max_tags=MAX_TAGS), code="too_many_tags", field="tag")
    customer.tag_rows.append(CustomerTag(organizer_id=customer.organizer_id, name=name))
    customer.tag_rows.sort(key=lambda t: t.name)
    _touch(customer, now)
    audit.log(actor, customer, "customer.tag_added", data={"tag": name}, now=now)
    return name


def remove_tag(customer: Customer, *, tag: str, actor: Actor, now: datetime | None = None) -> None:
    now = now or utcnow()
    _ensure_not_anonymized(customer)
    row = next((t for t in customer.tag_rows if t.name == tag), None)
    if row is None:
        raise NotFound(T_("This customer has no tag '%(tag)s' (any more).",
                          tag=str(tag)[:100]), code="tag_not_found", field="tag")
    customer.tag_rows.remove(row)
    _touch(customer, now)
    audit.log(actor, customer, "customer.tag_removed", data={"tag": row.name}, now=now)


def anonymize_customer(customer: Customer, *, actor: Actor, now: datetime | None = None) -> bool:
    """Erase the personal data, keep identifier and dates, detach the orders. Irreversible.

    Returns False (and changes nothing) when the customer was anonymized already, so a second
    click from a stale page is harmless.
    """
    now = now or utcnow()
    if customer.is_anonymized:
        return False
    orders = list(db.session.scalars(select(Order).where(Order.customer_id == customer.id).order_by(Order.id)))
    for field in ("email", "phone", "name_cached", "notes", "street", "address_line2", "zipcode", "city",
                  "state", "country", "company", "date_of_birth", "external_identifier",
                  "marketing_consent", "marketing_opted_in_at", "marketing_opted_out_at",
                  "password_token_hash", "password_token_expires"):
        setattr(customer, field, None)
    customer.name_parts = {"_scheme": customer.organizer.name_scheme or "full"}
    customer.tag_rows = []
    customer.password_hash = UNUSABLE
    customer.is_active = False
    customer.anonymized_at = now
    customer.last_modified = now
    for order in orders:
        # through the ORM, so the order's last_modified moves and API clients see the change
        order.customer = None
        audit.log(actor, order, "order.customer_detached", data={"customer": customer.identifier}, now=now)
    audit.erase_values(customer, ERASED_HISTORY_KEYS)
    mails = outbox.erase_mails_about(customer)
    audit.log(actor, customer, "customer.anonymized",
              data={"erased": list(ERASED), "orders_detached": len(orders), "mails_erased": mails}, now=now)
    return True


# --- the password-set link -------------------------------------------------------------------

def _token_hash(token: str) -> str:
    # the token is 256 random bits, so a fast hash is enough; only the hash is stored
    return hashlib.sha256(token.encode()).hexdigest()


def password_link_url(organizer: Organizer, token: str) -> str:
    """The absolute link of the public set-password page (works outside a request too)."""
    from ..mail import absolute_url
    adapter = current_app.url_map.bind("")
    path = adapter.build("public_account.set_password", {"organizer": organizer.slug, "token": token})
    return absolute_url(path)


def send_password_link(customer: Customer, *, actor: Actor, now: datetime | None = None) -> OutboxEmail:
    """Email a one-time link to set a password (also "give this customer an account").

    A new link replaces the previous one, which stops working.
    """
    from ..mail import queue_mail
    now = now or utcnow()
    _ensure_not_anonymized(customer)
    if not customer.email:
        raise Invalid(T_("This customer has no email address to send the link to."), code="no_email")
    if not customer.is_active:
        raise Invalid(BLOCKED_LINK_MESSAGE, code="customer_blocked")
    token = codes.url_token()
    had_account = bool(customer.password_hash)
    customer.password_token_hash = _token_hash(token)
    customer.password_token_expires = now + PASSWORD_LINK_VALID
    organizer = customer.organizer
    mail = queue_mail(
        to=customer.email, template="customer_password_link" if had_account else "customer_activation",
        context={"customer": customer, "organizer": organizer, "link": password_link_url(organizer, token),
                 "expires": customer.password_token_expires},
        organizer_id=organizer.id, obj=customer)
    audit.log(actor, customer, "customer.password_link_sent",
              data={"to": customer.email, "valid_until": customer.password_token_expires}, now=now)
    return mail


def customer_for_token(organizer: Organizer, token: str, now: datetime | None = None) -> Customer:
    """The customer a password-set link belongs to, if the link still works."""
    now = now or utcnow()
    dead = NotFound(T_("This link is no longer valid. It may have been used already, replaced by a newer "
                       "link, or expired. Ask the organizer to send you a new one."), code="token_invalid")
    if not token or len(token) > 200:
        raise dead
    customer = db.session.scalar(select(Customer).where(
        Customer.organizer_id == organizer.id, Customer.password_token_hash == _token_hash(token)))
    if customer is None or customer.is_anonymized or not customer.is_active:
        raise dead
    if customer.password_token_expires is None or customer.password_token_expires < now:
        raise dead
    return customer


def set_password_with_token(*, organizer: Organizer, token: str, password: Any,
                            now: datetime | None = None) -> Customer:
    """The customer sets a password through the link: the link is used up, the email is verified."""
    now = now or utcnow()
    customer = customer_for_token(organizer, token, now)
    password = clean_password(password)
    customer = tx.lock(Customer, customer.id)
    if customer.password_token_hash != _token_hash(token):
        raise Conflict(T_("This link was just used or replaced. Ask for a new one."), code="token_invalid")
    customer.password_hash = hash_password(password)
    customer.password_token_hash = None
    customer.password_token_expires = None
    customer.is_verified = True  # following the link proved the address works
    customer.last_modified = now
    audit.log(Actor(label=T_("customer")), customer, "customer.password_set", now=now)
    return customer


def check_password(customer: Customer, password: str) -> bool:
    return verify_password(customer.password_hash, password)
