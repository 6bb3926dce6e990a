"""Creating an organizer in the browser: the first start of an empty install, and more
organizers later (the rule is in domain/organizers_setup.py).

A refused form shows again with what was typed and each message next to its field (422).
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import login_required

from ..domain import organizer_settings as settings, organizers_setup as setup
from ..domain.errors import DomainError
from ..extensions import db
from ..i18n import N_, words
from .access import current_actor

bp = Blueprint("first_start", __name__)

LABELS = {**settings.LABELS, "slug": N_("Short name")}


def _render(typed: dict, status: int = 200, error: str | None = None, errors: dict | None = None):
    first = not setup.any_organizer()
    return render_template("organizer/new.html", typed=typed, errors=errors or {}, error=error, first=first,
                           labels=words(LABELS), scheme_labels=words(settings.SCHEME_LABELS),
                           max_length=settings.MAX_LENGTH,
                           timezones=sorted(settings.timezones()), currencies=settings.currencies(),
                           languages=settings.language_choices()), status


@bp.route("/organizers/new", methods=["GET", "POST"])
@login_required
def create_organizer():
    actor = current_actor()
    if not setup.may_create_organizer(actor):
        abort(403)
    if request.method == "GET":
        return _render(setup.default_values())
    typed = {field: request.form.get(field, "") for field in setup.SETUP_FIELDS}
    try:
        organizer = setup.create_organizer(actor=actor, **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        if e.status == 403:
            abort(403)
        return _render(typed, 422, e.message, e.errors)
    slug = organizer.slug
    # the team's name is stored as it is, so it is shown as it is
    flash(gettext("Organizer “%(name)s” created. You are in its team “%(team)s”. Next: create the first event.",
                  name=organizer.name, team=setup.ADMIN_TEAM), "success")
    db.session.commit()
    return redirect(url_for("main.organizer", organizer=slug), 303)
