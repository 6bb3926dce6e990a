"""The mail outbox of an organizer: what was sent, what failed, what is kept for reading.

Without MAIL_SERVER (e.g. `make run`) mails are only kept here, so staff can read what a
customer would have received.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from ..domain.errors import Conflict, DomainError
from ..domain.models import OutboxEmail, OutboxStatus
from ..domain.paging import paginate
from ..domain.permissions import Permission
from ..extensions import db
from ..mail import delivery_enabled, retry
from .access import can, require
from .errors import is_htmx
from .listing import ListArgs

bp = Blueprint("outbox", __name__)

STATUSES = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.KEPT)
RETRYABLE = (OutboxStatus.QUEUED, OutboxStatus.FAILED, OutboxStatus.KEPT)


def _may_read() -> None:
    # mails are about orders or customers: seeing either is enough to read them
    if not (can(Permission.VIEW_ORDERS) or can(Permission.VIEW_CUSTOMERS)):
        abort(403)


def _may_retry() -> bool:
    return can(Permission.CHANGE_ORDERS) or can(Permission.CHANGE_CUSTOMERS)


def _mail_or_404(organizer, mail_id: str) -> OutboxEmail:
    if not mail_id.isdigit() or len(mail_id) > 18:
        abort(404)
    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.id == int(mail_id),
                                                       OutboxEmail.organizer_id == organizer.id))
    if mail is None:
        abort(404)
    return mail


def ensure_retryable(mail: OutboxEmail) -> None:
    """Retrying makes sense only for mails not sent yet, and only when delivery is switched on."""
    if mail.status == OutboxStatus.SENT:
        raise Conflict("This mail was sent already.", code="mail_sent")
    if not delivery_enabled():
        raise Conflict("Mail delivery is switched off (no MAIL_SERVER is configured), so mails stay in the "
                       "outbox. Configure a mail server to send them.", code="delivery_off")


@bp.get("/<organizer>/outbox/")
@require(None)
def outbox_list(organizer):
    _may_read()
    args = ListArgs(request.args, tz=organizer.timezone)
    status = args.choice("status", STATUSES)
    stmt = select(OutboxEmail).where(OutboxEmail.organizer_id == organizer.id)
    if status:
        stmt = stmt.where(OutboxEmail.status == status)
    page = paginate(stmt.order_by(OutboxEmail.created.desc(), OutboxEmail.id.desc()), args.page())
    return render_template("outbox/list.html", page=page, status=status, statuses=STATUSES,
                           notices=args.notices, delivery=delivery_enabled())


@bp.get("/<organizer>/outbox/<mail_id>/")
@require(None)
def mail_detail(organizer, mail_id):
    _may_read()
    mail = _mail_or_404(organizer, mail_id)
    return render_template("outbox/detail.html", mail=mail, may_retry=_may_retry(), retryable=RETRYABLE,
                           delivery=delivery_enabled())


@bp.post("/<organizer>/outbox/<mail_id>/retry")
@require(None)
def retry_mail(organizer, mail_id):
    if not _may_retry():
        abort(403)
    mail = _mail_or_404(organizer, mail_id)
    try:
        ensure_retryable(mail)
    except DomainError as e:
        return _retry_answer(organizer, mail, error=e.message)
    retry(mail)
    db.session.flush()
    response = _retry_answer(organizer, mail, notice=f"The mail to {mail.to} is queued again and will be sent now.")
    # the last database work of the request: delivery starts in another thread after it
    db.session.commit()
    return response


def _retry_answer(organizer, mail: OutboxEmail, *, notice: str | None = None, error: str | None = None):
    if not is_htmx():
        flash(error or notice, "danger" if error else "success")
        return redirect(url_for(".mail_detail", organizer=organizer.slug, mail_id=mail.id), 303)
    html = render_template("outbox/_status.html", mail=mail, may_retry=True, retryable=RETRYABLE,
                           delivery=delivery_enabled(), notice=notice, error=error)
    return html, 422 if error else 200
