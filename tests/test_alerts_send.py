"""Sending through Apprise: a refusal becomes an error that names the channel and the
reason, and neither it nor any log record carries the channel's secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from sourcewatch.alerts.message import Message
from sourcewatch.alerts.send import AlertSendError, send_apprise
from sourcewatch.config import AlertSettings

TOKEN = "tok-9c1d7e55aa"
MESSAGE = Message("sourcewatch: wagner in rybar", "Source: rybar")


class RootRecords(logging.Handler):
    """What the application's own log handlers (on the root logger) would receive."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in ("apprise", "sourcewatch"):
            self.messages.append(record.getMessage())


@pytest.fixture
def root_log() -> Iterator[RootRecords]:
    """Root at DEBUG, so even Apprise's debug lines (which quote URLs) would arrive.
    (pytest's caplog attaches to non-propagating loggers too, so it cannot show this.)"""
    handler, root = RootRecords(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def leaks(log: RootRecords) -> list[str]:
    return [message for message in log.messages if TOKEN in message]


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SW_TOKEN", TOKEN)


def test_a_message_is_posted_as_apprise_json(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/hook/{TOKEN}", method="POST").respond_with_data("ok")
    send_apprise(
        AlertSettings(name="hook", url=f"json://127.0.0.1:{httpserver.port}/hook/${{SW_TOKEN}}"),
        MESSAGE,
    )
    [(request, _)] = httpserver.log
    assert request.get_json()["title"] == MESSAGE.title
    assert request.get_json()["message"] == MESSAGE.body


def test_a_refusal_is_explained_without_the_secret(
    httpserver: HTTPServer, root_log: RootRecords
) -> None:
    httpserver.expect_request(f"/hook/{TOKEN}").respond_with_data("nope", status=401)
    alert = AlertSettings(
        name="hook", url=f"json://user:{TOKEN}@127.0.0.1:{httpserver.port}/hook/${{SW_TOKEN}}"
    )
    with pytest.raises(AlertSendError) as caught:
        send_apprise(alert, MESSAGE)
    assert "alert 'hook': delivery failed" in str(caught.value) and "401" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert leaks(root_log) == []


def test_an_unknown_service_and_a_dead_port_are_named(root_log: RootRecords) -> None:
    with pytest.raises(AlertSendError, match="does not understand"):
        send_apprise(AlertSettings(name="x", url="nosuchservice://${SW_TOKEN}@host"), MESSAGE)
    with pytest.raises(AlertSendError, match="Connection error"):
        send_apprise(AlertSettings(name="y", url="json://127.0.0.1:9/${SW_TOKEN}"), MESSAGE)
    assert leaks(root_log) == []
