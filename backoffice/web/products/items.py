"""Products of an event: the list in their order (move up/down, on sale or not), a form for a new
one, the edit page with its variations, and deleting one nobody bought."""
from __future__ import annotations

from flask import render_template, request, url_for

from ...domain import item_variations, items
from ...domain.errors import DomainError
from ...domain.permissions import Permission
from ...domain.texts import T_
from ...extensions import db
from ..access import current_actor, require
from . import bp
from .common import found, history, refusal_context, saved

FIELDS = ("name", "default_price", "tax_rule_id", "admission", "requires_seat", "active", "is_addon", "addon_of_id")
FLAGS = ("admission", "requires_seat", "active", "is_addon")
NEW = {"name": "", "default_price": "", "tax_rule_id": "", "admission": "on", "requires_seat": "", "active": "on",
       "is_addon": "", "addon_of_id": ""}
VARIATION_FIELDS = ("value", "default_price", "active", "position")


def _list_url(event) -> str:
    return url_for("products.item_list", organizer=event.organizer.slug, event=event.slug)


def _edit_url(event, item) -> str:
    return url_for("products.item_edit", organizer=event.organizer.slug, event=event.slug, item_id=item.id)


def _typed() -> dict:
    return {name: request.form.get(name, "") for name in FIELDS}


def _shown(item) -> dict:
    values = items.current_values(item)
    shown = {k: ("" if v is None else v) for k, v in values.items()}
    for flag in FLAGS:
        shown[flag] = "on" if values[flag] else ""
    return shown


def _form_context(event, item, **extra) -> dict:
    context = dict(event=event, item=item, errors={}, tax_rules=items.tax_rule_choices(event),
                   main_items=[i for i in items.list_items(event) if not i.is_addon and (item is None or i.id != item.id)])
    if item is not None:
        context.update(variations=item.variations, saved_values=_shown(item),
                       variation_versions={v.id: item_variations.version(v) for v in item.variations},
                       variation_errors={}, quotas=items.quotas_of(item), questions=items.questions_of(item),
                       orders=items.orders_using(item))
    context.update(extra)
    return context


@bp.get("/<organizer>/events/<event>/products/")
@require(Permission.MANAGE_EVENTS)
def item_list(organizer, event):
    return render_template("products/items.html", event=event, items=items.list_items(event),
                           entries=history(event, ("item.",)))


