"""Creating and changing events, copying one, and the dates of a series.

Plain forms that work without JavaScript: a refused save shows the form again with what was
typed and the messages next to their fields (422); a stale save shows the values now saved and
keeps the typed ones, so that saving again replaces them. Permissions: see domain/events.py.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ..domain import audit, events as domain, events_dates as dates_domain, organizer_settings as settings
from ..domain.errors import DomainError, NotFound
from ..domain.models import Event, Organizer
from ..domain.permissions import Permission
from ..domain.providers import PROVIDERS
from ..domain.texts import T_
from ..extensions import db
from ..i18n import N_, in_sentence, translated, words
from .access import current_actor, require

bp = Blueprint("events", __name__)

EVENT_HISTORY = ("event.",)
#: the labels of domain/events.py LABELS, here so that the catalogue holds them; shown translated
LABEL_WORDS = (
    N_("Name"), N_("Short name"), N_("Start"), N_("End"), N_("Time zone"), N_("Location"), N_("Currency"),
    N_("Default language"), N_("Languages"), N_("Payment term in days"), N_("Payment methods"),
    N_("A series of dates"), N_("Orders need approval"), N_("Invoices"), N_("Ticket downloads"),
    N_("Ticket downloads for pending orders"), N_("Test mode"), N_("Seats"), N_("Attendee names required"),
    N_("Attendee emails required"),
)


# --- the event form ---------------------------------------------------------------------------------

def _local(moment: datetime | None, zone: str) -> str:
    """A moment as the value of a datetime-local field, in the event's zone."""
    if moment is None:
        return ""
    try:
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")
    except (KeyError, ValueError):
        return moment.strftime("%Y-%m-%dT%H:%M")


def _as_typed(values: dict) -> dict:
    """Saved values in the shape the form shows them."""
    typed = dict(values)
    typed["date_from"] = _local(values.get("date_from"), values["timezone"])
    typed["date_to"] = _local(values.get("date_to"), values["timezone"])
    typed["locales"] = ", ".join(values.get("locales") or [])
    typed["payment_term_days"] = str(values.get("payment_term_days", ""))
    typed["location"] = values.get("location") or ""
    return typed


def _saved_text(typed: dict) -> list[str]:
    """The saved values in words, for the message of a stale save."""
    lines = []
    for field in domain.FIELDS:
        value = typed[field]
        if isinstance(value, bool):
            text = gettext("yes") if value else gettext("no")
        elif isinstance(value, list):
            text = ", ".join(translated(PROVIDERS[p].name) if p in PROVIDERS else p for p in value) or gettext("none")
        else:
            text = str(value) or "—"
        lines.append(f"{in_sentence(domain.LABELS[field])} “{text}”")
    return lines


def _typed_from_request() -> dict:
    form = request.form
    typed = {field: form.get(field, "") for field in domain.FIELDS}
    typed["payment_providers"] = form.getlist("payment_providers")
    for switch in domain.SWITCHES:
        typed[switch] = form.get(switch) == "on"
    return typed


def _form_context(organizer: Organizer, typed: dict, **extra) -> dict:
    return dict(typed=typed, errors={}, labels=words(domain.LABELS), providers=PROVIDERS,
                timezones=sorted(settings.timezones()), currencies=settings.currencies(),
                languages=settings.language_choices(), max_length=domain.MAX_LENGTH, **extra)


def _sources(organizer: Organizer) -> list[Event]:
    return domain.manageable_events(g.teams, organizer)


