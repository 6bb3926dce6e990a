"""The page behind an invitation link: the invited person sets their password (no login).

As for customers' links (account.py): opening the link only shows the form, so mail scanners
that fetch links do not use it up; the link is spent when the password is set.
"""
from __future__ import annotations

from flask import Blueprint

from ..domain import invitations
from ..domain.errors import DomainError, NotFound
from ..extensions import db
from .account import SetPasswordForm, organizer_or_404, link_page

bp = Blueprint("public_staff_account", __name__)


@bp.route("/<organizer>/team/join/<token>", methods=["GET", "POST"])
def set_password(organizer, token):
    org = organizer_or_404(organizer)
    try:
        user = invitations.user_for_token(org, token)
    except NotFound as e:
        return link_page("account/link_invalid.html", 404, organizer=org, message=e.message)
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        if form.password.data != form.repeat.data:
            error = "The two passwords are not the same."
        else:
            try:
                invitations.set_password_with_token(organizer=org, token=token, password=form.password.data)
                db.session.commit()
            except DomainError as e:
                db.session.rollback()
                error = e.message
            else:
                return link_page("teams/password_set.html", organizer=org, email=user.email)
    status = 422 if error else 200
    return link_page("teams/set_password.html", status, organizer=org, user=user, form=form, error=error,
                 min_length=invitations.MIN_PASSWORD_LENGTH)