@bp.route("/<organizer>/events/<event>/products/new", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def item_new(organizer, event):
    if request.method == "GET":
        return render_template("products/item_form.html", **_form_context(event, None, typed=NEW))
    typed = _typed()
    try:
        item = items.create_item(event, actor=current_actor(), **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("products/item_form.html", **_form_context(event, None, typed=typed, error=e.message,
                                                                          errors=e.errors)), 422
    return saved(T_("Product '%(name)s' created. Add variations below, or count it in a quota.", name=item.name),
                 _edit_url(event, item))


@bp.route("/<organizer>/events/<event>/products/<item_id>/", methods=["GET", "POST"])
@require(Permission.MANAGE_EVENTS)
def item_edit(organizer, event, item_id):
    item = found(items.get_item, event, item_id)
    if request.method == "GET":
        return render_template("products/item_form.html",
                               **_form_context(event, item, typed=_shown(item), seen=items.version(item)))
    typed = _typed()
    seen = request.form.get("seen", "")
    try:
        changed = items.update_item(item, actor=current_actor(), seen=seen, **typed)
        db.session.flush()
    except DomainError as e:
        context = refusal_context(e, seen=seen, current_seen=lambda: items.version(item))
        return render_template("products/item_form.html", **_form_context(event, item, typed=typed, **context)), 422
    message = (T_("Product '%(name)s' saved. Orders keep the prices they were sold at.", name=item.name) if changed
               else T_("Nothing was changed."))
    return saved(message, _edit_url(event, item))


@bp.post("/<organizer>/events/<event>/products/<item_id>/move")
@require(Permission.MANAGE_EVENTS)
def item_move(organizer, event, item_id):
    item = found(items.get_item, event, item_id)
    try:
        moved = items.move_item(item, actor=current_actor(), direction=request.form.get("direction", ""))
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return _list_refusal(event, e)
    if not moved:
        message = T_("'%(name)s' is already at the end.", name=item.name)
    elif request.form["direction"] == "up":
        message = T_("Moved '%(name)s' up.", name=item.name)
    else:
        message = T_("Moved '%(name)s' down.", name=item.name)
    return saved(message, _list_url(event))


@bp.post("/<organizer>/events/<event>/products/<item_id>/active")
@require(Permission.MANAGE_EVENTS)
def item_active(organizer, event, item_id):
    item = found(items.get_item, event, item_id)
    active = request.form.get("active") == "1"
    items.set_active(item, actor=current_actor(), active=active)
    message = (T_("'%(name)s' is on sale.", name=item.name) if active
               else T_("'%(name)s' is no longer on sale; orders keep it.", name=item.name))
    target = _edit_url(event, item) if request.form.get("back") == "edit" else _list_url(event)
    return saved(message, target)


@bp.post("/<organizer>/events/<event>/products/<item_id>/delete")
@require(Permission.MANAGE_EVENTS)
def item_delete(organizer, event, item_id):
    item = found(items.get_item, event, item_id)
    name = item.name
    try:
        items.delete_item(item, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("products/item_form.html", **_form_context(
            event, item, typed=_shown(item), seen=items.version(item), delete_error=e.message)), 422
    return saved(T_("Product '%(name)s' deleted.", name=name), _list_url(event))


def _list_refusal(event, error: DomainError):
    return render_template("products/items.html", event=event, items=items.list_items(event),
                           entries=history(event, ("item.",)), error=error.message), 422


# --- variations -----------------------------------------------------------------------------------------

def _variation_typed() -> dict:
    return {name: request.form.get(name, "") for name in VARIATION_FIELDS}


@bp.post("/<organizer>/events/<event>/products/<item_id>/variations/new")
@require(Permission.MANAGE_EVENTS)
def variation_new(organizer, event, item_id):
    item = found(items.get_item, event, item_id)
    typed = _variation_typed()
    typed.pop("position")
    try:
        variation = item_variations.add_variation(item, actor=current_actor(), **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("products/item_form.html", **_form_context(
            event, item, typed=_shown(item), seen=items.version(item), new_variation=typed,
            new_variation_error=e.message, new_variation_errors=e.errors)), 422
    return saved(T_("Variation '%(name)s' added to '%(item)s'.", name=variation.value, item=item.name),
                 _edit_url(event, item) + "#variations")


@bp.post("/<organizer>/events/<event>/products/<item_id>/variations/<variation_id>")
@require(Permission.MANAGE_EVENTS)
def variation_edit(organizer, event, item_id, variation_id):
    item = found(items.get_item, event, item_id)
    variation = found(item_variations.get_variation, item, variation_id)
    typed = _variation_typed()
    seen = request.form.get("seen", "")
    try:
        changed = item_variations.update_variation(variation, actor=current_actor(), seen=seen, **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        db.session.refresh(item)
        context = _form_context(event, item, typed=_shown(item), seen=items.version(item))
        context["variation_errors"] = {variation.id: e}
        context["variation_typed"] = {variation.id: typed}
        return render_template("products/item_form.html", **context), 422
    message = T_("Variation '%(name)s' saved.", name=variation.value) if changed else T_("Nothing was changed.")
    return saved(message, _edit_url(event, item) + "#variations")


@bp.post("/<organizer>/events/<event>/products/<item_id>/variations/<variation_id>/delete")
@require(Permission.MANAGE_EVENTS)
def variation_delete(organizer, event, item_id, variation_id):
    item = found(items.get_item, event, item_id)
    variation = found(item_variations.get_variation, item, variation_id)
    value = variation.value
    try:
        item_variations.delete_variation(variation, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        context = _form_context(event, item, typed=_shown(item), seen=items.version(item))
        context["variation_errors"] = {variation.id: e}
        return render_template("products/item_form.html", **context), 422
    return saved(T_("Variation '%(name)s' deleted.", name=value), _edit_url(event, item) + "#variations")
