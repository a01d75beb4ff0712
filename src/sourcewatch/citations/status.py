"""The one status vocabulary of citations, and the exact condition for each word.

Analysts publish what these words say, so each one claims only what was seen:

* ``live``: the URL answered 2xx now (or a capture younger than ``--max-age``
  was reused: then the capture's own time is reported, never "now").
* ``edited`` (re-check only): live, and its content hash differs from the capture
  cited before.
* ``deleted``: the platform itself said so: HTTP 404 or 410 from the site, t.me's
  "Post not found", an X tombstone (or the X endpoints' confirmed 404).
* ``unreachable``: no citable answer, for a reason that may be transient: DNS
  failure of any kind (NXDOMAIN included: registrars, resolvers and the
  analyst's network fail for days), timeout, refused or reset connection, TLS
  failure, 5xx, 429, an answer over the size cap or one we could not read.
  Never counted as a change; the next re-check tries again.
* ``blocked``: the site refuses us: 401, 403, 451, a login wall, a geoblock; or
  our own guard refused a private/loopback address.

The raw reason (the HTTP status line, the resolver's words, t.me's message) is
always kept beside the status. Rows and manifests written before this
vocabulary used ``captured``/``dead``/``error``: :func:`from_legacy` reads them.
"""

from __future__ import annotations

from sourcewatch.net import BlockedAddress, FetchError, NameNotResolved, ResponseTooLarge
from sourcewatch.net.errors import tls_failure

LIVE = "live"
EDITED = "edited"
DELETED = "deleted"
UNREACHABLE = "unreachable"
BLOCKED = "blocked"

SNAPSHOT_STATUSES = (LIVE, DELETED, UNREACHABLE, BLOCKED)
STATUSES = (LIVE, EDITED, DELETED, UNREACHABLE, BLOCKED)

DELETED_HTTP = frozenset({404, 410})
BLOCKED_HTTP = frozenset({401, 403, 451})
_LEGACY = {"captured": LIVE, "dead": DELETED, "error": UNREACHABLE}


def http_status(code: int | None) -> str:
    """The status an HTTP answer's code means on its own (a page may still be a login wall)."""
    if code is not None and 200 <= code < 300:
        return LIVE
    if code in DELETED_HTTP:
        return DELETED
    if code in BLOCKED_HTTP:
        return BLOCKED
    return UNREACHABLE  # 5xx, 429, other 4xx, no code: nothing proves a deletion


def failure(exc: FetchError) -> tuple[str, str]:
    """(status, raw reason) for a fetch that got no usable answer at all."""
    if isinstance(exc, BlockedAddress):
        return BLOCKED, exc.problem
    if isinstance(exc, NameNotResolved):
        return UNREACHABLE, exc.problem
    if isinstance(exc, ResponseTooLarge):
        return UNREACHABLE, f"response too large: {exc.problem}"
    if tls_failure(exc):
        return UNREACHABLE, f"TLS failure: {exc.problem}"
    return UNREACHABLE, exc.problem


def from_legacy(status: str) -> str:
    """The current word for a status written by an older version (``captured`` -> ``live``)."""
    return _LEGACY.get(status, status)
