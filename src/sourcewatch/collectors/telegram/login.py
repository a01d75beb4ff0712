"""Create a Telethon user session for the telegram ``telethon`` backend, outside the repo.

A session is a login: whoever holds it reads Telegram as that user. So it is never
written inside a source tree (where it could be committed), its file is private to
the user (0600, in a 0700 directory), and nothing prints its contents.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sourcewatch.config import TelegramSettings
from sourcewatch.configsource import user_config_file
from sourcewatch.errors import InvalidInput, SourcewatchError

SESSION_NAME = "telegram.session"
STRING_SESSION_NAME = "telegram.string-session"


class LoginError(InvalidInput):
    """Login cannot start: credentials missing or the session path is unsafe."""


class LoginFailed(SourcewatchError):
    """Telegram could not be reached (or refused us); nothing was stored."""

    exit_code = 1


def default_session_dir() -> Path:
    """The user config dir (``$XDG_CONFIG_HOME/sourcewatch``, else ``~/.config/...``): the
    container sets XDG_CONFIG_HOME to a directory on its data volume, outside /app."""
    return user_config_file().parent


@dataclass(frozen=True)
class LoginResult:
    path: Path
    string_session: bool
    user: str


def credentials(settings: TelegramSettings) -> tuple[int, str]:
    missing = [
        f"telegram.{name} (env SOURCEWATCH_TELEGRAM__{name.upper()})"
        for name in ("api_id", "api_hash")
        if getattr(settings, name) is None
    ]
    if missing:
        raise LoginError(
            f"missing {' and '.join(missing)}; get them at https://my.telegram.org/apps"
        )
    assert settings.api_id is not None and settings.api_hash is not None
    return settings.api_id, settings.api_hash.get_secret_value()


def session_path(
    settings: TelegramSettings, explicit: Path | None, *, string_session: bool
) -> Path:
    """Where the session goes: ``explicit``, else settings.session_file, else ~/.config."""
    default = default_session_dir() / (STRING_SESSION_NAME if string_session else SESSION_NAME)
    path = (explicit or settings.session_file or default).expanduser().resolve()
    for root in _source_trees():
        if path == root or root in path.parents:
            raise LoginError(
                f"refusing to store a Telegram session at {path}: it is inside the source "
                f"tree {root}, where it could be committed; choose a path outside it"
            )
    return path


def _source_trees() -> list[Path]:
    """The repository around the working directory, and the one this package runs from."""
    roots: list[Path] = []
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for folder in (start, *start.parents):
            if (folder / ".git").exists() or (folder / "pyproject.toml").is_file():
                roots.append(folder)
                break
    return roots


async def login(
    settings: TelegramSettings,
    path: Path,
    *,
    string_session: bool,
    phone: Callable[[], str],
    code: Callable[[], str],
    password: Callable[[], str],
) -> LoginResult:
    """Log in interactively (phone, code, 2FA password) and store the session at ``path``."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    api_id, api_hash = credentials(settings)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Telethon names a session file <name>.session and creates it with the umask (0644):
    # create it 0600 first (SQLite takes an empty file as a new database).
    stored = path if path.suffix == ".session" else path.with_name(path.name + ".session")
    created = not string_session and not stored.exists()
    if created:
        os.close(os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    session = StringSession() if string_session else str(path)
    client = TelegramClient(session, api_id, api_hash)
    logged_in = False
    try:
        await _connect(client)
        await client.start(phone=phone, code_callback=code, password=password)
        me = await client.get_me()
        if string_session:
            _write_private(path, client.session.save())
        else:
            client.session.save()
        logged_in = True
    finally:
        await client.disconnect()
        if created and not logged_in:
            stored.unlink(missing_ok=True)  # a session without a login: leave nothing
        elif not string_session and stored.exists():
            os.chmod(stored, 0o600)
    if not string_session:
        path = stored
    user = getattr(me, "username", None) or str(getattr(me, "id", "?"))
    return LoginResult(path=path, string_session=string_session, user=user)


async def _connect(client: object) -> None:
    """Connect before any prompt: offline, Telethon logged "Server closed the connection"
    and then asked for a phone number, and the user saw only "Aborted!"."""
    connect = getattr(client, "connect")  # noqa: B009 (telethon ships no types)
    is_connected = getattr(client, "is_connected")  # noqa: B009
    try:
        await connect()
    except (OSError, EOFError) as exc:  # EOFError: asyncio.IncompleteReadError, which
        # click would otherwise report as a bare "Aborted!"
        raise LoginFailed(_unreachable(f"{type(exc).__name__}: {exc}")) from exc
    if not is_connected():
        raise LoginFailed(_unreachable("the connection was closed"))


def _unreachable(detail: str) -> str:
    return (
        f"could not connect to Telegram ({detail.strip() or 'no reason given'}). Check the "
        "network connection, and any proxy or firewall between here and Telegram's servers "
        "(MTProto over TCP 443); nothing was stored."
    )


def _write_private(path: Path, secret: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)
