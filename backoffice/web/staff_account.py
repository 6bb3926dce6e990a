"""Staff accounts: the page behind an invitation link, where the invited person sets their
password (no login), and the signed-in user's own account page, where they choose their language.

As for customers' links (account.py): opening the link only shows the form, so mail scanners
that fetch links do not use it up; the link is spent when the password is set.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, refresh
from flask_login import current_user, login_required

from ..domain import invitations, languages
from ..domain.errors import DomainError
from ..extensions import db
from .access import current_actor
from .account import organizer_or_404, password_link_view

bp = Blueprint("public_staff_account", __name__)


@bp.route("/<organizer>/team/join/<token>", methods=["GET", "POST"])
def set_password(organizer, token):
    return password_link_view(organizer_or_404(organizer), token, find=invitations.user_for_token,
                              save=invitations.set_password_with_token, holder_name="user",
                              form_template="teams/set_password.html", done_template="teams/password_set.html",
                              min_length=invitations.MIN_PASSWORD_LENGTH)


# --- the signed-in staff user's own account: their language ------------------------------------

own = Blueprint("my_account", __name__)


@own.route("/account", methods=["GET", "POST"])
@login_required
def account_page():
    user = current_user._get_current_object()
    if request.method == "GET":
        return render_template("account/staff.html", chosen=user.locale or "")
    typed = request.form.get("language", "")
    try:
        changed = languages.set_language(user, typed, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        return render_template("account/staff.html", chosen=typed, error=e.message), 422
    db.session.commit()
    refresh()  # the confirmation already speaks the new language
    flash(_("Your language is saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for(".account_page"), 303)
