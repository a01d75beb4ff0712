"""Running the web view under uvicorn: where it listens, and what it warns about.

It binds 127.0.0.1 by default. Listening on another address without
``--behind-proxy`` serves sessions and passwords over plain HTTP to the network, so
it is allowed but said loudly; behind the documented TLS reverse proxy, cookies are
``Secure``, HSTS is sent, and the client address and scheme come from the proxy's
``X-Forwarded-*`` headers (trusted only from ``forwarded_allow_ips``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sourcewatch.errors import MissingExtra, SourcewatchError
from sourcewatch.store.db import current_revision, head_revision
from sourcewatch.workspace import Workspace


class SchemaNotCurrent(SourcewatchError):
    """The database is older than this version: ``sourcewatch init`` upgrades it."""


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    behind_proxy: bool = False
    forwarded_allow_ips: str = "127.0.0.1"


def exposure_warning(options: ServeOptions) -> str | None:
    """What to say before listening, or None when it is only reachable from here."""
    if options.behind_proxy or is_loopback(options.host):
        return None
    return (
        f"listening on {options.host}: anyone who reaches this port talks plain HTTP, "
        "passwords and session cookies included. Put it behind a TLS reverse proxy and "
        "pass --behind-proxy (docs/web.md), or bind 127.0.0.1."
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_current_schema(ws: Workspace) -> None:
    current, head = current_revision(ws.engine), head_revision()
    if current != head:
        raise SchemaNotCurrent(
            f"the database schema is at {current or 'nothing'}, this version needs {head}: "
            "run `sourcewatch init` first"
        )


def serve(ws: Workspace, options: ServeOptions) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM)."""
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise MissingExtra("web", "`sourcewatch serve` needs uvicorn and starlette") from None
    from sourcewatch.web.app import create_app

    require_current_schema(ws)
    app = create_app(ws, secure_cookies=options.behind_proxy)
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        proxy_headers=options.behind_proxy,
        forwarded_allow_ips=options.forwarded_allow_ips if options.behind_proxy else None,
        server_header=False,
        date_header=True,
        log_level="info",
        access_log=True,
    )
