"""Who is asking, and may they: the session behind a request, roles, CSRF.

Every page needs a logged-in user; every change needs a role (``analyst`` marks,
``viewer`` only reads) and the session's CSRF token in the form. Refusals are
exceptions that ``app`` turns into a redirect to the login page or a 403.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from sourcewatch.accounts import sessions
from sourcewatch.accounts.sessions import Session
from sourcewatch.store.db import read_connection
from sourcewatch.web.security import SESSION_COOKIE, csrf_ok


class LoginRequired(Exception):
    """No live session: go to the login page."""


class Forbidden(Exception):
    """Logged in, but the role (or a missing CSRF token) does not allow this."""


def session_of(request: Request) -> Session | None:
    """The request's live session (looked up once per request)."""
    if "session" in request.scope.get("state", {}):
        return request.state.session  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE, "")
    found = None
    if token:
        with read_connection(request.app.state.ws.engine) as conn:
            found = sessions.lookup(conn, token, request.app.state.clock())
    request.state.session = found
    return found


def require(request: Request, role: str = "viewer") -> Session:
    session = session_of(request)
    if session is None:
        raise LoginRequired()
    if not session.user.can(role):
        raise Forbidden(f"this needs the {role!r} role; you are {session.user.role!r}")
    return session


async def change_form(request: Request, role: str = "analyst") -> tuple[Session, dict[str, Any]]:
    """The session and form of a change (POST): role checked, CSRF token checked."""
    session = require(request, role)
    form = await request.form()
    if not csrf_ok(session.csrf_token, form.get("csrf")):
        raise Forbidden("the form's security token is missing or stale: reload the page")
    values: dict[str, Any] = {key: form.getlist(key) for key in form}
    return session, {k: v[0] if len(v) == 1 else v for k, v in values.items()}


def local_path(value: object, default: str) -> str:
    """A path on this site to return to; anything else (another host, ``//x``, a
    scheme, a backslash trick) is ``default``."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        and "\\" not in value
        and all(ch.isprintable() for ch in value)
        and len(value) < 2000
    ):
        return value
    return default
