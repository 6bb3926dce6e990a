"""Person names as `name_parts` objects with a `_scheme` key, and the name derived from them."""
from __future__ import annotations

from ..i18n import N_
from .errors import Invalid

#: the labels in English, marked for the catalogue: forms show them translated (i18n.translated)
SCHEMES: dict[str, list[tuple[str, str]]] = {
    "full": [("full_name", N_("Name"))],
    "given_family": [("given_name", N_("Given name")), ("family_name", N_("Family name"))],
}
MAX_PART_LENGTH = 255


def scheme_fields(scheme: str) -> list[tuple[str, str]]:
    """(key, label) of the fields a form shows for this scheme."""
    return SCHEMES.get(scheme, SCHEMES["full"])


def derive_name(name_parts: dict | None) -> str | None:
    """The display name: the scheme's parts joined by spaces; None when there is nothing."""
    if not name_parts:
        return None
    scheme = name_parts.get("_scheme", "full")
    if scheme == "full" and "full_name" not in name_parts and len(name_parts) > 1:
        scheme = "given_family"  # parts without a scheme key, as some seed examples send them
    keys = [key for key, _ in scheme_fields(scheme)]
    parts = [str(name_parts.get(key) or "").strip() for key in keys]
    if not any(parts) and scheme == "full":
        parts = [str(v).strip() for k, v in name_parts.items() if k != "_scheme" and v]
    name = " ".join(p for p in parts if p)
    return name or None


def clean_name_parts(raw: dict | None, scheme: str) -> dict:
    """Validate user input into a name_parts dict of the organizer's scheme."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Invalid("The name must be given as its parts.", code="name_parts_invalid", field="name_parts")
    keys = {key for key, _ in scheme_fields(scheme)}
    result: dict = {"_scheme": scheme if scheme in SCHEMES else "full"}
    for key, value in raw.items():
        if key == "_scheme":
            continue
        if key not in keys:
            raise Invalid(f"Unknown name field '{key}' for the name scheme '{scheme}'.",
                          code="name_parts_invalid", field="name_parts")
        if value is None:
            continue
        if not isinstance(value, str):
            raise Invalid("Name fields must be text.", code="name_parts_invalid", field="name_parts")
        value = value.strip()
        if len(value) > MAX_PART_LENGTH:
            raise Invalid(f"A name may be at most {MAX_PART_LENGTH} characters long.",
                          code="name_too_long", field="name_parts")
        if value:
            result[key] = value
    return result
