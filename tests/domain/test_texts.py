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
