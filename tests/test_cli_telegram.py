"""``sourcewatch telegram login``: what can be checked without talking to Telegram."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
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
    monkeypatch.delenv("XDG_CONFIG_HOME")

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

    async def connect(self) -> None:
        return None

    def is_connected(self) -> bool:
        return True

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


def test_the_default_path_works_in_the_container_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the image HOME is /app, the source tree: ~/.config was refused. The image sets
    XDG_CONFIG_HOME to a directory on the data volume, which is where the session goes."""
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "pyproject.toml").write_text("[project]\nname = 'sourcewatch'\n")
    monkeypatch.chdir(app_dir)
    monkeypatch.setenv("HOME", str(app_dir))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "data" / "config"))

    path = session_path(TelegramSettings(), None, string_session=False)
    assert path == tmp_path / "data" / "config" / "sourcewatch" / "telegram.session"


@pytest.fixture
def closing_server() -> Iterator[int]:
    """A TCP server on loopback that answers like the network here does when Telegram is
    unreachable: 95 bytes that are no MTProto, then it closes the connection."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\n" + b"x" * 70)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


@pytest.mark.slow
def test_offline_login_says_what_failed_and_keeps_the_session_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, closing_server: int
) -> None:
    """Real Telethon, pointed at the loopback server through the session's data centre."""
    from telethon.sessions import SQLiteSession

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_ID", "12345")
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_HASH", "0123456789abcdef")
    target = tmp_path / "secrets" / "tg.session"
    target.parent.mkdir()
    seeded = SQLiteSession(str(target))
    seeded.set_dc(2, "127.0.0.1", closing_server)
    seeded.save()
    seeded.close()
    target.chmod(0o644)

    result = runner.invoke(app, ["telegram", "login", "--session-file", str(target)], input="")

    assert result.exit_code == 1, result.output
    assert "could not connect to Telegram" in result.output
    assert "Check the network connection" in result.output
    assert "Aborted" not in result.output
    assert target.stat().st_mode & 0o777 == 0o600


class UnreachableTelegramClient(FakeTelegramClient):
    """Creates its session file as Telethon does (with the umask), then cannot connect."""

    def __init__(self, session: object, api_id: int, api_hash: str) -> None:
        super().__init__(type("S", (), {})(), api_id, api_hash)
        name = str(session)
        with open(name if name.endswith(".session") else name + ".session", "ab"):
            pass

    async def connect(self) -> None:
        import asyncio

        raise asyncio.IncompleteReadError(b"x" * 95, 1347703872)


def test_a_first_login_that_cannot_connect_leaves_no_session_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("telethon.TelegramClient", UnreachableTelegramClient)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_ID", "12345")
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_HASH", "0123456789abcdef")
    target = tmp_path / "secrets" / "tg.session"

    result = runner.invoke(app, ["telegram", "login", "--session-file", str(target)], input="")

    assert result.exit_code == 1, result.output
    assert "could not connect to Telegram (IncompleteReadError" in result.output
    assert "nothing was stored" in result.output
    assert not target.exists()
