"""One place that turns errors into what the user sees.

Convention for htmx actions: a view catches the DomainError of its action and re-renders its
own partial with the message next to the button (status 422, which htmx is configured to
swap). A DomainError a view does not catch ends here: the transaction is rolled back; an htmx
request gets the message in the page's `#messages` region (HX-Retarget), a plain request gets a
flash message and a redirect back.

Text containing a NUL character is refused before any view runs: no field has a use for it, and
PostgreSQL cannot store it or even compare with it (so a search for it would fail, not find
nothing). Dates, numbers and amounts are read by backoffice.domain.parsing.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from ..domain.errors import DomainError
from ..domain.parsing import contains_nul
from ..extensions import db
from ..i18n import N_, translated


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def message_fragment(message: str, category: str = "danger", status: int = 422):
    html = render_template("_message.html", message=message, category=category)
    return html, status, {"HX-Retarget": "#messages", "HX-Reswap": "afterbegin"}


NUL_MESSAGE = N_("What you sent contains a NUL character (\\0), which no field accepts. "
                 "Remove it (it usually comes from copying out of another program) and try again.")


def request_contains_nul() -> bool:
    """Whether the path, the query, a form field (name or value) or a JSON body holds a NUL."""
    if "\x00" in request.path:
        return True
    pairs = list(request.args.items(multi=True))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        pairs += list(request.form.items(multi=True))
        pairs += [(name, f.filename or "") for name, f in request.files.items(multi=True)]
        if request.is_json and contains_nul(request.get_json(silent=True)):
            return True
    return any("\x00" in name or "\x00" in value for name, value in pairs)


def refuse_nul():
    """Before every view: answer 400 with a message when the request holds a NUL character."""
    if not request_contains_nul():
        return None
    if is_htmx():
        return message_fragment(NUL_MESSAGE, status=400)
    return render_template("error.html", status=400, title=N_("Invalid characters"), message=NUL_MESSAGE), 400


def init_app(app) -> None:
    app.before_request(refuse_nul)

    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        db.session.rollback()
        if is_htmx():
            return message_fragment(e.message)
        flash(translated(e.message), "danger")
        return redirect(request.referrer or url_for("main.index"), 303)

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        db.session.rollback()
        message = N_("The form was sent without a valid security token. Reload the page and try again.")
        if is_htmx():
            return message_fragment(message, status=400)
        return render_template("error.html", status=400, title=N_("Form expired"), message=message), 400

    def page(status: int, title: str, message: str):
        def handler(e):
            db.session.rollback()
            if is_htmx():
                return message_fragment(message, status=status)
            return render_template("error.html", status=status, title=title, message=message), status
        return handler

    app.register_error_handler(403, page(403, N_("Not allowed"), N_("You do not have permission to do this.")))
    app.register_error_handler(404, page(404, N_("Not found"),
                                         N_("There is nothing at this address, or you may not see it.")))
    app.register_error_handler(405, page(405, N_("Not allowed"),
                                         N_("This address does not accept this kind of request.")))
    app.register_error_handler(413, page(413, N_("Too large"), N_("What you sent is too large.")))
    app.register_error_handler(500, page(500, N_("Something went wrong"),
                                         N_("The error was logged. Nothing was changed; try again.")))
