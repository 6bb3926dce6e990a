"""Password guessing in parallel, over real HTTP against a threaded server: requests that start
at the same moment must still see each other's failures, so no more passwords are checked than
the throttle allows."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request

from backoffice.domain.models import LoginFailure
from backoffice.extensions import db
from tests.web.test_orders_concurrency import at_once

GUESSES = 20


class LoginPage:
    """A browser that opened the login page: its own cookies and CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{base}/login").read().decode()
        self.csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def guess(self, email: str, password: str) -> int:
        data = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": self.csrf}).encode()
        try:
            with self.opener.open(f"{self.base}/login", data=data, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as e:
            return e.code


def test_parallel_wrong_logins_check_no_more_passwords_than_the_threshold(app, live_server, world):
    threshold = app.config["LOGIN_THROTTLE_FAILURES"]
    email = world.admin.email
    db.session.rollback()  # no open read transaction of the test while the server writes
    pages = [LoginPage(live_server) for _ in range(GUESSES)]
    statuses = at_once(*[lambda page=page, i=i: page.guess(email, f"wrong-{i}") for i, page in enumerate(pages)])
    # a checked password is a 401; the throttle refuses the others unchecked with 429
    assert sorted(statuses) == [401] * threshold + [429] * (GUESSES - threshold)
    db.session.rollback()
    assert db.session.query(LoginFailure).count() == threshold
