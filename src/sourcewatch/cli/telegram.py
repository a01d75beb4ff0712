"""``sourcewatch telegram login``: create a Telethon session for the telethon backend."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    console,
    fail,
    print_json,
    safe,
    settings_for,
)
from sourcewatch.collectors.telegram.login import LoginError, credentials, login, session_path

telegram_app = typer.Typer(help="Telegram: log in for the telethon backend.", no_args_is_help=True)
app.add_typer(telegram_app, name="telegram")


@telegram_app.command("login")
def login_command(
    config: ConfigOption = None,
    session_file: Annotated[
        Path | None,
        typer.Option(
            "--session-file",
            help="Where to store the session (default: telegram.session_file, else "
            "~/.config/sourcewatch/telegram.session). Refused inside the source tree.",
            dir_okay=False,
        ),
    ] = None,
    string: Annotated[
        bool,
        typer.Option(
            "--string",
            help="Store a StringSession (a text file, 0600) for SOURCEWATCH_TELEGRAM__SESSION "
            "instead of a Telethon session file.",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Log in to Telegram interactively (phone, code, 2FA password) and store the session.

    Needs telegram.api_id and telegram.api_hash (env SOURCEWATCH_TELEGRAM__API_ID and
    SOURCEWATCH_TELEGRAM__API_HASH). Prints where the session was stored, never the session.

    Example: sourcewatch telegram login --session-file ~/.config/sourcewatch/analyst.session
    """
    settings = settings_for(config)
    try:
        credentials(settings.telegram)
        path = session_path(settings.telegram, session_file, string_session=string)
    except LoginError as exc:
        fail(str(exc), EXIT_USAGE)
    import asyncio  # here, not at the top: every other command starts without it

    result = asyncio.run(
        login(
            settings.telegram,
            path,
            string_session=string,
            phone=lambda: typer.prompt("Phone number (international format)"),
            code=lambda: typer.prompt("Login code sent by Telegram"),
            password=lambda: typer.prompt("Two-step verification password", hide_input=True),
        )
    )
    if json:
        print_json(
            {
                "session_file": str(result.path),
                "string_session": result.string_session,
                "user": result.user,
            }
        )
        return
    console.print(f"Logged in as {safe(result.user)}; session stored at {result.path}")
    if result.string_session:
        console.print(
            f"Set SOURCEWATCH_TELEGRAM__SESSION from that file, e.g. "
            f'export SOURCEWATCH_TELEGRAM__SESSION="$(cat {result.path})"'
        )
    else:
        console.print(
            f'Set telegram.session_file = "{result.path}" (or '
            'SOURCEWATCH_TELEGRAM__SESSION_FILE) and backend = "telethon" on sources.'
        )
