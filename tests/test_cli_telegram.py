"""``sourcewatch telegram login``: what can be checked without talking to Telegram."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sourcewatch.cli import app
from sourcewatch.collectors.telegram.login import LoginError, session_path
from sourcewatch.config import TelegramSettings

runner = CliRunner()


def test_login_refuses_without_api_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["telegram", "login"])

    assert result.exit_code == 2
    assert "SOURCEWATCH_TELEGRAM__API_ID" in result.output
    assert "SOURCEWATCH_TELEGRAM__API_HASH" in result.output


def test_login_refuses_a_session_path_inside_the_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_ID", "12345")
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_HASH", "0123456789abcdef")

    result = runner.invoke(app, ["telegram", "login", "--session-file", "storage/me.session"])

    assert result.exit_code == 2
    assert "inside the source tree" in result.output
    assert "0123456789abcdef" not in result.output


def test_default_session_path_is_under_the_user_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    path = session_path(TelegramSettings(), None, string_session=False)
    assert path == (tmp_path / "home" / ".config" / "sourcewatch" / "telegram.session")
    with pytest.raises(LoginError, match="inside the source tree"):
        session_path(TelegramSettings(), Path(__file__).parent / "x.session", string_session=True)


class FakeTelegramClient:
    """Stands in for telethon.TelegramClient: no network, a fixed session secret."""

    SECRET = "1BVtsOKABu0-not-a-real-session"

    def __init__(self, session: object, api_id: int, api_hash: str) -> None:
        self.session = session
        self.session.save = lambda: self.SECRET  # type: ignore[attr-defined]
        self.asked: list[str] = []

    async def start(self, phone: object, code_callback: object, password: object) -> None:
        self.asked = [phone(), code_callback()]  # type: ignore[operator]

    async def get_me(self) -> object:
        return type("User", (), {"username": "analyst_x", "id": 7})()

    async def disconnect(self) -> None:
        return None


def test_string_login_stores_the_session_privately_and_never_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("telethon.TelegramClient", FakeTelegramClient)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_ID", "12345")
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_HASH", "0123456789abcdef")
    target = tmp_path / "secrets" / "tg.string"

    result = runner.invoke(
        app,
        ["telegram", "login", "--string", "--session-file", str(target), "--json"],
        input="+10000000000\n12345\n",
    )

    assert result.exit_code == 0, result.output
    assert target.read_text().strip() == FakeTelegramClient.SECRET
    assert target.stat().st_mode & 0o777 == 0o600
    assert FakeTelegramClient.SECRET not in result.output
    assert f'"session_file": "{target}"' in result.output
    assert '"user": "analyst_x"' in result.output
