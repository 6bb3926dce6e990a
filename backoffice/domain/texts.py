"""Sentences the domain says to people, in English, that a page can still show in its reader's language.

A rule refuses with `T_("Order %(code)s is canceled.", code=order.code)`: the result is the English
sentence (what logs, the API, the CLI and the history get), and it remembers its template and
details, so that `i18n.translated` (and every `{{ }}` in a template) shows it translated. The
template is what the catalogue holds; `make translations` finds it by the name `T_`.
"""
from __future__ import annotations


class Text(str):
    """An English sentence that knows the template and details it was made from."""

    template: str
    params: dict

    def __new__(cls, template: str, params: dict | None = None):
        params = dict(params or {})
        self = super().__new__(cls, template % params if params else template)
        self.template = template
        self.params = params
        return self

    def __reduce__(self):
        return (Text, (self.template, self.params))


def T_(template: str, **params) -> Text:
    """Marks a sentence for translation and fills in its %(name)s details (write a literal % as %%
    when there are details)."""
    return Text(template, params)
