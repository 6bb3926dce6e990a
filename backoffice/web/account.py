"""The customer-facing page behind a password-set link (no staff login).

Opening the link only shows the form, so mail scanners that fetch links do not use it up;
the link is spent when the customer sets a password.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField

from ..domain import customer_fields, customers
from ..domain.errors import DomainError, NotFound
from ..domain.models import Organizer
from ..extensions import db

bp = Blueprint("public_account", __name__)


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password")
    repeat = PasswordField("Repeat the password")


def organizer_or_404(slug: str) -> Organizer:
    organizer = db.session.scalar(select(Organizer).where(Organizer.slug == slug))
    if organizer is None:
        abort(404)
    return organizer


def link_page(template: str, status: int = 200, **context):
    response = render_template(template, **context), status
    # the token is in the URL: it must not travel on to other sites in a Referer header
    return (*response, {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})


@bp.route("/<organizer>/account/set-password/<token>", methods=["GET", "POST"])
def set_password(organizer, token):
    org = organizer_or_404(organizer)
    try:
        customer = customers.customer_for_token(org, token)
    except NotFound as e:
        return link_page("account/link_invalid.html", 404, organizer=org, message=e.message)
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        if form.password.data != form.repeat.data:
            error = "The two passwords are not the same."
        else:
            try:
                customers.set_password_with_token(organizer=org, token=token, password=form.password.data)
                db.session.commit()
            except DomainError as e:
                db.session.rollback()
                error = e.message
            else:
                return link_page("account/password_set.html", organizer=org)
    status = 422 if error else 200
    return link_page("account/set_password.html", status, organizer=org, customer=customer, form=form, error=error,
                 min_length=customer_fields.MIN_PASSWORD_LENGTH)
