"""A staff user's language for the back office."""
from __future__ import annotations

from .audit import Actor, log
from .errors import Invalid
from .models import User
from .texts import T_

#: what staff may choose; "" leaves the choice to the browser
CHOICES = ("", "en", "de")


def set_language(user: User, value: str | None, *, actor: Actor) -> bool:
    """Set the user's back office language ("" or None: the browser's choice). Returns whether it
    changed; a change is in the user's history."""
    chosen = (value or "").strip()
    if chosen not in CHOICES:
        raise Invalid(T_("Choose English, Deutsch or the browser's language."), code="language_invalid",
                      field="language")
    new = chosen or None
    old = user.locale
    if new == old:
        return False
    user.locale = new
    log(actor, user, "user.language_changed", data={"old": old or "browser", "new": new or "browser"})
    return True
