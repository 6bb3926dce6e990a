"""One place that turns errors into what the user sees.

Convention for htmx actions: a view catches the DomainError of its action and re-renders its
own partial with the message next to the button (status 422, which htmx is configured to
swap). A DomainError a view does not catch ends here: the transaction is rolled back; an htmx
request gets the message in the page's `#messages` region (HX-Retarget), a plain request gets a
flash message and a redirect back.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from ..domain.errors import DomainError
from ..extensions import db


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def message_fragment(message: str, category: str = "danger", status: int = 422):
    html = render_template("_message.html", message=message, category=category)
    return html, status, {"HX-Retarget": "#messages", "HX-Reswap": "afterbegin"}


def init_app(app) -> None:
    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        db.session.rollback()
        if is_htmx():
            return message_fragment(e.message)
        flash(e.message, "danger")
        return redirect(request.referrer or url_for("main.index"), 303)

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        db.session.rollback()
        message = "The form was sent without a valid security token. Reload the page and try again."
        if is_htmx():
            return message_fragment(message, status=400)
        return render_template("error.html", status=400, title="Form expired", message=message), 400

    def page(status: int, title: str, message: str):
        def handler(e):
            db.session.rollback()
            if is_htmx():
                return message_fragment(message, status=status)
            return render_template("error.html", status=status, title=title, message=message), status
        return handler

    app.register_error_handler(403, page(403, "Not allowed", "You do not have permission to do this."))
    app.register_error_handler(404, page(404, "Not found", "There is nothing at this address, or you may not see it."))
    app.register_error_handler(405, page(405, "Not allowed", "This address does not accept this kind of request."))
    app.register_error_handler(413, page(413, "Too large", "What you sent is too large."))
    app.register_error_handler(500, page(500, "Something went wrong",
                                         "The error was logged. Nothing was changed; try again."))
