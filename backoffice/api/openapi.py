"""The OpenAPI 3.1 document, generated from the route registry and the pydantic models."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .registry import ROUTES, Route, openapi_path, path_params
from .schemas.common import Error, PageOf

REF = "#/components/schemas/{model}"
STATUS_TEXT = {200: "OK", 201: "Created", 204: "Done, nothing to answer", 400: "Invalid request",
               401: "Authentication failure",
               403: "The organizer or event does not exist, the token may not use it, or (downloads) the ticket "
                    "is not available",
               404: "Not found", 405: "Method not allowed", 409: "Conflict: locked or changed meanwhile",
               413: "Request body too large", 415: "The body is not JSON"}
#: every operation may answer these (malformed requests, size limit)
ALWAYS = (400, 413, 415)


def _response_model(route: Route) -> type[BaseModel] | None:
    if route.response is None:
        return None
    return PageOf[route.response] if route.many else route.response


def _models() -> tuple[dict, dict]:
    keyed: list[tuple[type[BaseModel], str]] = [(Error, "serialization")]
    for route in ROUTES:
        model = _response_model(route)
        if model is not None:
            keyed.append((model, "serialization"))
        if route.body is not None:
            keyed.append((route.body, "validation"))
    unique = list(dict.fromkeys(keyed))
    mapping, top = models_json_schema(unique, ref_template=REF)
    return mapping, top.get("$defs", {})


def _parameters(route: Route) -> list[dict]:
    params = []
    for name, converter in path_params(route.rule):
        schema = {"type": "integer", "minimum": 1} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if route.query is not None:
        schema = route.query.model_json_schema(ref_template=REF)
        for name, prop in schema.get("properties", {}).items():
            description = prop.pop("description", "")
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in schema.get("required", []),
                     "schema": prop, "description": description}
            if prop.get("type") == "array" or any(p.get("type") == "array" for p in prop.get("anyOf", [])):
                param.update(style="form", explode=True)
            params.append(param)
    return params


def _operation(route: Route, mapping: dict) -> dict:
    op: dict[str, Any] = {"operationId": route.endpoint, "summary": route.summary, "tags": [route.tag],
                          "parameters": _parameters(route), "responses": {}}
    if route.description:
        op["description"] = route.description
    if route.body is not None:
        schema = mapping[(route.body, "validation")]
        op["requestBody"] = {"required": False, "content": {
            "application/json": {"schema": schema}, "text/json": {"schema": schema}}}
    model = _response_model(route)
    if model is not None and route.status < 300:
        ok: dict[str, Any] = {"description": STATUS_TEXT.get(route.status, "OK"),
                              "content": {"application/json": {"schema": mapping[(model, "serialization")]}}}
        if route.headers:
            ok["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                             for name, text in route.headers.items()}
        op["responses"][str(route.status)] = ok
    elif route.media is not None:
        op["responses"][str(route.status)] = {"description": STATUS_TEXT.get(route.status, "OK"), "content": {
            route.media: {"schema": {"type": "string", "format": "binary"}}}}
    elif route.status < 300:
        op["responses"][str(route.status)] = {"description": STATUS_TEXT.get(route.status, "OK")}
    error = {"content": {"application/json": {"schema": mapping[(Error, "serialization")]}}}
    for status in sorted(set(route.errors) | set(ALWAYS) | {401}):
        op["responses"][str(status)] = {"description": STATUS_TEXT.get(status, "Error"), **error}
    return op


def document(server_url: str) -> dict:
    mapping, components = _models()
    paths: dict[str, dict] = {}
    for route in ROUTES:
        paths.setdefault(openapi_path(route.rule), {})[route.method.lower()] = _operation(route, mapping)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Backoffice API", "version": "1",
                 "description": "Customers and orders of an organizer, in the shapes of the pretix REST API. "
                                "Authenticate with a team's API token: `Authorization: Token <token>`."},
        "servers": [{"url": server_url}],
        "security": [{"token": []}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "token": {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": "`Token <token>` of a team's API token"}}},
    }
