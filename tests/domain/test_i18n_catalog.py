"""The German catalogue is complete, matches the texts in code and templates, and the compiled .mo
the app reads is the .po as it is now (`make translations` refreshes all three)."""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from backoffice import i18n

ROOT = Path(__file__).parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(language: str):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def entries(cat) -> dict:
    """msgid -> msgstr; plural forms as tuples (the .mo reader gives lists)."""
    def plain(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value
    return {plain(m.id): plain(m.string) for m in cat if m.id}


def test_every_text_has_a_german_translation():
    cat = catalogue("de")
    missing = [m.id for m in cat if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert not missing, f"untranslated in de/messages.po: {missing[:20]}"
    assert not [m.id for m in cat if m.id and m.fuzzy], "fuzzy translations are not used; check and unmark them"


def test_translations_keep_every_placeholder():
    for msgid, msgstr in entries(catalogue("de")).items():
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strs = msgstr if isinstance(msgstr, tuple) else (msgstr,)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strs:
            assert set(PLACEHOLDER.findall(text)) == wanted, (msgid, text)


def test_the_compiled_catalogue_is_the_current_po():
    with open(ROOT / "translations" / "de" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    assert entries(compiled) == entries(catalogue("de")), "run `make translations` to compile the .mo"


def test_every_text_in_code_and_templates_is_in_the_catalogue():
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {message for _file, _line, message, _comments, _context
             in extract_from_dir(str(ROOT), method_map, options_map, keywords={
                 "_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "T_": None}) if message}
    found = {m if isinstance(m, str) else m[0] for m in found}
    known = {m if isinstance(m, str) else m[0] for m in entries(catalogue("de"))}
    missing = sorted(found - known)
    assert not missing, f"texts not in the catalogue, run `make translations` and translate them: {missing[:20]}"


def test_the_languages_offered_are_the_catalogues_we_have():
    have = {p.name for p in (ROOT / "translations").iterdir() if p.is_dir()}
    assert set(i18n.LANGUAGES) == have | {"en"}
