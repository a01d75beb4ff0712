"""Users of the web view: add, authenticate, change a password, list.

Passwords are hashed with argon2id (argon2-cffi, the ``web`` extra); the hash carries
its own parameters, so a stronger default later re-hashes on the next login.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sourcewatch.errors import InvalidInput, MissingExtra, SourcewatchError
from sourcewatch.store.tables import WEB_ROLES, WEB_USER

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # argon2 hashes anything; a megabyte "password" is a DoS
ROLE_RANK = {role: rank for rank, role in enumerate(WEB_ROLES)}
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
# Verified against when the name is unknown, so a wrong name costs as long as a wrong
# password and response times do not tell which names exist.
_DUMMY_HASH: str | None = None


class AccountError(SourcewatchError):
    """A user could not be added or changed; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        """At least ``role``: admin > analyst > viewer."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role}


def hasher() -> PasswordHasher:
    try:
        from argon2 import PasswordHasher
    except ModuleNotFoundError:
        raise MissingExtra("web", "password hashes need argon2-cffi") from None
    return PasswordHasher()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD_CHARS} characters")


def check_name(name: str) -> str:
    if not 1 <= len(name) <= 100 or not set(name) <= _NAME_CHARS:
        raise InvalidInput(
            "a user name is 1-100 characters of a-z, 0-9, '.', '_' and '-' "
            f"(it is written into the triage history): {name!r}"
        )
    return name


def add_user(conn: sa.Connection, name: str, role: str, password: str, now: datetime) -> User:
    """Create a user; an existing name is refused (use ``set_password`` to change one)."""
    check_name(name)
    if role not in WEB_ROLES:
        raise InvalidInput(f"unknown role {role!r}; one of {', '.join(WEB_ROLES)}")
    check_password(password)
    exists = conn.execute(sa.select(WEB_USER.c.id).where(WEB_USER.c.name == name)).first()
    if exists:
        raise AccountError(f"user {name!r} already exists")
    user_id = conn.execute(
        sa.insert(WEB_USER)
        .values(
            name=name,
            role=role,
            password_hash=hasher().hash(password),
            created_at=now,
            password_changed_at=now,
            disabled=False,
        )
        .returning(WEB_USER.c.id)
    ).scalar_one()
    return User(user_id, name, role)


def authenticate(conn: sa.Connection, name: str, password: str) -> User | None:
    """The user if ``password`` is theirs (and the account is enabled), else None."""
    from argon2.exceptions import InvalidHashError, VerificationError

    global _DUMMY_HASH
    ph = hasher()
    row = conn.execute(sa.select(WEB_USER).where(WEB_USER.c.name == name)).first()
    if row is None or row.disabled or len(password) > MAX_PASSWORD_CHARS:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = ph.hash("not a password of anyone")
        with contextlib.suppress(VerificationError):
            ph.verify(_DUMMY_HASH, password[:MAX_PASSWORD_CHARS])
        return None
    try:
        ph.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if ph.check_needs_rehash(row.password_hash):
        conn.execute(
            sa.update(WEB_USER)
            .where(WEB_USER.c.id == row.id)
            .values(password_hash=ph.hash(password))
        )
    return User(row.id, row.name, row.role)


def set_password(conn: sa.Connection, user_id: int, password: str, now: datetime) -> None:
    """Replace a user's password (the caller ends their other sessions)."""
    check_password(password)
    conn.execute(
        sa.update(WEB_USER)
        .where(WEB_USER.c.id == user_id)
        .values(password_hash=hasher().hash(password), password_changed_at=now)
    )


def get_user(conn: sa.Connection, user_id: int) -> User | None:
    row = conn.execute(
        sa.select(WEB_USER).where(WEB_USER.c.id == user_id, WEB_USER.c.disabled.is_(False))
    ).first()
    return User(row.id, row.name, row.role) if row else None


def user_by_name(conn: sa.Connection, name: str) -> User | None:
    row = conn.execute(sa.select(WEB_USER).where(WEB_USER.c.name == name)).first()
    return User(row.id, row.name, row.role) if row else None


def list_users(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(WEB_USER).order_by(WEB_USER.c.name))
    return [
        {
            "name": r.name,
            "role": r.role,
            "disabled": r.disabled,
            "created_at": r.created_at.isoformat(),
            "password_changed_at": r.password_changed_at.isoformat(),
        }
        for r in rows
    ]


def set_disabled(conn: sa.Connection, name: str, disabled: bool) -> None:
    updated = conn.execute(
        sa.update(WEB_USER).where(WEB_USER.c.name == name).values(disabled=disabled)
    )
    if updated.rowcount != 1:
        raise AccountError(f"no user {name!r}")
