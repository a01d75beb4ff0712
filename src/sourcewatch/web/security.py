"""Response headers and CSRF checks for the web view (login rate limiting is kept in
the database: accounts.throttle).

Every page is served with a Content-Security-Policy that allows only our own scripts,
styles and images (no inline script at all), ``nosniff``, no referrer (an item page's
URL names what an analyst is looking at), and framing by our own pages only.
"""

from __future__ import annotations

import hmac

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
