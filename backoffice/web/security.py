"""Security headers on every response, pages and partials, exports, public pages, errors and
static files alike.

The Content-Security-Policy allows only our own scripts and styles: no inline script, no
`style="…"` attribute, no page of ours inside another site's frame. Bootstrap's stylesheet draws
its icons (close buttons, select arrows) as `data:` SVG images, hence `img-src 'self' data:`.
"""
from __future__ import annotations

from flask import Response, request

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        # a view may have set a stricter value (the password-set page sends no Referer at all)
        response.headers.setdefault(name, value)
    # Everything but static files carries personal data or secrets (the customer's order page has
    # the order's secret in its URL): no copy in the browser's cache or a shared proxy.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response
