"""Tax rules of an event: list with a form for a new one, edit, delete (refused while used)."""
from __future__ import annotations

from flask import render_template, request, url_for

from ...domain import tax_rules
from ...domain.errors import DomainError
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ..access import current_actor, require
from . import bp
from .common import found, history, refusal_context, saved

FIELDS = ("name", "rate", "price_includes_tax")
NEW = {"name": "", "rate": "", "price_includes_tax": "on"}


def _list_url(event) -> str:
    return url_for("products.tax_rule_list", organizer=event.organizer.slug, event=event.slug)


def _typed() -> dict:
    return {name: request.form.get(name, "") for name in FIELDS}


def _shown(rule) -> dict:
    values = tax_rules.current_values(rule)
    return {**values, "price_includes_tax": "on" if values["price_includes_tax"] else ""}


def _page(event, status: int = 200, **extra):
    rules = tax_rules.list_tax_rules(event)
    used = {rule.id: tax_rules.products_using(rule) for rule in rules}
    context = dict(event=event, rules=rules, used=used, typed=NEW, errors={},
                   entries=history(event, ("tax_rule.",)))
    context.update(extra)
    return render_template("products/tax_rules.html", **context), status


@bp.route("/<organizer>/events/<event>/tax-rules/", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def tax_rule_list(organizer, event):
    if request.method == "GET":
        return _page(event)
    typed = _typed()
    try:
        rule = tax_rules.create_tax_rule(event, actor=current_actor(), **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return _page(event, 422, typed=typed, error=e.message, errors=e.errors)
    return saved(T_("Tax rule '%(name)s' created.", name=rule.name), _list_url(event))


@bp.route("/<organizer>/events/<event>/tax-rules/<rule_id>/", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def tax_rule_edit(organizer, event, rule_id):
    rule = found(tax_rules.get_tax_rule, event, rule_id)
    if request.method == "GET":
        return render_template("products/tax_rule_form.html", event=event, rule=rule, typed=_shown(rule),
                               errors={}, seen=tax_rules.version(rule), saved_values=_shown(rule))
    typed = _typed()
    seen = request.form.get("seen", "")
    try:
        changed = tax_rules.update_tax_rule(rule, actor=current_actor(), seen=seen, **typed)
        db.session.flush()
    except DomainError as e:
        context = refusal_context(e, seen=seen, current_seen=lambda: tax_rules.version(rule))
        return render_template("products/tax_rule_form.html", event=event, rule=rule, typed=typed,
                               saved_values=_shown(rule), **context), 422
    return saved(T_("Tax rule '%(name)s' saved.", name=rule.name) if changed else T_("Nothing was changed."),
                 _list_url(event))


@bp.post("/<organizer>/events/<event>/tax-rules/<rule_id>/delete")
@require(Permission.MANAGE_EVENTS)
def tax_rule_delete(organizer, event, rule_id):
    rule = found(tax_rules.get_tax_rule, event, rule_id)
    name = rule.name
    try:
        tax_rules.delete_tax_rule(rule, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return _page(event, 422, error=e.message)
    return saved(T_("Tax rule '%(name)s' deleted.", name=name), _list_url(event))
