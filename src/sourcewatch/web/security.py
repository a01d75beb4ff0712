"""Response headers, CSRF checks and login rate limiting for the web view.

Every page is served with a Content-Security-Policy that allows only our own scripts,
styles and images (no inline script at all), ``nosniff``, no referrer (an item page's
URL names what an analyst is looking at), and framing by our own pages only.
"""

from __future__ import annotations

import hmac
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; font-src 'self'; frame-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cache-Control": "no-store",
}
SESSION_COOKIE = "sw_session"
LOGIN_CSRF_COOKIE = "sw_login_csrf"


def csrf_ok(expected: str | None, given: object) -> bool:
    """The form's token equals the session's (constant time); anything else refuses."""
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(expected.encode(), given.encode())
    )


class LoginLimiter:
    """At most ``attempts`` failed logins per user name and per client address within
    ``period``; then refused (429) until the oldest failure ages out.

    Kept in memory: one ``serve`` process per deployment (several replicas behind a
    proxy would each count separately, which the docs say).
    """

    def __init__(
        self,
        clock: Callable[[], datetime],
        attempts: int = 5,
        period: timedelta = timedelta(minutes=15),
    ) -> None:
        self.clock = clock
        self.attempts = attempts
        self.period = period
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.period:
            times.popleft()
        return times

    def blocked(self, name: str, address: str) -> bool:
        now = self.clock()
        with self._lock:
            return any(
                len(self._recent(key, now)) >= self.attempts
                for key in (f"user:{name}", f"addr:{address}")
            )

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"user:{name}", f"addr:{address}"):
                self._recent(key, now).append(now)
            if len(self._failures) > 10_000:  # a spray of names: forget the idle ones
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{name}", None)