@bp.route("/<organizer>/events/new", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def create_event(organizer):
    actor = current_actor()
    if not domain.may_create_event(actor, organizer):
        abort(403)
    source_slug = request.values.get("copy_from", "")
    source = None
    if source_slug:
        try:
            source = domain.get_event(organizer, source_slug)
        except NotFound:
            abort(404)
        if not domain.may_manage(actor, source):
            abort(404)
    if request.method == "GET":
        if source is not None:
            typed = _as_typed({**domain.current_values(source), "name": "", "slug": ""})
        else:
            typed = _as_typed(domain.default_values(organizer))
        return render_template("events/form.html", **_form_context(organizer, typed, source=source,
                                                                    sources=_sources(organizer)))
    typed = _typed_from_request()
    try:
        event = domain.create_event(organizer, actor=actor, values=typed, copy_from=source)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        if e.status == 403:
            abort(403)
        context = _form_context(organizer, typed, source=source, sources=_sources(organizer), error=e.message)
        context["errors"] = e.errors
        return render_template("events/form.html", **context), 422
    slug, name, series = event.slug, event.name, event.has_subevents
    parts = [T_("Event “%(name)s” created.", name=name)]
    if source is not None:
        parts.append(T_("Products, quotas and questions copied from “%(source)s”.", source=source.name))
    if series:
        parts.append(T_("Add the dates of the series next."))
    flash(" ".join(translated(part) for part in parts), "success")
    db.session.commit()
    # a series sells nothing before it has dates: go there first
    target = "events.dates" if series else "main.event"
    return redirect(url_for(target, organizer=organizer.slug, event=slug), 303)


def _history(event: Event) -> list:
    return [e for e in audit.history(event, limit=100) if e.action_type.startswith(EVENT_HISTORY)][:50]


@bp.route("/<organizer>/events/<event>/settings", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def edit_event(organizer, event):
    if request.method == "GET":
        return render_template("events/form.html", event=event, seen=domain.version(event), entries=_history(event),
                               has_orders=domain.has_orders(event),
                               **_form_context(organizer, _as_typed(domain.current_values(event))))
    typed = _typed_from_request()
    typed["slug"] = event.slug
    seen = request.form.get("seen", "")
    try:
        changed = domain.update_event(event, actor=current_actor(), values=typed, seen=seen)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        stale = e.code == "stale"
        context = _form_context(organizer, typed, event=event, error=e.message, stale=stale,
                                saved=_saved_text(_as_typed(domain.current_values(event))),
                                seen=domain.version(event) if stale else seen,
                                entries=_history(event), has_orders=domain.has_orders(event))
        context["errors"] = e.errors
        return render_template("events/form.html", **context), 422
    if changed:
        fields = ", ".join(in_sentence(domain.LABELS[f]) for f in changed)
        flash(gettext("Event saved: %(fields)s.", fields=fields), "success")
    else:
        flash(gettext("Nothing was changed."), "success")
    response = redirect(url_for(".edit_event", organizer=organizer.slug, event=event.slug), 303)
    db.session.commit()
    return response


# --- dates of a series ---------------------------------------------------------------------------------

def _dates_page(event: Event, typed: dict | None = None, status: int = 200, **extra):
    context = dict(event=event, dates=dates_domain.dates_of(event), tickets=dates_domain.order_counts(event),
                   typed=typed or {"name": "", "date_from": "", "date_to": ""}, errors={}, entries=_history(event))
    context.update(extra)
    return render_template("events/dates.html", **context), status


def _date_or_404(event: Event, subevent_id: str):
    try:
        return dates_domain.get_date(event, subevent_id)
    except NotFound:
        abort(404)


@bp.get("/<organizer>/events/<event>/dates/")
@require(Permission.MANAGE_EVENTS)
def dates(organizer, event):
    return _dates_page(event)


@bp.post("/<organizer>/events/<event>/dates/")
@require(Permission.MANAGE_EVENTS)
def add_date(organizer, event):
    typed = {field: request.form.get(field, "") for field in dates_domain.FIELDS}
    try:
        subevent = dates_domain.add_date(event, actor=current_actor(), **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return _dates_page(event, typed, 422, error=e.message, errors=e.errors)
    flash(gettext("Date “%(name)s” added.", name=subevent.name), "success")
    db.session.commit()
    return redirect(url_for(".dates", organizer=organizer.slug, event=event.slug), 303)


@bp.route("/<organizer>/events/<event>/dates/<subevent_id>/edit", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def edit_date(organizer, event, subevent_id):
    subevent = _date_or_404(event, subevent_id)

    def saved() -> dict:
        values = dates_domain.current_values(subevent)
        return {"name": values["name"], "date_from": _local(values["date_from"], event.timezone),
                "date_to": _local(values["date_to"], event.timezone)}

    if request.method == "GET":
        return render_template("events/date_form.html", event=event, subevent=subevent, typed=saved(), errors={},
                               seen=dates_domain.version(subevent))
    typed = {field: request.form.get(field, "") for field in dates_domain.FIELDS}
    seen = request.form.get("seen", "")
    try:
        changed = dates_domain.update_date(subevent, actor=current_actor(), seen=seen, **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        stale = e.code == "stale"
        return render_template("events/date_form.html", event=event, subevent=subevent, typed=typed,
                               errors=e.errors, error=e.message, stale=stale, saved=saved(),
                               seen=dates_domain.version(subevent) if stale else seen), 422
    flash(gettext("Date “%(name)s” saved.", name=subevent.name) if changed else gettext("Nothing was changed."),
          "success")
    db.session.commit()
    return redirect(url_for(".dates", organizer=organizer.slug, event=event.slug), 303)


@bp.post("/<organizer>/events/<event>/dates/<subevent_id>/active")
@require(Permission.MANAGE_EVENTS)
def set_date_active(organizer, event, subevent_id):
    subevent = _date_or_404(event, subevent_id)
    active = request.form.get("active") == "1"
    try:
        dates_domain.set_date_active(subevent, actor=current_actor(), active=active)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return _dates_page(event, status=422, error=e.message)
    if active:
        flash(gettext("Date “%(name)s” reactivated.", name=subevent.name), "success")
    else:
        flash(gettext("Date “%(name)s” deactivated: nothing more is sold for it, its orders stay.",
                      name=subevent.name), "success")
    db.session.commit()
    return redirect(url_for(".dates", organizer=organizer.slug, event=event.slug), 303)


@bp.route("/<organizer>/events/<event>/dates/<subevent_id>/delete", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def delete_date(organizer, event, subevent_id):
    subevent = _date_or_404(event, subevent_id)
    if request.method == "GET":
        return render_template("events/date_delete.html", event=event, subevent=subevent,
                               in_use=dates_domain.uses_of(subevent))
    name = subevent.name
    try:
        dates_domain.delete_date(subevent, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return _dates_page(event, status=422, error=e.message)
    flash(gettext("Date “%(name)s” deleted.", name=name), "success")
    db.session.commit()
    return redirect(url_for(".dates", organizer=organizer.slug, event=event.slug), 303)
