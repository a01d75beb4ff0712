"""Alert test data through the real pipeline (``ingest`` matches against
tests/fixtures/alerts/watchlists and queues), and the local receivers: a JSON webhook
(pytest-httpserver, Apprise ``json://``) and an SMTP server (aiosmtpd, ``mailto://``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer

from sourcewatch.alerts.delivery import DeliveryReport, deliver
from sourcewatch.config import AlertSettings, Settings
from sourcewatch.ingest.writer import IngestReport, ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace

WATCHLISTS = Path(__file__).parent / "fixtures" / "alerts" / "watchlists"
RYBAR = SourceConfig(name="rybar", kind="telegram", target="rybar", areas=("sahel",), weight=2)


def alert_settings(settings: Settings, *alerts: AlertSettings) -> Settings:
    return settings.model_copy(update={"watchlists_dir": WATCHLISTS, "alerts": list(alerts)})


def webhook_alert(server: HTTPServer, name: str = "webhook", **options: Any) -> AlertSettings:
    url = f"json://127.0.0.1:{server.port}/hooks/{name}"
    return AlertSettings(name=name, url=url, **options)


def poll(
    ws: Workspace, tag: str, *posts: tuple[str, str], source: SourceConfig = RYBAR
) -> IngestReport:
    """One poll of ``source`` returning ``posts`` (external id, text) from one page."""
    capture = RawCapture(url=f"https://t.me/s/{source.target}", body=tag.encode())
    items = [
        ParsedItem(external_id, url=f"https://t.me/{source.target}/{external_id}", text=text)
        for external_id, text in posts
    ]
    for item in items:
        item.capture_sha256s = [capture.sha256]
    return ingest(ws, source, PollResult([capture], items))


def run_delivery(ws: Workspace, now: datetime, owner: str = "test-replica") -> DeliveryReport:
    return deliver(ws.engine, ws.settings.alerts, now, owner=owner)


def received(server: HTTPServer, name: str = "webhook") -> list[dict[str, Any]]:
    """The JSON bodies channel ``name``'s webhook accepted (2xx), in arrival order."""
    return [
        request.get_json()
        for request, response in server.log
        if request.path == f"/hooks/{name}" and response.status_code < 300
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailBox:
    """aiosmtpd handler keeping every message it accepts, and the logins it accepted
    (``password`` is the only one it takes)."""

    def __init__(self, password: str) -> None:
        self.password = password
        self.messages: list[EmailMessage] = []
        self.logins: list[str] = []

    def __call__(
        self, server: object, session: object, envelope: object, mechanism: str, auth_data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and auth_data.password.decode() == self.password
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def smtp_server(password: str) -> Iterator[tuple[MailBox, int]]:
    from aiosmtpd.controller import Controller

    box = MailBox(password)
    port = free_port()
    controller = Controller(
        box, hostname="127.0.0.1", port=port, authenticator=box, auth_require_tls=False
    )
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
