"""``sourcewatch users`` and ``sourcewatch serve`` from the command line: a user added
with a password from a file or a pipe logs in; weak passwords, unknown roles and
duplicate names are refused with the right exit code; ``serve`` listens on loopback
by default and warns when exposed without the TLS proxy."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from sourcewatch.accounts.users import authenticate
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.web.server import ServeOptions, exposure_warning
from sourcewatch.workspace import Workspace
from web_support import PASSWORD, cheap_hasher

runner = CliRunner()


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sourcewatch.accounts.users.hasher", cheap_hasher)


@pytest.fixture
def env(settings: Settings, workspace: Workspace) -> dict[str, str]:
    return {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
    }


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.output


def test_users_add_from_a_file_and_from_a_pipe(
    env: dict[str, str], workspace: Workspace, tmp_path: Path
) -> None:
    secret = tmp_path / "pw"
    secret.write_text(PASSWORD + "\n")
    code, out = run(
        env, "users", "add", "amira", "--role", "analyst", "--password-file", str(secret)
    )
    assert code == 0, out
    assert "user amira added (analyst)" in out
    code, out = run(
        env, "users", "add", "vera", "--role", "viewer", "--json", stdin=PASSWORD + "\n"
    )
    assert code == 0, out
    assert json.loads(out.splitlines()[-1])["role"] == "viewer"
    with workspace.engine.connect() as conn:
        assert authenticate(conn, "amira", PASSWORD) is not None
        assert authenticate(conn, "vera", PASSWORD) is not None
    code, out = run(env, "users", "list", "--json")
    assert [json.loads(line)["name"] for line in out.splitlines()] == ["amira", "vera"]
    assert PASSWORD not in out and "argon2" not in out


def test_users_add_refuses_bad_input(env: dict[str, str], workspace: Workspace) -> None:
    assert run(env, "users", "add", "amira", stdin="short\n")[0] == 2
    code, out = run(env, "users", "add", "amira", "--role", "boss", stdin=PASSWORD + "\n")
    assert code == 2 and "unknown role" in out
    code, out = run(env, "users", "add", "Amira Smith", stdin=PASSWORD + "\n")
    assert code == 2 and "a user name is" in out
    assert run(env, "users", "add", "amira", stdin=PASSWORD + "\n")[0] == 0
    code, out = run(env, "users", "add", "amira", stdin=PASSWORD + "\n")
    assert code == 1 and "already exists" in out


def test_passwd_and_disable(env: dict[str, str], workspace: Workspace) -> None:
    run(env, "users", "add", "amira", stdin=PASSWORD + "\n")
    new = "another long passphrase"
    assert run(env, "users", "passwd", "amira", stdin=new + "\n")[0] == 0
    assert run(env, "users", "passwd", "nobody", stdin=new + "\n")[0] == 1
    with workspace.engine.connect() as conn:
        assert authenticate(conn, "amira", new) is not None
    assert run(env, "users", "disable", "amira")[0] == 0
    with workspace.engine.connect() as conn:
        assert authenticate(conn, "amira", new) is None
    assert run(env, "users", "enable", "amira")[0] == 0
    assert run(env, "users", "disable", "nobody")[0] == 1


def test_only_an_exposed_server_without_the_proxy_is_warned_about() -> None:
    assert exposure_warning(ServeOptions()) is None
    assert exposure_warning(ServeOptions(host="::1")) is None
    assert exposure_warning(ServeOptions(host="0.0.0.0", behind_proxy=True)) is None
    warning = exposure_warning(ServeOptions(host="0.0.0.0"))
    assert warning is not None and "--behind-proxy" in warning and "plain HTTP" in warning


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_listens_on_loopback_and_serves_the_login_page(
    env: dict[str, str], workspace: Workspace
) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sourcewatch", "serve", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = None
        deadline = time.monotonic() + 60  # a bound for hangs: a loaded machine starts slowly
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    break
                time.sleep(0.1)
        assert response is not None, process.communicate()[0]
        assert response.status_code == 200
        assert "Log in" in response.text
        assert "server" not in response.headers  # no version banner
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=60)[0]
    assert "warning" not in output
    assert f"127.0.0.1:{port}" in output
