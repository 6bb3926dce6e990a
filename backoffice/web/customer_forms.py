"""Forms of the customer pages. They only read and type-convert input; the rules (lengths,
formats, uniqueness) are checked once, in backoffice.domain.customers, and its errors are put
next to the field they concern."""
from __future__ import annotations

from flask_babel import gettext
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateInput

from ..domain import contact
from ..domain.models import Customer, Organizer
from ..domain.names import scheme_fields
from ..domain.texts import T_
from ..i18n import N_, translated

CONSENT_CHOICES = [SelectChoice("", N_("not asked")), SelectChoice("in", N_("opted in")),
                   SelectChoice("out", N_("opted out"))]
CONSENT_VALUES = {"": None, "in": True, "out": False}


class CustomerForm(FlaskForm):
    email = EmailField(N_("Email"))
    phone = StringField(N_("Phone"))
    # the domain checks the value and explains a wrong one in its own words
    locale = SelectField(N_("Language"), validate_choice=False)
    company = StringField(N_("Company"))
    street = StringField(N_("Street"))
    address_line2 = StringField(N_("Address line 2"))
    zipcode = StringField(N_("Postal code"))
    city = StringField(N_("City"))
    state = StringField(N_("State"))
    # the domain checks the code; the select offers every country by name
    country = SelectField(N_("Country"), validate_choice=False)
    # read as text and checked by the domain, so a bad date is reported with the other mistakes
    date_of_birth = StringField(N_("Date of birth"), widget=DateInput())
    external_identifier = StringField(N_("External identifier"))
    notes = TextAreaField(N_("Notes"), description=N_("Internal; the customer never sees them"))
    is_verified = BooleanField(N_("Email address verified"))
    marketing_consent = SelectField(N_("Marketing consent"), choices=CONSENT_CHOICES, validate_choice=False)

    #: form field name -> customer field name; the name parts are added per scheme
    DOMAIN_FIELDS = ("email", "phone", "locale", "company", "street", "address_line2", "zipcode", "city",
                     "state", "country", "date_of_birth", "external_identifier", "notes", "is_verified",
                     "marketing_consent")

    def name_fields(self):
        return [self[f"name_{key}"] for key, _ in self.scheme]

    def values(self) -> dict:
        """The customer fields this form sets, ready for the domain functions."""
        values = {name: self[name].data for name in self.DOMAIN_FIELDS}
        values["marketing_consent"] = CONSENT_VALUES.get(values["marketing_consent"])
        values["name_parts"] = {key: self[f"name_{key}"].data or None for key, _ in self.scheme}
        return values

    def field_for(self, domain_field: str | None):
        """The form field a domain error belongs to (None: show it at the top)."""
        if domain_field == "name_parts":
            return self.name_fields()[0]
        if domain_field and domain_field in self._fields and domain_field not in ("csrf_token", "seen"):
            return self[domain_field]
        return None

    def visible_fields(self):
        return [f for f in self if f.type not in ("CSRFTokenField", "HiddenField")]

    def differences(self, customer: Customer) -> list[tuple[str, str, str]]:
        """(label, current value, value in the form) of every field where they differ."""
        current = _initial_data(customer, type(self))
        rows = []
        for f in self.visible_fields():
            if f.name not in current:
                continue
            now, typed = current[f.name], f.data
            if _same(now, typed):
                continue
            rows.append((f.label.text, _shown(f, now), _shown(f, typed)))
        return rows


def _same(a, b) -> bool:
    return (a if a not in ("", None) else None) == (b if b not in ("", None) else None) or str(a) == str(b)


def _shown(field, value) -> str:
    if value in (None, ""):
        return gettext("(empty)")
    if field.type == "BooleanField":
        return gettext("yes") if value else gettext("no")
    if field.type == "SelectField":
        return next((translated(c.label) for c in field.choices if c.value == value), str(value))
    return str(value)


class EditCustomerForm(CustomerForm):
    #: the customer's last_modified when the form was opened: a save from an older state is refused
    seen = HiddenField()


class CreateCustomerForm(CustomerForm):
    password = PasswordField(N_("Password"), description=N_("Optional. Stored hashed and never shown again."))
    tags = StringField(N_("Tags"), description=N_("Separated by commas"))
    send_email = BooleanField(N_("Send an activation email with a link to set a password"))

    DOMAIN_FIELDS = tuple(f for f in CustomerForm.DOMAIN_FIELDS if f != "is_verified")


def _with_name_fields(base: type[CustomerForm], scheme: str) -> type[CustomerForm]:
    fields = scheme_fields(scheme)
    attrs = {f"name_{key}": StringField(label) for key, label in fields}
    attrs["scheme"] = fields
    return type(f"{base.__name__}_{scheme}", (base,), attrs)


def _initial_data(customer: Customer, form_class: type[CustomerForm]) -> dict:
    data = {name: getattr(customer, name) for name in form_class.DOMAIN_FIELDS}
    data["marketing_consent"] = {None: "", True: "in", False: "out"}[customer.marketing_consent]
    data["date_of_birth"] = customer.date_of_birth.isoformat() if customer.date_of_birth else ""
    data["country"] = customer.country or ""
    for key, _ in form_class.scheme:
        data[f"name_{key}"] = (customer.name_parts or {}).get(key)
    return data


def _country_choices(current: str | None) -> list[SelectChoice]:
    choices = [SelectChoice("", "—")] + [SelectChoice(code, name) for code, name in contact.country_choices()]
    if current and current not in {c.value for c in choices}:
        choices.append(SelectChoice(current, current))  # an old value the list does not know
    return choices


def _phone_hint(organizer: Organizer) -> str:
    region = contact.default_region(organizer)
    if region is None:
        return T_("International format, e.g. +49 30 1234567")
    return T_("With the country code (+…), or as a number in %(country)s", country=contact.country_name(region))


def customer_form(organizer: Organizer, customer: Customer | None = None) -> CustomerForm:
    """The create form (no customer) or the edit form of `customer`, with the organizer's name
    fields and languages. On a POST it reads what was sent."""
    base = CreateCustomerForm if customer is None else EditCustomerForm
    form_class = _with_name_fields(base, organizer.name_scheme or "full")
    data = None
    if customer is not None:
        data = _initial_data(customer, form_class)
        data["seen"] = customer.last_modified.isoformat()
    form = form_class(data=data)
    form.locale.choices = [SelectChoice(code, code) for code in (organizer.locales or ["en"])]
    form.country.choices = _country_choices(form.country.data)
    form.marketing_consent.choices = [SelectChoice(c.value, translated(c.label)) for c in CONSENT_CHOICES]
    form.phone.description = _phone_hint(organizer)
    return form
