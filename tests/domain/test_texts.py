"""Domain sentences stay English where they are stored or sent by the API, and show in the
reader's language on a page."""
from __future__ import annotations

import pickle

from flask import render_template_string
from flask_babel import refresh

from backoffice import i18n
from backoffice.domain.errors import Invalid
from backoffice.domain.texts import T_, Text


def test_a_sentence_is_english_with_its_details_filled_in():
    text = T_("API token %(name)s", name="Box office")
    assert text == "API token Box office"
    assert isinstance(text, str) and text.template == "API token %(name)s"
    assert T_("100% sure") == "100% sure"
    assert T_("%(share)s%% of %(total)s", share=5, total=20) == "5% of 20"


def test_it_survives_a_copy_between_processes():
    text = T_("API token %(name)s", name="Box office")
    copy = pickle.loads(pickle.dumps(text))
    assert copy == text and copy.params == {"name": "Box office"}


def test_a_page_shows_it_in_german_and_the_error_keeps_english(app):
    error = Invalid(T_("API token %(name)s", name="Box office"), field="name")
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.translated(error.message) == "API-Token Box office"
        assert render_template_string("{{ m }}|{{ e['name'] }}", m=error.message, e=error.errors) == \
            "API-Token Box office|API-Token Box office"
        assert render_template_string("{{ m }}", m="<b>" + T_("You are logged out.")) == "&lt;b&gt;You are logged out."
    assert str(error) == "API token Box office"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert render_template_string("{{ m }}", m=T_("You are logged out.")) == "You are logged out."


def test_details_that_are_sentences_are_translated_too(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        nested = T_("API token %(name)s", name=T_("You are logged out."))
        assert i18n.translated(nested) == "API-Token Sie sind abgemeldet."


def test_a_sentence_escapes_like_any_string(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        out = render_template_string("{{ m }}", m=T_("API token %(name)s", name="<script>"))
    assert out == "API-Token &lt;script&gt;"
    assert isinstance(T_("x"), Text)


def test_a_refusal_built_from_sentences_is_translated_part_by_part(app):
    from backoffice.domain.errors import FieldErrors
    errors = FieldErrors()
    with errors.check("email"):
        raise Invalid(T_("An email address is required."), field="email")
    with errors.check("tag"):
        raise Invalid(T_("A tag cannot contain a comma."), field="tag")
    try:
        errors.raise_if_any()
    except Invalid as e:
        refused = e
    assert refused.message == "An email address is required. A tag cannot contain a comma."
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.translated(refused.message) == \
            "Eine E-Mail-Adresse ist erforderlich. Ein Schlagwort darf kein Komma enthalten."


def test_a_label_inside_a_sentence_is_translated_with_it(app):
    from backoffice.domain import parsing
    try:
        parsing.parse_amount("-1", minimum=0, label=T_("price"), field="price")
    except Invalid as e:
        refused = e
    assert str(refused) == "The price cannot be negative."
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string("{{ m }}", m=refused.errors["price"]) == "„Preis“ darf nicht negativ sein."


def test_a_sentence_start_changes_the_english_only(app):
    from backoffice.domain.texts import capitalized, joined
    start = capitalized(T_("the quota '%(name)s'", name="Main"))
    assert start == "The quota 'Main'" and start.template == "the quota '%(name)s'"
    assert pickle.loads(pickle.dumps(start)) == "The quota 'Main'"
    both = joined([T_("1 ticket"), T_("You are logged out.")], ", ")
    assert both == "1 ticket, You are logged out."
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert i18n.translated(start) == "das Kontingent „Main“"
        assert i18n.translated(both) == "1 Ticket, Sie sind abgemeldet."
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()
        assert i18n.translated(start) == "The quota 'Main'"
