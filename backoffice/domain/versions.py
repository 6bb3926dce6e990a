"""Refusing stale saves of rows without a `last_modified`: a form carries a version of the values
it showed, a hash that changes whenever any of them does. A save whose version differs from the
current one is refused, so two people editing at once cannot silently overwrite each other."""
from __future__ import annotations

import hashlib
import json
from typing import Any


def version_of(values: dict[str, Any]) -> str:
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
