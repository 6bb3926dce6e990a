"""Settings read from the environment, with defaults that suit one small machine."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: where links point outside a request when BASE_URL is not set (`make run`'s default address)
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


class Config:
    def __init__(self) -> None:
        instance = Path(os.environ.get("BACKOFFICE_INSTANCE", ROOT / "instance"))
        self.INSTANCE_PATH = str(instance)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'backoffice.sqlite3'}"
        )
        # A random per-process key would log everyone out on restart and break
        # several servers sharing one database, so production must set one.
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
        # Unset: links follow the address each request came to (see mail.absolute_url), so that
        # `make run PORT=5055` links to port 5055. Production sets it: the Host header is the
        # client's to choose.
        self.BASE_URL = os.environ.get("BASE_URL", "").strip().rstrip("/") or None
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
        self.MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
        self.MAIL_FROM = os.environ.get("MAIL_FROM", "backoffice@localhost")
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
        self.WTF_CSRF_TIME_LIMIT = None
        # no `pool_pre_ping`: extensions._ping_if_idle checks only connections idle for a while
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        self.LOGIN_THROTTLE_FAILURES = int(os.environ.get("LOGIN_THROTTLE_FAILURES", "5"))
        self.MAX_CONTENT_LENGTH = 2 * 1024 * 1024
        # request log lines: "text" or "json" (one JSON object per line, for log collectors)
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
        self.SLOW_REQUEST_MS = float(os.environ.get("SLOW_REQUEST_MS", "1000"))
        # how many reverse proxies (nginx) stand in front: their X-Forwarded-For/-Proto are then
        # believed, so login throttling counts the client's address, not the proxy's. 0: none.
        self.TRUST_PROXY = int(os.environ.get("TRUST_PROXY", "0"))
