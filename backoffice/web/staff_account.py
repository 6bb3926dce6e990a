"""The page behind an invitation link: the invited person sets their password (no login).

As for customers' links (account.py): opening the link only shows the form, so mail scanners
that fetch links do not use it up; the link is spent when the password is set.
"""
from __future__ import annotations

from flask import Blueprint

from ..domain import invitations
from .account import organizer_or_404, password_link_view

bp = Blueprint("public_staff_account", __name__)


@bp.route("/<organizer>/team/join/<token>", methods=["GET", "POST"])
def set_password(organizer, token):
    return password_link_view(organizer_or_404(organizer), token, find=invitations.user_for_token,
                              save=invitations.set_password_with_token, holder_name="user",
                              form_template="teams/set_password.html", done_template="teams/password_set.html",
                              min_length=invitations.MIN_PASSWORD_LENGTH)
