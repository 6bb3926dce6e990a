"""Reading query parameters and JSON bodies through the route's pydantic models.

A refused value answers 400 naming the field (`{"email": ["…"]}`); a body that is not JSON, not
an object, or holds a NUL character answers 400 with `detail`.
"""
from __future__ import annotations

import json
import math
import typing
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ..domain.parsing import contains_nul
from .errors import NUL_MESSAGE, ApiError, detail

M = TypeVar("M", bound=BaseModel)
JSON_TYPES = ("application/json", "text/json")
UNION_TAGS = {"str", "int", "float", "bool", "none", "dict", "list", "date", "datetime", "decimal"}


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is list:
        return True
    return any(typing.get_origin(arg) is list for arg in typing.get_args(annotation))


def _refusal(e: ValidationError, *, nested: bool = True) -> ApiError:
    errors: dict[str, list[str]] = {}
    for error in e.errors(include_url=False, include_input=False):
        # dotted as the domain names nested fields (positions.0.item), without pydantic's names
        # of the union member that was tried (price.str, price.int)
        loc = [str(part) for part in error["loc"]]
        while len(loc) > 1 and (loc[-1] in UNION_TAGS or "[" in loc[-1]):
            loc.pop()
        if not nested:  # a query parameter is named as it is in the URL
            loc = loc[:1]
        name = ".".join(loc) if loc else "detail"
        errors.setdefault(name, []).append(error["msg"])
    if list(errors) == ["detail"]:
        return detail(400, "The request body must be a JSON object. " + errors["detail"][0])
    return ApiError(400, errors)


def query(model: type[M]) -> M:
    """The query string read as `model` (unknown parameters are ignored, as pretix does)."""
    raw: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key not in request.args:
            continue
        raw[key] = request.args.getlist(key) if _is_list(info.annotation) else request.args.get(key)
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        raise _refusal(e, nested=False) from None


def body(model: type[M]) -> M:
    """The JSON body read as `model`; an empty body counts as `{}`."""
    data = body_data()
    try:
        return model.model_validate_json(json.dumps(data))
    except ValidationError as e:
        raise _refusal(e) from None


def body_data() -> dict:
    """The JSON object of the body, read once per request."""
    if BODY_KEY not in request.environ:
        request.environ[BODY_KEY] = _read_body()
    return request.environ[BODY_KEY]


BODY_KEY = "backoffice.api_body"


def _read_body() -> dict:
    raw = request.get_data(cache=True)
    mimetype = request.mimetype or ""
    if raw and mimetype and mimetype not in JSON_TYPES:
        raise detail(415)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        raise detail(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise detail(400, "The request body must be a JSON object.")
    if contains_nul(data):
        raise detail(400, NUL_MESSAGE)
    return data


def _refuse_constant(name: str):
    # NaN and Infinity are not JSON
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # 1e999
        raise ValueError(text)
    return value


def present(model: BaseModel) -> set[str]:
    """The fields the client sent (PATCH changes only these)."""
    return set(model.model_fields_set)
