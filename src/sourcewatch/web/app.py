"""The ASGI application: routes, security headers, and what a refusal looks like."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sourcewatch.accounts.throttle import LoginLimiter
from sourcewatch.records import utcnow
from sourcewatch.web import auth, files, item, pages, queue, search
from sourcewatch.web.archived import Signer
from sourcewatch.web.guard import Forbidden, LoginRequired
from sourcewatch.web.render import render
from sourcewatch.web.security import COMMON_HEADERS, PAGE_CSP
from sourcewatch.workspace import Workspace

STATIC = Path(__file__).parent / "static"


class SecurityHeaders:
    """Adds the common headers to every response, and the page CSP to those that did
    not set their own (archived pages and media set stricter ones)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = PAGE_CSP
                    headers["X-Frame-Options"] = "DENY"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _login_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    from urllib.parse import urlencode

    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def _forbidden(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", {"message": str(exc)}, status=403)


def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: "not found", 405: "method not allowed"}.get(status, "error")
    return render(request, "error.html", {"message": message}, status=status)


def _home(request: Request) -> Response:
    return RedirectResponse("/dashboard", status_code=303)


def routes() -> list[Any]:
    return [
        Route("/", _home),
        Route("/login", auth.login, methods=["GET", "POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/password", auth.password, methods=["GET", "POST"]),
        Route("/dashboard", pages.dashboard),
        Route("/charts/{chart}.svg", pages.dashboard_chart),
        Route("/queue", queue.queue),
        Route("/queue/claim", queue.claim, methods=["POST"]),
        Route("/search", search.search_page),
        Route("/items/{item_id:int}", item.item),
        Route("/items/{item_id:int}/translate", item.translate, methods=["POST"]),
        Route("/items/{item_id:int}/mark", queue.mark_item, methods=["POST"]),
        Route("/items/{item_id:int}/release", queue.release_item, methods=["POST"]),
        Route("/items/{item_id:int}/evidence.wacz", files.evidence_bundle),
        Route("/sources", pages.sources),
        Route("/sources/{name}", pages.source),
        Route("/sources/{name}/health.svg", pages.source_chart),
        Route("/entities/{entity}", pages.entity),
        Route("/entities/{entity}/timeline.svg", pages.entity_chart),
        Route("/alerts", pages.alerts),
        Route("/citations", pages.citations),
        Route("/citations/{key}", pages.report),
        Route("/archive/{capture_id:int}", files.archive_page),
        Route("/archived/res", files.archived_resource),
        Route("/archived/{capture_id:int}", files.archived),
        Route("/media/{sha256}", files.media),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(
    ws: Workspace,
    *,
    clock: Callable[[], datetime] = utcnow,
    secure_cookies: bool = False,
    secret: bytes | None = None,
) -> Starlette:
    """The web view over ``ws``. ``secure_cookies`` (behind the TLS proxy) also sends
    HSTS; ``clock`` is injectable for tests; ``secret`` signs ``/archived`` links
    (random per process by default: links die with the process, which is fine)."""
    app = Starlette(
        routes=routes(),
        exception_handlers={
            LoginRequired: _login_required,
            Forbidden: _forbidden,
            HTTPException: _http_error,
        },
    )
    app.add_middleware(SecurityHeaders, hsts=secure_cookies)
    app.state.ws = ws
    app.state.clock = clock
    app.state.secure_cookies = secure_cookies
    app.state.limiter = LoginLimiter(ws.engine, clock)
    app.state.signer = Signer(secret or secrets.token_bytes(32))
    return app
