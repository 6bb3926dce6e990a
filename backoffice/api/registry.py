"""Every API route once: its URL rule for Flask and its description for the OpenAPI document.

    @route("/organizers/<organizer>/customers/", "GET", "List customers", query=CustomerListQuery,
           response=Customer, many=True, tag="Customers")
    def list_customers(organizer): ...

The query model is the same one the view parses its arguments with (see params.py), the body
model the same one it validates the request body with, the response model the same one it
serializes with.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel

from . import PREFIX, bp


@dataclass
class Route:
    rule: str
    method: str
    summary: str
    endpoint: str
    tag: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    many: bool = False
    status: int = 200
    errors: tuple[int, ...] = ()
    description: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    #: a file instead of JSON (ticket PDFs): its media type
    media: str | None = None


ROUTES: list[Route] = []


def route(rule: str, method: str, summary: str, *, tag: str, query: type[BaseModel] | None = None,
          body: type[BaseModel] | None = None, response: type[BaseModel] | None = None, many: bool = False,
          status: int = 200, errors: tuple[int, ...] = (), description: str = "",
          headers: dict[str, str] | None = None, media: str | None = None) -> Callable:
    def decorator(view: Callable) -> Callable:
        endpoint = f"{view.__name__}_{method.lower()}"
        bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[method])
        ROUTES.append(Route(rule=rule, method=method, summary=summary, endpoint=endpoint, tag=tag, query=query,
                            body=body, response=response, many=many, status=status, errors=errors,
                            description=description or (view.__doc__ or "").strip(), headers=headers or {},
                            media=media))
        return view
    return decorator


def openapi_path(rule: str) -> str:
    """Flask's `<organizer>` and `<int:id>` as OpenAPI's `{organizer}` and `{id}`."""
    out, i = [], 0
    while i < len(rule):
        if rule[i] == "<":
            end = rule.index(">", i)
            out.append("{" + rule[i + 1:end].split(":")[-1] + "}")
            i = end + 1
        else:
            out.append(rule[i])
            i += 1
    return PREFIX + "".join(out)


def path_params(rule: str) -> list[tuple[str, str]]:
    """(name, converter) of each variable part of a rule."""
    params = []
    for part in rule.split("<")[1:]:
        spec = part.split(">", 1)[0]
        converter, _, name = spec.rpartition(":")
        params.append((name, converter.split("(")[0] or "string"))
    return params


def described(route_: Route) -> dict[str, Any]:
    return {"method": route_.method, "path": openapi_path(route_.rule), "summary": route_.summary}
