"""Alerts by e-mail: Apprise's ``mailto://`` delivers to a real SMTP server (aiosmtpd)
on loopback; the password comes from the environment and shows nowhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from alerts_support import MailBox, alert_settings, poll, run_delivery, smtp_server
from sourcewatch.alerts.status import channel_status
from sourcewatch.config import AlertSettings, Settings
from sourcewatch.records import utcnow
from sourcewatch.workspace import Workspace

PASSWORD = "hunter2-smtp-secret"


@pytest.fixture
def mailbox() -> Iterator[tuple[MailBox, int]]:
    yield from smtp_server(PASSWORD)


def mail_alert(port: int, **options: object) -> AlertSettings:
    return AlertSettings(
        name="desk-mail",
        url=(
            f"mailto://analyst:${{SW_SMTP_PASSWORD}}@127.0.0.1:{port}"
            "?from=sourcewatch@example.org&to=sahel-desk@example.org&smtp=127.0.0.1&mode=insecure"
        ),
        **options,
    )


def test_an_alert_arrives_by_email_with_the_entry(
    settings: Settings, mailbox: tuple[MailBox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = mailbox
    monkeypatch.setenv("SW_SMTP_PASSWORD", PASSWORD)
    with Workspace.open(alert_settings(settings, mail_alert(port))) as ws:
        poll(ws, "p1", ("55", "PMC Wagner trucks leave Gao airport"))
        report = run_delivery(ws, utcnow())

    assert report.messages == 1
    [mail] = box.messages
    assert mail["To"] == "sahel-desk@example.org"
    assert "wagner" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "PMC Wagner trucks leave Gao airport" in body and "sourcewatch show" in body
    assert box.logins == ["analyst"] and PASSWORD not in mail.as_string()


def test_a_missing_secret_is_named_and_the_entry_waits(
    settings: Settings, mailbox: tuple[MailBox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = mailbox
    with Workspace.open(alert_settings(settings, mail_alert(port))) as ws:
        poll(ws, "p1", ("56", "PMC Wagner again"))
        now = utcnow()
        report = run_delivery(ws, now)
        assert report.failures == 1 and box.messages == []
        assert "SW_SMTP_PASSWORD not set" in (report.channels[0].error or "")

        monkeypatch.setenv("SW_SMTP_PASSWORD", PASSWORD)
        run_delivery(ws, now + timedelta(minutes=1))
        [status] = channel_status(ws.engine, ws.settings.alerts, now + timedelta(minutes=1))
    assert len(box.messages) == 1 and status.backlog == 0 and status.failures == 0
