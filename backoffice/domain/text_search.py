"""How typed text matches stored text: the words of a search, and `matches` for small tables
(the outbox) that have no search index.

What was typed is split into words; a value matches when every word is found in one of the
searched fields, anywhere in it (so "klein" finds "Björn Klein" and "klein björn" finds it too),
ignoring case for every letter and accents for the letters of Latin-1 ("bohm", "Böhm" and "BÖHM"
all find "Böhm").

Neither SQLite's LIKE nor lower() fold letters beyond ASCII, and PostgreSQL's ILIKE depends on the
database's locale, so each typed letter becomes a character class of all its spellings instead:
"öz" is looked for as `[oOòóôõöÒÓÔÕÖ][zZ]`, with GLOB on SQLite and a regular expression on
PostgreSQL, after a LIKE that lets through only the rows that can match. Everything runs in the
database without a function call per row.

Orders and customers are not scanned this way: their searches look words up in the search index
(search_index.py), which keeps the same rule on a normalised copy of the searched fields.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import and_, false, or_
from sqlalchemy.sql import ColumnElement

from . import tx

PHONE_SEPARATORS = re.compile(r"[\s\-/().]")
MAX_WORDS = 8


def _base_letter(char: str) -> str:
    """'Ö' -> 'o', 'ß' -> 'ß', '-' -> '-'."""
    lower = char.lower()
    if len(lower) != 1:
        return char
    stripped = "".join(c for c in unicodedata.normalize("NFD", lower) if not unicodedata.combining(c))
    return stripped if len(stripped) == 1 else lower


def _spellings() -> dict[str, str]:
    """Base letter -> every Latin-1 letter that folds to it, in both cases ('o' -> 'oOòóôõöÒÓÔÕÖ').

    Accents are folded for the letters of Latin-1 (German, French, Spanish, Nordic, Turkish ö/ü/ç
    names); other letters (ł, š, ş, Greek, Cyrillic …) match in either case but with their mark.
    Keeping the classes to these few letters keeps every other letter a plain ASCII letter that
    LIKE can look for quickly (see _prefilter)."""
    groups: dict[str, set[str]] = defaultdict(set)
    for code in range(0x41, 0x100):
        char = chr(code)
        if char.isalpha():
            groups[_base_letter(char)].add(char)
    for chars in groups.values():
        chars.update({c.upper() for c in list(chars) if len(c.upper()) == 1})
    # plain letters first: a class is tried in order
    return {base: "".join(sorted(chars, key=lambda c: (not c.isascii(), c.isupper(), c)))
            for base, chars in groups.items()}


SPELLINGS = _spellings()


def _letter_class(char: str) -> str | None:
    """All spellings of a letter, or None for characters without case or accents."""
    spellings = SPELLINGS.get(_base_letter(char), "")
    if char in spellings and len(spellings) > 1:
        return spellings
    variants = {v for v in (char, char.lower(), char.upper()) if len(v) == 1}
    return "".join(sorted(variants)) if len(variants) > 1 else None


def _prefilter(word: str) -> tuple[str, bool]:
    """A LIKE pattern that every match of `word` passes, and whether it is exact.

    LIKE ignores the case of ASCII letters and is about three times faster than GLOB with
    character classes; letters with other spellings become '_' (one character) in it, and only
    the rows it lets through are compared exactly."""
    parts, exact = [], True
    for char in word:
        spellings = _letter_class(char)
        if spellings and not spellings.isascii():
            parts.append("_")
            exact = False
        else:
            parts.append(like_escape(char))
    return "%" + "".join(parts) + "%", exact


def glob_pattern(word: str) -> str:
    """SQLite GLOB pattern: the word anywhere in the value, every letter as a class."""
    parts = []
    for char in word:
        spellings = _letter_class(char)
        if spellings:
            parts.append(f"[{spellings}]")
        elif char in "*?[":
            parts.append(f"[{char}]")
        else:
            parts.append(char)
    return "*" + "".join(parts) + "*"


def regex_pattern(word: str) -> str:
    """PostgreSQL regular expression: the same classes as glob_pattern; other characters literal."""
    parts = []
    for char in word:
        spellings = _letter_class(char)
        if spellings:
            parts.append(f"[{spellings}]")
        elif char.isalnum():
            parts.append(char)
        else:
            parts.append("\\" + char)
    return "".join(parts)


def words(text: str) -> list[str]:
    """The words of a search, each once, in the order typed."""
    text = unicodedata.normalize("NFC", text.replace("\x00", ""))
    unique: dict[str, str] = {}
    for word in text.split():
        unique.setdefault(word.casefold(), word)
    return list(unique.values())[:MAX_WORDS]


def matches(column, word: str) -> ColumnElement:
    """`word` anywhere in the column's value, ignoring case and accents."""
    word = unicodedata.normalize("NFC", word)
    if not word:
        return false()
    prefilter, exact = _prefilter(word)
    if tx.is_sqlite():
        # SQLite's LIKE ignores the case of ASCII letters only
        quick = column.like(prefilter, escape="\\")
        return quick if exact else and_(quick, column.op("GLOB")(glob_pattern(word)))
    quick = column.ilike(prefilter, escape="\\")
    return quick if exact else and_(quick, column.op("~")(regex_pattern(word)))


def text_condition(text: str, word_condition: Callable[[str], ColumnElement],
                   phone_condition: Callable[[str], ColumnElement | None]) -> ColumnElement:
    """The one rule for a search box: every word matches one of the fields `word_condition`
    looks at; or, when the whole text is a phone number typed in groups ("0176 123 45"), the
    phone. `phone_condition(text)` gives None for text that is no phone number."""
    typed = words(text)
    if not typed:
        return false()
    condition = and_(*[word_condition(w) for w in typed])
    phone = phone_condition(text) if len(typed) > 1 else None
    return condition if phone is None else or_(phone, condition)


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def starts_with(column, text: str) -> ColumnElement:
    """column starts with text, as a range so that an index on the column can be used."""
    return and_(column >= text, column < text + "\uffff")


def phone_digits(text: str, minimum: int = 3) -> str | None:
    """The digits to look for inside stored E.164 numbers (+4930…), or None when `text` does not
    look like a phone number. Spaces, dashes and brackets are ignored, and so are the leading
    '+', '00' or trunk '0' people type: '0176 1234' is found in '+491761234'."""
    digits = PHONE_SEPARATORS.sub("", text.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    digits = digits.lstrip("0")
    if len(digits) < minimum or not digits.isdigit():
        return None
    return digits
