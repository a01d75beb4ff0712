"""Log in, log out, change a password."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sourcewatch.accounts import sessions, users
from sourcewatch.errors import InvalidInput
from sourcewatch.web.guard import change_form, local_path, require, session_of
from sourcewatch.web.render import render
from sourcewatch.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, csrf_ok


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
    )


def login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "error": error,
            "next": local_path(request.query_params.get("next"), "/"),
        },
        status=status,
    )
    _cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
    return response


async def login(request: Request) -> Response:
    if request.method == "GET":
        if session_of(request) is not None:
            return RedirectResponse("/", status_code=303)
        return login_page(request)
    form = await request.form()
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), form.get("csrf")):
        return login_page(request, "The form expired: please try again.", 403)
    name = str(form.get("name", ""))[:100]
    password = str(form.get("password", ""))
    address = request.client.host if request.client else "?"
    limiter = request.app.state.limiter
    if limiter.blocked(name, address):
        return login_page(request, "Too many failed logins: wait a few minutes.", 429)
    ws = request.app.state.ws
    with ws.engine.begin() as conn:
        user = users.authenticate(conn, name, password)
        token = sessions.start(conn, user, request.app.state.clock()) if user else None
    if user is None or token is None:
        limiter.failed(name, address)
        return login_page(request, "Wrong name or password.", 401)
    limiter.succeeded(name)
    response = RedirectResponse(local_path(form.get("next"), "/"), status_code=303)
    _cookie(response, request, SESSION_COOKIE, token, int(sessions.LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


async def logout(request: Request) -> Response:
    await change_form(request, "viewer")
    with request.app.state.ws.engine.begin() as conn:
        sessions.end(conn, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def password(request: Request) -> Response:
    if request.method == "GET":
        return render(request, "password.html", {"session": require(request)})
    session, form = await change_form(request, "viewer")
    context: dict[str, Any] = {"session": session}
    ws = request.app.state.ws
    token = request.cookies.get(SESSION_COOKIE, "")
    new, again = str(form.get("new", "")), str(form.get("again", ""))
    limiter = request.app.state.limiter
    address = request.client.host if request.client else "?"
    if limiter.blocked(session.user.name, address):  # a stolen session guessing on
        context["error"] = "Too many wrong passwords: wait a few minutes."
        return render(request, "password.html", context, status=429)
    wrong = False
    with ws.engine.begin() as conn:
        if users.authenticate(conn, session.user.name, str(form.get("current", ""))) is None:
            wrong = True
            context["error"] = "The current password is wrong."
        elif new != again:
            context["error"] = "The two new passwords differ."
        else:
            try:
                users.set_password(conn, session.user.id, new, request.app.state.clock())
            except InvalidInput as exc:
                context["error"] = str(exc)
            else:
                sessions.end_all(conn, session.user.id, keep=token)
                context["done"] = True
    if wrong:  # after the transaction: the limiter writes on its own connection
        limiter.failed(session.user.name, address)
    return render(request, "password.html", context, status=400 if "error" in context else 200)
