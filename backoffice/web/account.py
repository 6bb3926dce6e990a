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
from ..domain.texts import T_
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
    return password_link_view(organizer_or_404(organizer), token, find=customers.customer_for_token,
                              save=customers.set_password_with_token, holder_name="customer",
                              form_template="account/set_password.html", done_template="account/password_set.html",
                              min_length=customer_fields.MIN_PASSWORD_LENGTH)


def password_link_view(org, token: str, *, find, save, holder_name: str, form_template: str, done_template: str,
                       min_length: int):
    """A one-time link's page: opening it only shows the form (mail scanners that fetch links do
    not use it up); setting the password spends it. `find(org, token)` gives who the link is for,
    `save(organizer=, token=, password=)` sets the password. Customers' and staff links share it."""
    try:
        holder = find(org, token)
    except NotFound as e:
        return link_page("account/link_invalid.html", 404, organizer=org, message=e.message)
    form = SetPasswordForm()
    error = None
    if form.validate_on_submit():
        if form.password.data != form.repeat.data:
            error = T_("The two passwords are not the same.")
        else:
            try:
                save(organizer=org, token=token, password=form.password.data)
                db.session.commit()
            except DomainError as e:
                db.session.rollback()
                error = e.message
            else:
                return link_page(done_template, organizer=org, email=holder.email)
    return link_page(form_template, 422 if error else 200, organizer=org, form=form, error=error,
                     min_length=min_length, **{holder_name: holder})
