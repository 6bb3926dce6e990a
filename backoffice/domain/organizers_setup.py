"""Creating an organizer in the browser: the first start of an install, and more organizers later.

Who may create one:
- on a database without any organizer (the first start), every active staff user who can log
  in: that is whoever ran `flask create-admin`, or someone they gave a login to;
- afterwards, a user who may manage the team of at least one organizer. Such a person already
  decides who works where; an organizer they create starts empty and belongs to them alone.
  Everyone else (order and customer staff) cannot create organizers.

The creator becomes the only member of the new organizer's team "Administrators", which holds
every permission on all events. The creation and the team are written to the new organizer's
history.
"""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import audit, organizer_settings as settings
from .audit import Actor
from .errors import FieldErrors, Forbidden, Invalid
from .models import Organizer, Team, team_member
from .permissions import Permission
from .texts import T_

SLUG_MIN, SLUG_MAX = 2, 50
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: first path segments the back office uses itself: an organizer named so would hide them
RESERVED_ORGANIZER_SLUGS = frozenset({"api", "static", "login", "logout", "search", "organizers", "account",
                                      "admin", "favicon-ico", "new"})
ADMIN_TEAM = "Administrators"
SETUP_FIELDS = ("name", "slug") + tuple(f for f in settings.FIELDS if f != "name")
NOT_ALLOWED = (T_("Only people who may manage the team of an organizer can create another organizer. "
                  "Ask one of your organizer's administrators."))


def clean_slug(raw: Any, *, what: str = "organizer", field: str = "slug") -> str:
    """A short name for addresses: lowercase letters, digits and single hyphens between them."""
    slug = raw.strip() if isinstance(raw, str) else ""
    if not slug:
        message = (T_("Enter a short name for the event's web addresses, for example “summer-fest”.")
                   if what == "event" else
                   T_("Enter a short name for the organizer's web addresses, for example “summer-fest”.")
                   if what == "organizer" else
                   T_("Enter a short name for the %(what)s's web addresses, for example “summer-fest”.", what=what))
        raise Invalid(message, code="required", field=field)
    if not SLUG_MIN <= len(slug) <= SLUG_MAX:
        raise Invalid(T_("The short name must have %(slug_min)s to %(slug_max)s characters (it has %(length)s).",
                         slug_min=SLUG_MIN, slug_max=SLUG_MAX, length=f"{len(slug):,}"),
                      code="slug_length", field=field)
    if not _SLUG.fullmatch(slug):
        rule = T_("The short name may contain only lowercase letters a–z, digits and hyphens, with a "
                  "letter or digit at the start and end and no two hyphens in a row.")
        message = (T_("%(rule)s Use lowercase letters.", rule=rule) if _SLUG.fullmatch(slug.lower()) else rule)
        raise Invalid(message, code="slug_invalid", field=field)
    return slug


def any_organizer() -> bool:
    return db.session.scalar(select(Organizer.id).limit(1)) is not None


def may_create_organizer(actor: Actor, team_rights: list[bool] | None = None) -> bool:
    """See the module's docstring for the rule. `team_rights`: for each team of the user, whether
    it may manage its organizer's team, when the caller has read the user's teams already (the
    organizer switcher on every page); it spares the queries."""
    if actor.user is None:
        return actor.token is None  # the system may; API tokens belong to one organizer
    if not actor.user.is_active:
        return False
    if team_rights:  # a team means there are organizers
        return any(team_rights)
    if not any_organizer():
        return True
    if team_rights is not None:
        return False
    stmt = (select(Team.id).join(team_member, team_member.c.team_id == Team.id)
            .where(team_member.c.user_id == actor.user.id, getattr(Team, Permission.MANAGE_TEAM.value).is_(True))
            .limit(1))
    return db.session.scalar(stmt) is not None


def default_values() -> dict[str, str]:
    """What the form starts with."""
    return dict(name="", slug="", name_scheme="full", timezone="Europe/Berlin", currency="EUR",
                default_locale="en", invoice_issuer_name="", invoice_issuer_address="", invoice_issuer_vat_id="")


def create_organizer(*, actor: Actor, name: Any, slug: Any, timezone: Any, currency: Any, default_locale: Any,
                     name_scheme: Any, invoice_issuer_name: Any = None, invoice_issuer_address: Any = None,
                     invoice_issuer_vat_id: Any = None) -> Organizer:
    """A new organizer with its team "Administrators" holding the creator; Invalid names every
    refused field at once, Forbidden when the actor may not create organizers."""
    if not may_create_organizer(actor):
        raise Forbidden(NOT_ALLOWED, code="organizer_create_forbidden")
    errors = FieldErrors()
    values: dict[str, Any] = {}
    with errors.check("slug"):
        values["slug"] = clean_slug(slug)
        if values["slug"] in RESERVED_ORGANIZER_SLUGS:
            raise Invalid(T_("The short name “%(slug)s” is used by the back office itself: choose another.",
                             slug=values['slug']),
                          code="slug_reserved", field="slug")
        if db.session.scalar(select(Organizer.id).where(Organizer.slug == values["slug"])) is not None:
            raise Invalid(T_("Another organizer uses the short name “%(slug)s” already: choose another.",
                             slug=values['slug']),
                          code="slug_taken", field="slug")
    try:
        values.update(settings.clean_values(
            name=name, name_scheme=name_scheme, timezone=timezone, currency=currency,
            default_locale=default_locale, invoice_issuer_name=invoice_issuer_name,
            invoice_issuer_address=invoice_issuer_address, invoice_issuer_vat_id=invoice_issuer_vat_id))
    except Invalid as e:
        for field, message in e.errors.items():
            errors.errors.setdefault(field, message)
            errors.codes.setdefault(field, e.code)
    errors.raise_if_any()
    organizer = Organizer(locales=_locales(values["default_locale"]), **values)
    try:
        with db.session.begin_nested():
            db.session.add(organizer)
            db.session.flush()
    except IntegrityError:
        # someone else took the slug between the check and the insert
        raise Invalid(T_("Another organizer uses the short name “%(slug)s” already: choose another.",
                         slug=values['slug']),
                      code="slug_taken", field="slug") from None
    team = Team(organizer=organizer, name=ADMIN_TEAM, all_events=True,
                **{p.value: True for p in Permission})
    if actor.user is not None:
        team.members.append(actor.user)
    db.session.add(team)
    audit.log(actor, organizer, "organizer.created", data={k: v for k, v in values.items() if v is not None})
    audit.log(actor, organizer, "organizer.team_created",
              data={"team": ADMIN_TEAM, "permissions": "all", "events": "all events",
                    "members": [actor.user.email] if actor.user else []})
    return organizer


def _locales(default_locale: str) -> list[str]:
    return [default_locale] + [code for code in ("en", "de") if code != default_locale]
