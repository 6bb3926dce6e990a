"""The pages that configure what an event sells: products and their variations, tax rules,
quotas, questions and seats. Every route needs the permission to manage events (for this event:
a team limited to other events gets 404).

Forms are plain posts: a save redirects back with a message; a refusal shows the form again with
what was typed and a message next to each refused field (422); a stale save (someone saved in
between) shows the values now saved and keeps the typed ones. Blocking a seat is an htmx action
on its row.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("products", __name__)

from . import items, questions, quotas, seats, tax_rules  # noqa: E402,F401  (routes on bp)
