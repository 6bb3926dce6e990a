"""Languages: which one a page or a mail is in, and formatting money and times for it.

The back office speaks the staff user's language (their account setting, else the browser's
choice among the languages we have, else English). Mails and the customer's pages speak the
order's (or customer's) language; one we have no translation for falls back to the event's
language, then English, so a customer never gets a half-translated mail.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency, format_decimal
from flask import g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext, refresh
from markupsafe import Markup

from .config import ROOT
from .domain.texts import Text

#: the languages the back office and its mails are translated into; the first is the fallback
LANGUAGES = ("en", "de")
DEFAULT = LANGUAGES[0]
#: how staff see each language in the language choice
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}
#: date and time as people of each language write them; English keeps the ISO-like form
DATETIME_PATTERNS = {"en": "yyyy-MM-dd HH:mm", "de": "dd.MM.yyyy HH:mm"}
TRANSLATIONS = ROOT / "translations"

babel = Babel()


def supported(code: str | None) -> str | None:
    """The language we have for a code like 'de', 'de-AT' or 'de_DE', or None."""
    if not code:
        return None
    base = str(code).replace("-", "_").split("_", 1)[0].lower()
    return base if base in LANGUAGES else None


def select_locale() -> str:
    """The staff user's own choice, else the browser's preference among ours, else English."""
    if not has_request_context():
        return DEFAULT
    if g.get("page_language"):
        return g.page_language
    from flask_login import current_user
    if current_user and current_user.is_authenticated:
        chosen = supported(getattr(current_user, "locale", None))
        if chosen:
            return chosen
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def mail_language(wanted: str | None, fallback: str | None = None) -> str:
    """A mail's language: the one wanted if translated, else the event's (or organizer's), else English."""
    return supported(wanted) or supported(fallback) or DEFAULT


def language_of(obj) -> str:
    """The language to write to the person behind an order, a customer or anything with an event."""
    from .domain.models import Customer, Order
    if isinstance(obj, Order):
        return mail_language(obj.locale, obj.event.locale)
    if isinstance(obj, Customer):
        return mail_language(obj.locale, obj.organizer.default_locale)
    event = getattr(obj, "event", None)
    if event is not None:
        return mail_language(event.locale)
    organizer = getattr(obj, "organizer", None)
    return mail_language(getattr(organizer, "default_locale", None))


def speak_language_of(obj) -> str:
    """From now on this request's page speaks the customer's language (their order's, see
    language_of), not the browser's. Returns the language, for <html lang>."""
    g.page_language = language_of(obj)
    refresh()
    return g.page_language


@contextmanager
def language(code: str):
    """Render texts, money and times in `code` inside the block."""
    with force_locale(code):
        yield


def current() -> str:
    locale = get_locale()
    return _supported_locale(locale) if locale is not None else DEFAULT


@lru_cache(maxsize=64)
def _supported_locale(locale: Locale) -> str | None:
    return supported(str(locale))


@lru_cache(maxsize=None)
def _babel_locale(lang: str, for_numbers: bool) -> Locale:
    """Babel's data for a language, parsed once: a list page formats hundreds of amounts and
    times, and Babel parses a locale given as text again on every call. English numbers are
    written the American way (€1,234.56)."""
    return Locale.parse("en_US" if for_numbers and lang == "en" else lang)


def money(value: Decimal | None, currency: str = "EUR") -> str:
    """€1,234.56 in English, 1.234,56 € in German."""
    if value is None:
        return ""
    return _money_text(value, currency, current() or DEFAULT)


@lru_cache(maxsize=4096)
def _money_text(value: Decimal, currency: str, lang: str) -> str:
    # a list repeats the same few prices and totals on every row
    return format_currency(value, currency, locale=_babel_locale(lang, True))


def number(value) -> str:
    """1,234 in English, 1.234 in German."""
    if value is None:
        return ""
    return format_decimal(value, locale=_babel_locale(current() or DEFAULT, True))


def datetime_text(value: datetime, zone: str) -> str:
    """A moment in `zone`, written the way the current language writes dates."""
    lang = current() or DEFAULT
    return format_datetime(value.astimezone(ZoneInfo(zone)), DATETIME_PATTERNS[lang],
                           locale=_babel_locale(lang, False))


def N_(text: str) -> str:
    """Marks a text for the catalogue where it is written; translated() translates it where shown."""
    return text


#: texts written outside the templates that no N_ or T_ marks where they are written (the states
#: of the models, the nouns the list macros count), listed here so that the catalogue holds them;
#: translated() translates them where shown
DOMAIN_MESSAGES = (
    # what lists count (macros/ui.html pagination, quick search)
    N_("results"), N_("orders"), N_("customers"), N_("mails"), N_("tickets"), N_("seats"),
    N_("revoked secrets"), N_("blocked secrets"),
    # states and sources of payments and refunds (models.PaymentState, RefundState, RefundSource)
    N_("created"), N_("confirmed"), N_("canceled"), N_("pending"), N_("refunded"), N_("failed"),
    N_("transit"), N_("external"), N_("done"), N_("admin"), N_("buyer"),
    # states of a mail in the outbox (models.OutboxStatus)
    N_("queued"), N_("sent"), N_("failed"), N_("kept"),
    # the labels of domain/customer_fields.py, in the message after saving a customer
    N_("Email verified"), N_("Active"),
)


def translated(message):
    """A message from the domain or a flash in the page's language, when the catalogue has it.

    Unlike Jinja's _(), a message with a literal % sign is shown as it is."""
    if not message or isinstance(message, Markup):
        return message
    if isinstance(message, Text):
        params = {key: translated(value) if isinstance(value, Text) else value
                  for key, value in message.params.items()}
        shown = gettext(message.template, **params) if params else gettext(message.template)
        # the English asks for a capital or small first letter; a translation spells its words itself
        return message.in_english_case(shown) if message.case and current() == "en" else shown
    return gettext(str(message))


def words(mapping: dict) -> dict:
    """A dict of labels (marked N_ where defined) with each label in the page's language."""
    return {key: translated(value) for key, value in mapping.items()}


def in_sentence(label: str) -> str:
    """A field's label inside a sentence ("Event saved: start, time zone."): lower case in
    English unless it is an abbreviation (VAT ID); as it is in German, which writes nouns
    capitalized."""
    if current() == DEFAULT:
        return label if label.isupper() else label.lower()
    return translated(label)


def month_names() -> list[str]:
    """January to December in the page's language."""
    from babel.dates import get_month_names
    lang = current() or DEFAULT
    return [get_month_names("wide", locale=lang)[n] for n in range(1, 13)]


def _finalize(value):
    """Every {{ value }} in a template: a domain sentence shows in the page's language."""
    return translated(value) if isinstance(value, Text) else value


def _choose_anew() -> None:
    """Each request chooses its language itself, also when it shares an app context with an
    earlier one (the test client does)."""
    g.pop("page_language", None)
    refresh()


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(_choose_anew)
    # msgids do not depend on how a {% trans %} block is wrapped over lines
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.finalize = _finalize
    app.jinja_env.filters["translated"] = translated
    app.jinja_env.globals.update(current_language=current, LANGUAGE_NAMES=LANGUAGE_NAMES,
                                 translated=translated, speak_language_of=speak_language_of)
