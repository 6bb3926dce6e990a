"""One log line per request: method, path, status, duration, user and a request id.

The id comes from a proxy's X-Request-ID when it looks like one (so nginx and the app log the same
id), otherwise it is made here; it goes back in the response header and on the error page, so a
support agent can quote it and an admin find the traceback. `LOG_FORMAT=json` writes JSON lines
for log collectors. Requests slower than `SLOW_REQUEST_MS` are logged as warnings.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, current_app, g, request
from flask_login import current_user

logger = logging.getLogger("backoffice.request")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    return g.get("request_id") or ""


def _incoming_id() -> str:
    given = request.headers.get("X-Request-ID", "")
    return given if _SAFE_ID.match(given) else uuid.uuid4().hex


def _user() -> str | None:
    try:
        return current_user.email if current_user.is_authenticated else None
    except Exception:  # the user could not be loaded (database down): the line still gets written
        return None


def _line(fields: dict, as_json: bool) -> str:
    if as_json:
        return json.dumps(fields, ensure_ascii=False)
    user = f" user={fields['user']}" if fields.get("user") else ""
    return (f"{fields['method']} {fields['path']} {fields['status']} {fields['duration_ms']}ms "
            f"id={fields['request_id']}{user}")


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"request_id": request_id()})

    @app.before_request
    def start():
        g.request_id = _incoming_id()
        g.request_started = time.perf_counter()

    @app.after_request
    def finish(response):
        started = g.get("request_started")
        if started is None:  # a request refused before `start` ran
            return response
        duration = round((time.perf_counter() - started) * 1000, 1)
        response.headers["X-Request-ID"] = g.request_id
        if request.path.startswith("/static/"):
            return response
        fields = {"method": request.method, "path": request.path, "status": response.status_code,
                  "duration_ms": duration, "request_id": g.request_id, "user": _user()}
        slow = duration >= current_app.config.get("SLOW_REQUEST_MS", 1000)
        if slow:
            fields["slow"] = True
        as_json = current_app.config.get("LOG_FORMAT") == "json"
        logger.log(logging.WARNING if slow else logging.INFO, _line(fields, as_json))
        return response
