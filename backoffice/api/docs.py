"""/api/v1/openapi.json and the page that renders it (server-side, no scripts)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import jsonify, render_template

from ..mail import absolute_url
from . import bp
from .openapi import document


@lru_cache(maxsize=8)
def _document(server_url: str) -> dict:
    return document(server_url)


def current_document() -> dict:
    return _document(absolute_url(""))


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(current_document())


@bp.get("/docs")
def docs_page():
    doc = current_document()
    groups: dict[str, list[dict]] = {}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            groups.setdefault(op["tags"][0], []).append({"method": method.upper(), "path": path, **op})
    return render_template("api/docs.html", doc=doc, groups=groups, schemas=doc["components"]["schemas"],
                           type_text=type_text)


def type_text(schema: dict[str, Any]) -> str:
    """A schema as a reader says it: "string", "integer or null", "list of Position"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(type_text(s) for s in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + type_text(schema.get("items", {}))
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return "object of " + type_text(schema["additionalProperties"])
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if schema.get("pattern") and kind == "string":
        return "money (string)" if "[0-9]{2}" in schema["pattern"] else "string"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)
