"""The mail outbox of an organizer: what was sent, what failed, what is kept for reading.

Without MAIL_SERVER (e.g. `make run`) mails are only kept here, so staff can read what a
customer would have received. Each staff member sees the mails about the orders and customers
they may see (see domain/outbox.py).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.routing import BuildError

from ..domain import outbox, parsing
from ..domain.errors import DomainError, Invalid, NotFound
from ..domain.models import OutboxEmail, OutboxStatus
from ..domain.paging import paginate
from ..domain.texts import T_
from ..extensions import db
from ..i18n import translated
from ..mail import HIDDEN, delivery_enabled, retry
from .access import require
from .errors import is_htmx
from .listing import ListArgs

bp = Blueprint("outbox", __name__)

STATUSES = (OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.KEPT)
RETRYABLE = outbox.RETRYABLE


def _may_read() -> None:
    if not outbox.may_read_outbox(g.teams):
        abort(403)


def _mail_or_404(organizer, mail_id: str) -> OutboxEmail:
    try:
        return outbox.get_mail(g.teams, organizer, parsing.parse_id(mail_id))
    except (Invalid, NotFound):
        abort(404)


def _object_link(obj) -> tuple[str, str] | None:
    """(label, back-office URL) of the order or customer a mail is about."""
    if obj is None:
        return None
    try:
        if obj.__tablename__ == outbox.ORDER:
            return (gettext("Order %(code)s", code=obj.code), url_for("orders.detail", organizer=g.organizer.slug,
                                                 event=obj.event.slug, code=obj.code))
        return (gettext("Customer %(name)s", name=obj.name_cached or obj.identifier),
                url_for("customers.detail", organizer=g.organizer.slug, identifier=obj.identifier))
    except BuildError:
        return None


def _links(mails: list[OutboxEmail]) -> dict[int, tuple[str, str]]:
    """Mail id -> link to its order or customer. A mail is only visible to who may see its
    object (same rule), so every link shown leads to a page the viewer may open."""
    objects = outbox.objects_of(mails)
    links = {}
    for mail in mails:
        link = _object_link(objects.get((mail.object_type, mail.object_id)))
        if link:
            links[mail.id] = link
    return links


@bp.app_template_global()
def object_mails(obj) -> list[OutboxEmail]:
    """For the order and customer pages: the mails about `obj` the viewer may see."""
    if not g.get("organizer"):
        return []
    return outbox.object_mails(g.get("teams") or [], g.organizer, obj)


@bp.get("/<organizer>/outbox/")
@require(None)
def outbox_list(organizer):
    _may_read()
    args = ListArgs(request.args, tz=organizer.timezone)
    status = args.choice("status", STATUSES)
    query = args.text("q")
    page = paginate(outbox.mails(g.teams, organizer, status=status, query=query), args.page())
    return render_template("outbox/list.html", page=page, status=status, query=query, statuses=STATUSES,
                           links=_links(page.items), notices=args.notices, delivery=delivery_enabled())


@bp.get("/<organizer>/outbox/<mail_id>/")
@require(None)
def mail_detail(organizer, mail_id):
    _may_read()
    mail = _mail_or_404(organizer, mail_id)
    return render_template("outbox/detail.html", mail=mail, link=_links([mail]).get(mail.id),
                           may_retry=outbox.may_retry(g.teams, organizer, mail), retryable=RETRYABLE,
                           delivery=delivery_enabled(), hidden_mark=HIDDEN)


@bp.post("/<organizer>/outbox/<mail_id>/retry")
@require(None)
def retry_mail(organizer, mail_id):
    _may_read()
    mail = _mail_or_404(organizer, mail_id)
    if not outbox.may_retry(g.teams, organizer, mail):
        abort(403)  # may read it (or it would be 404), but not change its order or customer
    try:
        outbox.ensure_retryable(mail, delivery_enabled=delivery_enabled())
    except DomainError as e:
        return _retry_answer(organizer, mail, error=e.message)
    retry(mail)
    db.session.flush()
    response = _retry_answer(organizer, mail, notice=T_("The mail to %(to)s is queued again and will be sent now.",
                                                                to=mail.to))
    # the last database work of the request: delivery starts in another thread after it
    db.session.commit()
    return response


def _retry_answer(organizer, mail: OutboxEmail, *, notice: str | None = None, error: str | None = None):
    if not is_htmx():
        flash(translated(error or notice), "danger" if error else "success")
        return redirect(url_for(".mail_detail", organizer=organizer.slug, mail_id=mail.id), 303)
    html = render_template("outbox/_status.html", mail=mail, may_retry=True, retryable=RETRYABLE,
                           delivery=delivery_enabled(), notice=notice, error=error)
    return html, 422 if error else 200
