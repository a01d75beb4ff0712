"""Login rate limiting kept in the database, so every ``serve`` process and every
replica behind the proxy counts the same failures.

At most ``attempts`` failed logins per user name and per client address within a
sliding ``period``; then refused until the oldest failure in the window ages out. A
failure is one row per key; a key is a SHA-256 of "user:NAME" or "addr:ADDRESS" (a
password typed into the name field is not kept in clear). Rows older than the period
are deleted as new failures come in, so the table stays as small as the attacks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.store.tables import LOGIN_FAILURE

ATTEMPTS = 5
PERIOD = timedelta(minutes=15)


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


class LoginLimiter:
    """The failures of ``engine``'s database, seen through ``clock`` (injectable)."""

    def __init__(
        self,
        engine: sa.Engine,
        clock: Callable[[], datetime],
        attempts: int = ATTEMPTS,
        period: timedelta = PERIOD,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.attempts = attempts
        self.period = period

    def blocked(self, name: str, address: str) -> bool:
        """Whether the name or the address has used up its failures in the window."""
        since = self.clock() - self.period
        keys = [_key("user", name), _key("addr", address)]
        with self.engine.connect() as conn:
            counts = conn.execute(
                sa.select(sa.func.count())
                .where(LOGIN_FAILURE.c.key.in_(keys), LOGIN_FAILURE.c.failed_at > since)
                .group_by(LOGIN_FAILURE.c.key)
            ).scalars()
            return any(count >= self.attempts for count in counts)

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(LOGIN_FAILURE).where(LOGIN_FAILURE.c.failed_at <= now - self.period)
            )
            conn.execute(
                sa.insert(LOGIN_FAILURE),
                [
                    {"key": _key(kind, value), "failed_at": now}
                    for kind, value in (("user", name), ("addr", address))
                ],
            )

    def succeeded(self, name: str) -> None:
        """A good password clears the name's failures (not the address's)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(LOGIN_FAILURE).where(LOGIN_FAILURE.c.key == _key("user", name)))
