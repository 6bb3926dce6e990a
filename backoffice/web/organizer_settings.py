"""The organizer's settings page: name, names of people, time zone, currency and language of new
events, invoice issuer.

For the people who manage the team. A refused save shows the form again with what was typed and
a message next to each refused field (422); a stale save (someone else saved in between) shows
the values now saved, and keeps the typed ones so that saving again replaces them.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from ..domain import audit, organizer_settings as settings
from ..domain.errors import DomainError
from ..domain.models import Organizer
from ..domain.permissions import Permission
from ..extensions import db
from ..i18n import N_, in_sentence, words
from .access import current_actor, require

bp = Blueprint("organizer_settings", __name__)

HISTORY_ACTIONS = {"organizer.settings_changed", "organizer.created"}
#: the labels of domain/organizer_settings.py, here so that the catalogue holds them; shown translated
LABEL_WORDS = (N_("Name"), N_("Names of people"), N_("Time zone"), N_("Currency"), N_("Default language"),
               N_("Issuer name"), N_("Issuer address"), N_("VAT ID"), N_("One field: the full name"),
               N_("Two fields: given name and family name"))


def phrase(field: str) -> str:
    """The field's label inside a sentence, in the page's language ("the issuer name")."""
    return in_sentence(settings.LABELS[field])


def _context(organizer: Organizer, typed: dict, **extra) -> dict:
    entries = [e for e in audit.history(organizer, limit=400) if e.action_type in HISTORY_ACTIONS][:50]
    return dict(typed=typed, errors={}, labels=words(settings.LABELS), phrase=phrase,
                scheme_labels=words(settings.SCHEME_LABELS), timezones=sorted(settings.timezones()),
                saved=settings.current_values(organizer), currencies=settings.currencies(),
                languages=settings.language_choices(), max_length=settings.MAX_LENGTH, entries=entries, **extra)


def _typed() -> dict:
    return {field: request.form.get(field, "") for field in settings.FIELDS}


@bp.route("/<organizer>/settings/", methods=["GET", "POST"])
@require(Permission.MANAGE_TEAM)
def settings_page(organizer):
    if request.method == "GET":
        return render_template("organizer/settings.html", seen=settings.version(organizer),
                               **_context(organizer, settings.current_values(organizer)))
    typed = _typed()
    try:
        changed = settings.update_settings(organizer, actor=current_actor(),
                                           seen_last_modified=request.form.get("seen", ""), **typed)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        stale = e.code == "stale"
        # after a stale refusal, saving again applies what was typed over the newer values
        seen = settings.version(organizer) if stale else request.form.get("seen", "")
        context = _context(organizer, typed, error=e.message, stale=stale, seen=seen)
        context["errors"] = e.errors
        return render_template("organizer/settings.html", **context), 422
    if changed:
        flash(gettext("Settings saved: %(fields)s.", fields=", ".join(phrase(f) for f in changed)), "success")
    else:
        flash(gettext("Nothing was changed."), "success")
    response = redirect(url_for(".settings_page", organizer=organizer.slug), 303)
    db.session.commit()
    return response
