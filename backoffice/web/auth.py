"""Staff login and logout."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..domain import staff
from ..domain.errors import DomainError
from ..domain.models import User
from ..extensions import db, login_manager
from ..i18n import N_

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
# flashed as it is; the message region translates it
login_manager.login_message = N_("Please log in to see this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session cookie, while the cookie's session version is still current
    (logging out or a new password raises it, so older cookies stop working)."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18 or len(version) > 18:
        return None
    user = staff.session_user(int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


def _safe_next(target: str | None) -> str:
    if target and urlparse(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = staff.authenticate(email=form.email.data, password=form.password.data,
                                      address=request.remote_addr or "unknown",
                                      threshold=current_app.config["LOGIN_THROTTLE_FAILURES"])
        except DomainError as e:
            db.session.commit()  # keep the failure record that slows down guessing
            error, status = e.message, (429 if isinstance(e, staff.TooManyAttempts) else 401)
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    # ends the session on the server too: a copy of the cookie is worthless from now on
    staff.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(gettext("You are logged out."), "info")
    return redirect(url_for("auth.login"))
