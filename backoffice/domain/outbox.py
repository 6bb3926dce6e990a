"""Who may read and retry which mail of the outbox, and finding mails.

A mail belongs to what it is about and follows its rule: a mail about an order is for whoever may
see that order (its event's orders), a mail about a customer for whoever may see customers.
Retrying it needs the matching change permission.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from ..extensions import db
from ..plans import by_key
from .errors import Conflict, Invalid, NotFound
from .models import Customer, Order, Organizer, OutboxEmail, OutboxStatus, Team
from .permissions import Permission, has_permission, visible_event_ids
from .text_search import matches, words
from .texts import T_

ORDER = Order.__tablename__
CUSTOMER = Customer.__tablename__
RETRYABLE = (OutboxStatus.QUEUED, OutboxStatus.FAILED, OutboxStatus.KEPT)
ERASED_RECIPIENT = "(erased)"
ERASED_BODY = "The text of this mail was erased when the customer was anonymized.\n"
ERASED_SUBJECT = "(erased)"
#: mails whose subject staff wrote themselves: it may name the customer, so anonymizing erases it
FREE_SUBJECT_TEMPLATES = ("staff_message",)


def _allowed(teams: list[Team], organizer: Organizer, orders: Permission,
             customers: Permission) -> ColumnElement[bool]:
    """The SQL condition for mails whose object the teams hold `orders` / `customers` on."""
    event_ids = visible_event_ids(teams, organizer, orders)
    may_customers = has_permission(teams, customers)
    clauses = []
    if event_ids is None:
        clauses.append(OutboxEmail.object_type == ORDER)
    elif event_ids:
        clauses.append(and_(OutboxEmail.object_type == ORDER, OutboxEmail.event_id.in_(event_ids)))
    if may_customers:
        clauses.append(OutboxEmail.object_type == CUSTOMER)
    if event_ids is None and may_customers:
        # a mail about nothing in particular: for those who see everything of the organizer
        clauses.append(OutboxEmail.object_type.is_(None))
    return or_(*clauses) if clauses else false()


def visible(teams: list[Team], organizer: Organizer) -> ColumnElement[bool]:
    return _allowed(teams, organizer, Permission.VIEW_ORDERS, Permission.VIEW_CUSTOMERS)


def changeable(teams: list[Team], organizer: Organizer) -> ColumnElement[bool]:
    return _allowed(teams, organizer, Permission.CHANGE_ORDERS, Permission.CHANGE_CUSTOMERS)


def may_read_outbox(teams: list[Team]) -> bool:
    """The outbox page is for those who may see orders or customers at all."""
    return has_permission(teams, Permission.VIEW_ORDERS) or has_permission(teams, Permission.VIEW_CUSTOMERS)


def mails(teams: list[Team], organizer: Organizer, *, status: str | None = None,
          query: str | None = None) -> Select:
    """The organizer's mails these teams may see, newest first."""
    stmt = select(OutboxEmail).where(OutboxEmail.organizer_id == organizer.id, visible(teams, organizer))
    if status:
        stmt = stmt.where(OutboxEmail.status == status)
    for word in words(query or ""):
        stmt = stmt.where(or_(matches(OutboxEmail.to, word), matches(OutboxEmail.subject, word)))
    return stmt.order_by(OutboxEmail.created.desc(), OutboxEmail.id.desc())


def get_mail(teams: list[Team], organizer: Organizer, mail_id: int) -> OutboxEmail:
    """One mail; NotFound also when the teams may not see it (its existence is not revealed)."""
    mail = db.session.scalar(select(OutboxEmail).where(
        OutboxEmail.id == mail_id, OutboxEmail.organizer_id == organizer.id, visible(teams, organizer)))
    if mail is None:
        raise NotFound(T_("There is no such mail."), code="mail_not_found")
    return mail


def may_retry(teams: list[Team], organizer: Organizer, mail: OutboxEmail) -> bool:
    return db.session.scalar(select(OutboxEmail.id).where(
        OutboxEmail.id == mail.id, changeable(teams, organizer))) is not None


def ensure_retryable(mail: OutboxEmail, *, delivery_enabled: bool) -> None:
    """Retrying makes sense only for mails not sent yet, and only when delivery is switched on."""
    if mail.status == OutboxStatus.SENT:
        raise Conflict(T_("This mail was sent already."), code="mail_sent")
    if mail.to == ERASED_RECIPIENT:
        raise Invalid(T_("This mail was erased when its customer was anonymized; it cannot be sent."),
                      code="mail_erased")
    if not delivery_enabled:
        raise Conflict(T_("Mail delivery is switched off (no MAIL_SERVER is configured), so mails stay in the "
                          "outbox. Configure a mail server to send them."), code="delivery_off")


def object_mails(teams: list[Team], organizer: Organizer, obj, limit: int = 20) -> list[OutboxEmail]:
    """The newest mails about one order or customer that the teams may see."""
    stmt = (select(OutboxEmail)
            .where(OutboxEmail.organizer_id == organizer.id, OutboxEmail.object_type == obj.__tablename__,
                   OutboxEmail.object_id == obj.id, visible(teams, organizer))
            .order_by(OutboxEmail.created.desc(), OutboxEmail.id.desc()).limit(limit))
    return list(db.session.scalars(by_key(stmt)))


def objects_of(mails: list[OutboxEmail]) -> dict[tuple[str, int], Order | Customer]:
    """The orders and customers the mails are about, loaded in one query per kind."""
    found: dict[tuple[str, int], Order | Customer] = {}
    for model in (Order, Customer):
        ids = {m.object_id for m in mails if m.object_type == model.__tablename__ and m.object_id}
        if ids:
            for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
                found[(model.__tablename__, obj.id)] = obj
    return found


def erase_mails_about(obj) -> int:
    """Anonymizing: the mails about `obj` keep when and what kind they were, not to whom or what
    they said; those not sent yet are never sent. Returns how many mails were erased."""
    mails = list(db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.object_type == obj.__tablename__, OutboxEmail.object_id == obj.id)))
    for mail in mails:
        mail.to = ERASED_RECIPIENT
        mail.body = ERASED_BODY
        if mail.template in FREE_SUBJECT_TEMPLATES:
            mail.subject = ERASED_SUBJECT
        mail.body_to_send = None
        if mail.status != OutboxStatus.SENT:
            mail.status = OutboxStatus.FAILED
            mail.last_error = T_("Not sent: the customer was anonymized.")
            mail.next_attempt = None
    return len(mails)
