"""Emails: rendered into the outbox inside the business transaction, delivered after commit.

Delivery never undoes the change that caused the mail. Without MAIL_SERVER the mails stay in
the outbox (status "kept") to be read in the back office; with it they go out over SMTP, and
failures are retried with a growing delay (`flask outbox-send` runs the due ones).
"""
from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app, has_request_context, render_template, request
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from . import i18n
from .config import DEFAULT_BASE_URL
from .extensions import db
from .domain.models import OutboxEmail, OutboxStatus, utcnow
from .domain.tx import immediate

MAX_ATTEMPTS = 6
SMTP_TIMEOUT = 15


def absolute_url(path: str) -> str:
    """A link for mails and the API: BASE_URL + path.

    Without a configured BASE_URL, links point where the request came to (the host and port the
    server was started with and reached at); outside a request, to the development default.
    """
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/") + path
    if has_request_context():
        return request.host_url.rstrip("/") + path
    return DEFAULT_BASE_URL + path


#: shown in the outbox in place of a secret link; the recipient's copy has the link itself
HIDDEN = "[hidden: only the recipient has this link]"


def queue_mail(*, to: str, template: str, context: dict, organizer_id: int | None = None,
               obj=None, language: str | None = None) -> OutboxEmail:
    """Render `templates/mail/<template>.txt` (first line 'Subject: …') into the outbox.

    The mail speaks `language`, else the language of the order or customer it is about (see
    i18n.language_of), else that of the staff user it is for: texts, money and times alike.
    A template marks a secret link with `{{ secret(link) }}`: staff read the mail with the link
    hidden, and the link itself is kept only until the mail is delivered.
    """
    secrets: list[str] = []

    def secret(value):
        secrets.append(str(value))
        return value

    lang = language or recipient_language(obj, context)
    with i18n.language(lang):
        text = render_template(f"mail/{template}.txt", **context, secret=secret)
    first, _, body = text.lstrip().partition("\n")
    subject = first.removeprefix("Subject:").strip()
    body = body.strip() + "\n"
    shown = hide_secrets(body, secrets)
    mail = OutboxEmail(
        to=to, subject=subject[:255], body=shown, body_to_send=body if shown != body else None,
        template=template, organizer_id=organizer_id,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=obj.id if obj is not None else None,
        event_id=getattr(obj, "event_id", None),
        status=OutboxStatus.QUEUED if delivery_enabled() else OutboxStatus.KEPT,
        next_attempt=utcnow(),
    )
    db.session.add(mail)
    db.session.flush()
    db.session.info.setdefault("outbox_queued", []).append(mail.id)
    return mail


def recipient_language(obj, context: dict) -> str:
    if obj is not None:
        return i18n.language_of(obj)
    user, organizer = context.get("user"), context.get("organizer")
    return i18n.mail_language(getattr(user, "locale", None), getattr(organizer, "default_locale", None))


def hide_secrets(text: str, secrets: list[str]) -> str:
    """`text` with each secret replaced; a link keeps its path up to the secret part."""
    for value in sorted(set(secrets), key=len, reverse=True):
        if not value:
            continue
        head, slash, _ = value.rstrip("/").rpartition("/")
        text = text.replace(value, f"{head}{slash}{HIDDEN}" if "://" in value else HIDDEN)
    return text


def delivery_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _send_smtp(mail: "_Claimed", config) -> None:
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=SMTP_TIMEOUT) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


#: How long a claimed mail is left alone by other senders before it counts as abandoned.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class _Claimed:
    """What sending needs, copied out so that no database read happens while sending."""
    id: int
    to: str
    subject: str
    body: str


def _claim(ids: list[int] | None, now: datetime) -> list[_Claimed]:
    """Take the due mails for this sender in one short write transaction.

    Moving `next_attempt` past the lease is the claim: another server (or the next cron run)
    does not pick them up while they are being sent, and a sender that dies mid-way only delays
    its mails by the lease.
    """
    with immediate():
        stmt = select(OutboxEmail).where(OutboxEmail.status == OutboxStatus.QUEUED,
                                         or_(OutboxEmail.next_attempt.is_(None), OutboxEmail.next_attempt <= now))
        if ids is not None:
            stmt = stmt.where(OutboxEmail.id.in_(ids))
        if db.session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update(skip_locked=True)
        mails = list(db.session.scalars(stmt.order_by(OutboxEmail.id)))
        claimed = []
        for mail in mails:
            mail.attempts += 1
            mail.next_attempt = now + CLAIM_LEASE
            claimed.append(_Claimed(mail.id, mail.to, mail.subject, mail.body_to_send or mail.body))
        db.session.commit()
    return claimed


def _record(mail_id: int, error: str | None, now: datetime) -> None:
    with immediate():
        mail = db.session.get(OutboxEmail, mail_id)
        if error is None:
            mail.status = OutboxStatus.SENT
            mail.sent_at = utcnow()
            mail.last_error = None
            mail.body_to_send = None  # from now on only the recipient has the secret link
        else:
            mail.last_error = error[:2000]
            if mail.attempts >= MAX_ATTEMPTS:
                mail.status = OutboxStatus.FAILED
            else:
                mail.next_attempt = now + timedelta(minutes=2 ** mail.attempts)
        db.session.commit()


def deliver(ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Send queued mails (the given ones, or all that are due). Returns how many went out.

    No transaction is open while talking to the SMTP server, so a slow server never holds
    SQLite's write lock and a failed write can never make a sent mail look unsent.
    """
    if not delivery_enabled():
        return 0
    now = now or utcnow()
    sent = 0
    for mail in _claim(ids, now):
        try:
            _send_smtp(mail, current_app.config)
        except (OSError, smtplib.SMTPException) as e:
            error = f"{type(e).__name__}: {e}"
            current_app.logger.warning("mail %s to %s failed: %s", mail.id, mail.to, error)
        else:
            error = None
            sent += 1
        _record(mail.id, error, now)
    return sent


def retry(mail: OutboxEmail) -> None:
    """Put a failed or kept mail back into the queue."""
    if mail.status == OutboxStatus.FAILED:
        mail.attempts = 0
    mail.status = OutboxStatus.QUEUED
    mail.next_attempt = utcnow()
    db.session.info.setdefault("outbox_queued", []).append(mail.id)


def _deliver_in_background(app, ids: list[int]) -> None:
    def run():
        with app.app_context():
            try:
                deliver(ids)
            finally:
                db.session.remove()
    thread = threading.Thread(target=run, name="mail-delivery", daemon=True)
    thread.start()
    app.extensions.setdefault("mail_threads", []).append(thread)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    ids = session.info.pop("outbox_queued", None)
    if ids and delivery_enabled():
        _deliver_in_background(current_app._get_current_object(), ids)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop("outbox_queued", None)


def wait_for_delivery(app, timeout: float = 10) -> None:
    """Join delivery threads (tests and CLI)."""
    for thread in app.extensions.get("mail_threads", []):
        thread.join(timeout)
    app.extensions["mail_threads"] = []
