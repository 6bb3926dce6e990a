"""Customers of an organizer: the list, the CSV export, the detail page and its inline actions.

Every action has one route. With htmx it answers with the partial of the region it changed
(plus the header and the history out of band); a refused action re-renders that partial with
the message and status 422. Without JavaScript the same routes redirect back to the detail page
with a flash message.
"""
from __future__ import annotations


from flask import (Blueprint, abort, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from ..domain import contact
from ..domain import customer_queries as queries
from ..domain import customer_fields, customers, search_index
from ..domain.errors import DomainError, NotFound
from ..domain.models import Customer
from ..domain.names import scheme_fields
from ..domain.permissions import Permission, visible_event_ids
from ..domain.texts import T_
from ..extensions import db
from ..i18n import N_, month_names, translated
from .access import can, current_actor, require
from .csv_export import csv_response
from .customer_forms import customer_form
from .errors import is_htmx
from .listing import ListArgs
from .templating import url_with

bp = Blueprint("customers", __name__)

CONSENT_LABELS = {"in": N_("opted in"), "out": N_("opted out"), "unknown": N_("not asked")}
FILTER_LABELS = {
    "query": N_("Search"), "email": N_("Email"), "active": N_("Active"), "verified": N_("Verified"),
    "anonymized": N_("Anonymized"), "joined_from": N_("Joined from"), "joined_to": N_("Joined until"),
    "modified_from": N_("Changed from"), "modified_to": N_("Changed until"), "booking_date_from": N_("Ordered from"),
    "booking_date_to": N_("Ordered until"), "consent": N_("Marketing"), "consent_from": N_("Consent from"),
    "consent_to": N_("Consent until"),
}


@bp.app_template_global()
def order_link(order) -> str | None:
    """The order's back-office page, when the orders blueprint offers one."""
    try:
        return url_for("orders.detail", organizer=g.organizer.slug, event=order.event.slug, code=order.code)
    except BuildError:
        return None


@bp.app_template_global()
def country_choices() -> list[tuple[str, str]]:
    """(ISO code, name) of every country, for country selects."""
    return contact.country_choices()


@bp.app_template_filter()
def country_name(code: str | None) -> str:
    return contact.country_name(code)


@bp.app_template_filter()
def consent_label(customer: Customer) -> str:
    return {None: "not asked", True: "opted in", False: "opted out"}[customer.marketing_consent]


def _customer_or_404(organizer, identifier: str, for_update: bool = False) -> Customer:
    try:
        return customers.get_customer(organizer, identifier, for_update=for_update)
    except NotFound:
        abort(404)


# --- the list ----------------------------------------------------------------------------------

def _chips(f: queries.CustomerFilters) -> list[tuple[str, str]]:
    """(label, URL without that filter) for every active filter."""
    chips = []
    for name, value in f.active_filters().items():
        url_name = queries.URL_NAMES[name]
        if name == "tags":
            for tag in value:
                chips.append((gettext("Tag: %(tag)s", tag=tag), url_with(tag=[t for t in value if t != tag] or None)))
            continue
        if name == "dob_months":
            months = month_names()
            label = gettext("Born in %(months)s", months=", ".join(months[m - 1] for m in value))
        elif name == "consent":
            label = f"{translated(FILTER_LABELS[name])}: {translated(CONSENT_LABELS[value])}"
        elif isinstance(value, bool):
            label = f"{translated(FILTER_LABELS[name])}: {gettext('yes') if value else gettext('no')}"
        else:
            label = f"{translated(FILTER_LABELS[name])}: {value}"
        chips.append((label, url_with(**{url_name: None})))
    return chips


def _list_context(organizer) -> dict:
    args = ListArgs(request.args, tz=organizer.timezone)
    filters = queries.read_filters(args)
    page = queries.customers_page(organizer, filters, args.page())
    suggestions = (search_index.suggest_names(Customer, filters.query, Customer.organizer_id == organizer.id)
                   if filters.query and not page.total else [])
    return dict(filters=filters, page=page, notices=args.notices, chips=_chips(filters), suggestions=suggestions,
                all_tags=customers.organizer_tags(organizer), months=month_names(),
                sort_given="sort" in request.args, export_url=_export_url(organizer))


def _export_url(organizer) -> str:
    """The CSV of exactly what the list shows (all pages)."""
    args = {key: values for key, values in request.args.lists() if key != "page"}
    return url_for(".export_csv", organizer=organizer.slug, **args)


def _list_response(html: str) -> Response:
    response = Response(html, mimetype="text/html")
    # the same URL answers with a fragment or a whole page: caches must keep them apart
    response.vary.update(["HX-Request", "HX-Target"])
    return response


@bp.get("/<organizer>/customers/")
@require(Permission.VIEW_CUSTOMERS)
def customer_list(organizer):
    context = _list_context(organizer)
    if is_htmx() and not request.headers.get("HX-History-Restore-Request"):
        target = request.headers.get("HX-Target")
        if target == "customer-results":
            return _list_response(render_template("customers/_results.html", **context))
        if target == "customer-list":
            return _list_response(render_template("customers/_list.html", **context))
    return _list_response(render_template("customers/list.html", **context))


# --- CSV export --------------------------------------------------------------------------------

CSV_COLUMNS = ["identifier", "external_identifier", "email", "phone", "name"]
CSV_TAIL = ["is_active", "is_verified", "last_login", "date_joined", "locale", "last_modified", "notes",
            "company", "street", "address_line2", "zipcode", "city", "state", "country", "date_of_birth",
            "tags", "marketing_consent", "marketing_opted_in_at", "marketing_opted_out_at", "anonymized_at"]
def _csv_row(c: Customer, name_keys: list[str]) -> list[str]:
    consent = {None: "", True: "opted_in", False: "opted_out"}[c.marketing_consent]
    values = [c.identifier, c.external_identifier, c.email, c.phone, c.name]
    values += [(c.name_parts or {}).get(key) for key in name_keys]
    values += [c.is_active, c.is_verified, c.last_login, c.date_joined, c.locale, c.last_modified, c.notes,
               c.company, c.street, c.address_line2, c.zipcode, c.city, c.state, c.country, c.date_of_birth,
               ", ".join(c.tags), consent, c.marketing_opted_in_at, c.marketing_opted_out_at, c.anonymized_at]
    return values


@bp.get("/<organizer>/customers/export.csv")
@require(Permission.VIEW_CUSTOMERS)
def export_csv(organizer):
    filters = queries.read_filters(ListArgs(request.args, tz=organizer.timezone))
    stmt = queries.customers_statement(organizer, filters).execution_options(yield_per=1000)
    name_keys = [key for key, _ in scheme_fields(organizer.name_scheme)]
    header = CSV_COLUMNS + [f"name_parts.{k}" for k in name_keys] + CSV_TAIL

    def rows():
        yield header
        for partition in db.session.scalars(stmt).partitions():
            yield from (_csv_row(customer, name_keys) for customer in partition)

    return csv_response(f"customers-{organizer.slug}.csv", rows())


# --- create ------------------------------------------------------------------------------------

def _apply_error(form, e: DomainError) -> str | None:
    """Put each of the error's field messages next to its field; returns what belongs to no field."""
    if e.code == "stale":
        return e.message
    leftover = []
    for name, message in (e.errors or {None: e.message}).items():
        field = form.field_for(name)
        if field is None:
            leftover.append(message)
        else:
            field.errors = list(field.errors) + [message]
    return " ".join(leftover) or None


@bp.route("/<organizer>/customers/new", methods=["GET", "POST"])
@require(Permission.CHANGE_CUSTOMERS)
def create(organizer):
    form = customer_form(organizer)
    error = None
    if form.validate_on_submit():
        tags = [t for t in (form.tags.data or "").split(",") if t.strip()]
        try:
            customer = customers.create_customer(
                organizer=organizer, actor=current_actor(), password=form.password.data or None,
                tags=tags, send_email=form.send_email.data, **form.values())
        except DomainError as e:
            db.session.rollback()
            error = _apply_error(form, e)
        else:
            message = gettext("Customer %(identifier)s created.", identifier=customer.identifier)
            if form.send_email.data:
                message += " " + gettext("An activation email was sent to %(email)s.", email=customer.email)
            flash(message, "success")
            response = redirect(url_for(".detail", organizer=organizer.slug, identifier=customer.identifier), 303)
            _commit()
            return response
    status = 422 if request.method == "POST" else 200
    return render_template("customers/new.html", form=form, error=error), status


# --- detail ------------------------------------------------------------------------------------

def _detail_context(customer: Customer, **extra) -> dict:
    # only orders of events the reader may see orders of; the others are just counted
    event_ids = visible_event_ids(g.teams, customer.organizer, Permission.VIEW_ORDERS)
    orders, totals = customers.customer_orders(customer, event_ids=event_ids)
    shown = orders[:customers.MAX_ORDERS_SHOWN]
    return dict(customer=customer, orders=shown, order_totals=totals,
                more_orders=len(orders) > customers.MAX_ORDERS_SHOWN,
                hidden_orders=customers.count_hidden_orders(customer, event_ids),
                entries=customers.customer_history(customer), all_tags=customers.organizer_tags(customer.organizer),
                scheme=scheme_fields(customer.organizer.name_scheme),
                may_change=can(Permission.CHANGE_CUSTOMERS), **extra)


@bp.get("/<organizer>/customers/<identifier>/")
@require(Permission.VIEW_CUSTOMERS)
def detail(organizer, identifier):
    customer = _customer_or_404(organizer, identifier)
    return render_template("customers/detail.html", **_detail_context(customer))


def _panel(template: str, customer: Customer, *, status: int = 200, also: tuple[str, ...] = (), **context):
    """One region of the detail page; on success also the header, history and the regions
    in `also` (which the change affects too), out of band."""
    common = dict(customer=customer, may_change=True, scheme=scheme_fields(customer.organizer.name_scheme))
    html = render_template(template, **common, **context)
    if status != 200:
        return html, status
    if template != "customers/_header.html":
        html += render_template("customers/_header.html", oob=True, **common)
    for other in also:
        html += render_template(other, oob=True, **common)
    html += render_template("customers/_history_panel.html", oob=True, entries=customers.customer_history(customer))
    html += render_template("outbox/_object_mails.html", oob=True, mail_object=customer)
    return html, status


def _done(customer: Customer, message: str):
    """After a plain (non-htmx) post: back to the detail page with the message."""
    flash(translated(message), "success")
    return redirect(url_for(".detail", organizer=customer.organizer.slug, identifier=customer.identifier), 303)


def _refused(customer: Customer, e: DomainError):
    flash(translated(e.message), "danger")
    return redirect(url_for(".detail", organizer=customer.organizer.slug, identifier=customer.identifier), 303)


def _action(organizer, identifier: str, template: str, change, success: str, also: tuple[str, ...] = (),
            **context):
    """Run `change(customer)` for an inline action and answer with `template`."""
    customer = _customer_or_404(organizer, identifier, for_update=True)
    try:
        result = change(customer)
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        if not is_htmx():
            return _refused(customer, e)
        customer = _customer_or_404(organizer, identifier)
        return _panel(template, customer, status=422, error=e.message, **context)
    message = success(result) if callable(success) else success
    response = (_done(customer, message) if not is_htmx()
                else _panel(template, customer, notice=message, also=also, **context))
    _commit()
    return response


def _commit() -> None:
    """Commit as the last database work of a request. Mail delivery starts right after the
    commit in another thread; a transaction this request opened afterwards (SQLite takes the
    write lock for POSTs) would keep that thread from recording the result."""
    db.session.commit()


# --- edit --------------------------------------------------------------------------------------

@bp.get("/<organizer>/customers/<identifier>/edit")
@require(Permission.CHANGE_CUSTOMERS)
def edit(organizer, identifier):
    customer = _customer_or_404(organizer, identifier)
    if customer.is_anonymized:
        flash(gettext("This customer was anonymized; there is nothing to edit."), "info")
        return redirect(url_for(".detail", organizer=organizer.slug, identifier=identifier), 303)
    form = customer_form(organizer, customer)
    if is_htmx():
        return render_template("customers/_profile_form.html", customer=customer, form=form)
    return render_template("customers/edit.html", customer=customer, form=form)


@bp.get("/<organizer>/customers/<identifier>/profile")
@require(Permission.VIEW_CUSTOMERS)
def profile(organizer, identifier):
    """The read-only profile panel (what "Cancel" in the inline edit form goes back to)."""
    customer = _customer_or_404(organizer, identifier)
    return render_template("customers/_profile.html", customer=customer, may_change=can(Permission.CHANGE_CUSTOMERS),
                           scheme=scheme_fields(organizer.name_scheme))


@bp.post("/<organizer>/customers/<identifier>/edit")
@require(Permission.CHANGE_CUSTOMERS)
def save(organizer, identifier):
    customer = _customer_or_404(organizer, identifier)
    form = customer_form(organizer, customer)
    error = None
    stale = False
    if form.validate_on_submit():
        try:
            # update_customer locks the row and compares `seen` with it
            changed = customers.update_customer(customer, actor=current_actor(), seen_last_modified=form.seen.data,
                                                **form.values())
        except DomainError as e:
            db.session.rollback()
            stale = e.code == "stale"
            error = _apply_error(form, e)
        else:
            message = (T_("Saved: %(fields)s.", fields=", ".join(translated(customer_fields.LABELS.get(k, k))
                                                                 for k in changed))
                       if changed else T_("Nothing was changed."))
            response = (_done(customer, message) if not is_htmx()
                        else _panel("customers/_profile.html", customer, notice=message))
            _commit()
            return response
    customer = _customer_or_404(organizer, identifier)
    context = dict(customer=customer, form=form, error=error)
    if stale:
        # what the other person saved, beside what was typed; saving again applies the typed values
        form.seen.data = customer.last_modified.isoformat()
        context["differences"] = form.differences(customer)
    template = "customers/_profile_form.html" if is_htmx() else "customers/edit.html"
    return render_template(template, stale=stale, **context), 422


# --- inline actions ----------------------------------------------------------------------------

@bp.post("/<organizer>/customers/<identifier>/active")
@require(Permission.CHANGE_CUSTOMERS)
def set_active(organizer, identifier):
    active = request.form.get("active") == "1"

    def change(customer):
        return customers.set_active(customer, active=active, actor=current_actor())

    def success(changed):
        if not changed and active:
            return T_("The account was already active.")
        if not changed:
            return T_("The account was already blocked.")
        if active:
            return T_("Account activated.")
        return T_("Account blocked: the customer can no longer log in, and a password link sent earlier no longer "
                  "works.")
    # the account panel changes too: no password link for a blocked account
    return _action(organizer, identifier, "customers/_header.html", change, success,
                   also=("customers/_account.html",))


@bp.post("/<organizer>/customers/<identifier>/tags")
@require(Permission.CHANGE_CUSTOMERS)
def add_tag(organizer, identifier):
    def change(customer):
        return customers.add_tag(customer, tag=request.form.get("tag", ""), actor=current_actor())
    return _action(organizer, identifier, "customers/_tags.html", change,
                   lambda tag: T_("Tag “%(tag)s” added.", tag=tag),
                   all_tags=customers.organizer_tags(organizer), typed=request.form.get("tag", "")[:200])


@bp.post("/<organizer>/customers/<identifier>/tags/remove")
@require(Permission.CHANGE_CUSTOMERS)
def remove_tag(organizer, identifier):
    tag = request.form.get("tag", "")

    def change(customer):
        customers.remove_tag(customer, tag=tag, actor=current_actor())
    return _action(organizer, identifier, "customers/_tags.html", change, T_("Tag “%(tag)s” removed.", tag=tag),
                   all_tags=customers.organizer_tags(organizer))


@bp.post("/<organizer>/customers/<identifier>/password-link")
@require(Permission.CHANGE_CUSTOMERS)
def send_password_link(organizer, identifier):
    def change(customer):
        customers.send_password_link(customer, actor=current_actor())
        return customer.email
    return _action(organizer, identifier, "customers/_account.html", change,
                   lambda email: T_("A link to set a password was sent to %(email)s. Older links no longer work.",
                                    email=email))


@bp.get("/<organizer>/customers/<identifier>/anonymize")
@require(Permission.CHANGE_CUSTOMERS)
def confirm_anonymize(organizer, identifier):
    """The confirmation step: what will be erased, in numbers."""
    customer = _customer_or_404(organizer, identifier)
    context = dict(customer=customer, order_count=customers.count_orders(customer), may_change=True)
    if is_htmx():
        return render_template("customers/_anonymize_confirm.html", **context)
    return render_template("customers/anonymize.html", **context)


@bp.post("/<organizer>/customers/<identifier>/anonymize")
@require(Permission.CHANGE_CUSTOMERS)
def anonymize(organizer, identifier):
    customer = _customer_or_404(organizer, identifier, for_update=True)
    try:
        changed = customers.anonymize_customer(customer, actor=current_actor())
        db.session.flush()
    except DomainError as e:
        db.session.rollback()
        if not is_htmx():
            return _refused(customer, e)
        customer = _customer_or_404(organizer, identifier)
        html = render_template("customers/_anonymize.html", customer=customer, may_change=True, error=e.message)
        return html, 422, {"HX-Retarget": "#customer-anonymize", "HX-Reswap": "outerHTML"}
    message = (T_("Customer anonymized: personal data erased, orders detached.") if changed
               else T_("This customer was already anonymized; nothing was changed."))
    if not is_htmx():
        response = _done(customer, message)
    else:
        response = render_template("customers/_detail_body.html", notice=message, **_detail_context(customer))
    _commit()
    return response
