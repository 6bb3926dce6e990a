"""Quotas of an event: the list with sold, pending and free right now (the counting the order
actions use), a form for a new one, edit (a warning when it now holds less than is sold), delete."""
from __future__ import annotations

from flask import flash, render_template, request, url_for

from ...domain import items, quotas
from ...domain.errors import DomainError
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ...i18n import translated
from ..access import current_actor, require
from . import bp
from .common import found, history, refusal_context, saved

FIELDS = ("name", "size", "unlimited", "subevent_id")
MULTI = ("items", "variations")
NEW = {"name": "", "size": "", "unlimited": "", "subevent_id": "", "items": [], "variations": []}


def _list_url(event) -> str:
    return url_for("products.quota_list", organizer=event.organizer.slug, event=event.slug)


def _typed() -> dict:
    typed = {name: request.form.get(name, "") for name in FIELDS}
    for name in MULTI:
        typed[name] = request.form.getlist(name)
    return typed


def _shown(quota) -> dict:
    values = quotas.current_values(quota)
    return {"name": values["name"], "size": "" if values["size"] is None else str(values["size"]),
            "unlimited": "on" if values["size"] is None else "", "subevent_id": values["subevent_id"] or "",
            "items": [str(i) for i in values["items"]], "variations": [str(v) for v in values["variations"]]}


def _form_context(event, quota, **extra) -> dict:
    context = dict(event=event, quota=quota, errors={}, products=items.list_items(event),
                   subevents=quotas.subevents_of(event))
    if quota is not None:
        context["usage"] = quotas.usages([quota])[quota.id]
        context["saved_values"] = _shown(quota)
    context.update(extra)
    return context


@bp.get("/<organizer>/events/<event>/quotas/")
@require(Permission.MANAGE_EVENTS)
def quota_list(organizer, event):
    all_quotas = quotas.list_quotas(event)
    return render_template("products/quotas.html", event=event, quotas=all_quotas, usages=quotas.usages(all_quotas),
                           entries=history(event, ("quota.",)))


@bp.route("/<organizer>/events/<event>/quotas/new", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def quota_new(organizer, event):
    if request.method == "GET":
        return render_template("products/quota_form.html", **_form_context(event, None, typed=NEW))
    typed = _typed()
    try:
        quota = quotas.create_quota(event, actor=current_actor(), **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("products/quota_form.html", **_form_context(event, None, typed=typed, error=e.message,
                                                                           errors=e.errors)), 422
    return saved(T_("Quota '%(name)s' created.", name=quota.name), _list_url(event))


@bp.route("/<organizer>/events/<event>/quotas/<quota_id>/", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def quota_edit(organizer, event, quota_id):
    quota = found(quotas.get_quota, event, quota_id)
    if request.method == "GET":
        return render_template("products/quota_form.html",
                               **_form_context(event, quota, typed=_shown(quota), seen=quotas.version(quota)))
    typed = _typed()
    seen = request.form.get("seen", "")
    try:
        changed, warning = quotas.update_quota(quota, actor=current_actor(), seen=seen, **typed)
        db.session.flush()
    except DomainError as e:
        context = refusal_context(e, seen=seen, current_seen=lambda: quotas.version(quota))
        return render_template("products/quota_form.html", **_form_context(event, quota, typed=typed, **context)), 422
    if warning:
        flash(translated(warning), "warning")
    return saved(T_("Quota '%(name)s' saved.", name=quota.name) if changed else T_("Nothing was changed."),
                 _list_url(event))


@bp.post("/<organizer>/events/<event>/quotas/<quota_id>/delete")
@require(Permission.MANAGE_EVENTS)
def quota_delete(organizer, event, quota_id):
    quota = found(quotas.get_quota, event, quota_id)
    name = quota.name
    try:
        quotas.delete_quota(quota, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("products/quota_form.html", **_form_context(
            event, quota, typed=_shown(quota), seen=quotas.version(quota), delete_error=e.message)), 422
    return saved(T_("Quota '%(name)s' deleted. Orders are unchanged.", name=name), _list_url(event))
