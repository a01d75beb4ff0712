"""Server-side sessions: the cookie holds a random token, the table only its SHA-256.

A stolen database therefore yields no usable cookie; logging out, changing a password
or disabling a user deletes rows, and the session is gone at once (a signed cookie
would stay valid until it expired). Each session has its own CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from sourcewatch.accounts.users import User
from sourcewatch.store.tables import WEB_SESSION, WEB_USER

LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def start(conn: sa.Connection, user: User, now: datetime, lifetime: timedelta = LIFETIME) -> str:
    """A new session for ``user``; returns the token for the cookie (shown only once)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        sa.insert(WEB_SESSION).values(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    conn.execute(sa.delete(WEB_SESSION).where(WEB_SESSION.c.expires_at < now))  # tidy up
    return token


def lookup(conn: sa.Connection, token: str, now: datetime) -> Session | None:
    """The live session of ``token`` (its user enabled), or None."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        sa.select(WEB_SESSION, WEB_USER.c.name, WEB_USER.c.role)
        .join(WEB_USER, WEB_USER.c.id == WEB_SESSION.c.user_id)
        .where(
            WEB_SESSION.c.token_hash == _digest(token),
            WEB_SESSION.c.expires_at > now,
            WEB_USER.c.disabled.is_(False),
        )
    ).first()
    if row is None:
        return None
    return Session(User(row.user_id, row.name, row.role), row.csrf_token, row.expires_at)


def end(conn: sa.Connection, token: str) -> None:
    conn.execute(sa.delete(WEB_SESSION).where(WEB_SESSION.c.token_hash == _digest(token)))


def end_all(conn: sa.Connection, user_id: int, *, keep: str | None = None) -> None:
    """End every session of a user (password changed, account disabled), but ``keep``."""
    query = sa.delete(WEB_SESSION).where(WEB_SESSION.c.user_id == user_id)
    if keep is not None:
        query = query.where(WEB_SESSION.c.token_hash != _digest(keep))
    conn.execute(query)
