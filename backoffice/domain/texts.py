"""Sentences the domain says to people, in English, that a page can still show in its reader's language.

A rule refuses with `T_("Order %(code)s is canceled.", code=order.code)`: the result is the English
sentence (what logs, the API, the CLI and the history get), and it remembers its template and
details, so that `i18n.translated` (and every `{{ }}` in a template) shows it translated. The
template is what the catalogue holds; `make translations` finds it by the name `T_`.
"""
from __future__ import annotations


class Text(str):
    """An English sentence that knows the template and details it was made from.

    `case` ("upper" or "lower") changes its first letter, for a sentence that starts or continues
    another one; it applies to the English only, as a translation spells its words itself."""

    template: str
    params: dict
    case: str | None

    def __new__(cls, template: str, params: dict | None = None, case: str | None = None):
        params = dict(params or {})
        english = template % params if params else template
        self = super().__new__(cls, _with_case(english, case))
        self.template = template
        self.params = params
        self.case = case
        return self

    def __reduce__(self):
        return (Text, (self.template, self.params, self.case))

    def in_english_case(self, shown: str) -> str:
        """`shown` (this sentence as a page shows it) with the first letter this sentence asks for;
        for a page in English, or in a language whose catalogue lacks the sentence."""
        return _with_case(shown, self.case)


def _with_case(text: str, case: str | None) -> str:
    if case == "upper":
        return text[:1].upper() + text[1:]
    if case == "lower":
        return text[:1].lower() + text[1:]
    return text


def T_(template: str, **params) -> Text:
    """Marks a sentence for translation and fills in its %(name)s details (write a literal % as %%
    when there are details)."""
    return Text(template, params)


def joined(parts: list, separator: str = " ") -> str:
    """Sentences shown one after another, each in the reader's language."""
    names = [f"part{i}" for i in range(len(parts))]
    return Text(separator.replace("%", "%%").join(f"%({name})s" for name in names), dict(zip(names, parts)))


def capitalized(text: str) -> str:
    """`text` starting with a capital letter in English, for the start of a sentence; a translation
    keeps the spelling of its catalogue entry."""
    return Text(text.template, text.params, "upper") if isinstance(text, Text) else _with_case(text, "upper")


def lowercased(text: str) -> str:
    """`text` starting with a small letter in English, to continue a sentence ("Ticket 2: the price
    …"); a translation keeps the spelling of its catalogue entry."""
    return Text(text.template, text.params, "lower") if isinstance(text, Text) else _with_case(text, "lower")
