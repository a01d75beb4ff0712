"""Web view commands: ``serve`` and ``users`` (add, list, passwd, disable, enable).

Exit codes: 0 done; 1 a user that exists (add) or does not (passwd, disable); 2 bad
usage (a weak password, an unknown role, a missing ``web`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_PROBLEM,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    console,
    database_errors,
    err_console,
    fail,
    open_existing,
    print_json,
    settings_for,
)

users_app = typer.Typer(
    help=(
        "Accounts of the web view (`sourcewatch serve`): `users add NAME --role analyst`, "
        "`users list`, `users passwd NAME`, `users disable NAME`. Roles: viewer (reads), "
        "analyst (also claims and marks), admin. The CLI's --analyst stays free text; a "
        "change made on the web is recorded under the logged-in user's name."
    ),
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

PasswordFileOption = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="Read the password from this file's first line (else prompted; or piped on "
        "standard input). Never on the command line: it would show in `ps`.",
        dir_okay=False,
    ),
]


def _read_password(password_file: Path | None) -> str:
    """From the file, from a pipe, or prompted twice on a terminal."""
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError, UnicodeDecodeError) as exc:
            fail(f"cannot read a password from {password_file}: {exc}", EXIT_USAGE)
    if not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            fail("no password on standard input", EXIT_USAGE)
        return line
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name (a-z, 0-9, . _ -); shown in history.")],
    role: Annotated[
        str, typer.Option("--role", help="viewer (read only), analyst (marks), admin.")
    ] = "analyst",
    password_file: PasswordFileOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Add a web view user; the password is hashed with argon2id, never stored."""
    from sourcewatch.accounts.users import AccountError, add_user
    from sourcewatch.errors import InvalidInput
    from sourcewatch.records import utcnow

    password = _read_password(password_file)
    with database_errors(), open_existing(settings_for(config)) as ws:
        try:
            with ws.engine.begin() as conn:
                user = add_user(conn, name, role, password, utcnow())
        except InvalidInput as exc:
            fail(str(exc), EXIT_USAGE)
        except AccountError as exc:
            fail(str(exc), EXIT_PROBLEM)
    if json:
        print_json(user.to_json())
    else:
        console.print(f"user {user.name} added ({user.role})", markup=False)


@users_app.command("list")
def users_list(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Every web view user: name, role, disabled, when the password last changed."""
    from sourcewatch.accounts.users import list_users

    with database_errors(), open_existing(settings_for(config)) as ws, ws.engine.connect() as conn:
        rows = list_users(conn)
    for row in rows:
        if json:
            print_json(row)
        else:
            flag = " (disabled)" if row["disabled"] else ""
            console.print(
                f"{row['name']}\t{row['role']}{flag}\tpassword set {row['password_changed_at']}",
                markup=False,
            )
    if not rows and not json:
        err_console.print("no users yet: `sourcewatch users add NAME --role analyst`")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="The user whose password to set.")],
    password_file: PasswordFileOption = None,
    config: ConfigOption = None,
) -> None:
    """Set a user's password (an admin's reset) and log out all their sessions."""
    from sourcewatch.accounts import sessions
    from sourcewatch.accounts.users import set_password, user_by_name
    from sourcewatch.errors import InvalidInput
    from sourcewatch.records import utcnow

    password = _read_password(password_file)
    with database_errors(), open_existing(settings_for(config)) as ws, ws.engine.begin() as conn:
        user = user_by_name(conn, name)
        if user is None:
            fail(f"no user {name!r}", EXIT_PROBLEM)
        try:
            set_password(conn, user.id, password, utcnow())
        except InvalidInput as exc:
            fail(str(exc), EXIT_USAGE)
        sessions.end_all(conn, user.id)
    console.print(f"password of {name} changed; their sessions were ended", markup=False)


def _set_disabled(name: str, disabled: bool, config: Path | None) -> None:
    from sourcewatch.accounts import sessions
    from sourcewatch.accounts.users import AccountError, set_disabled, user_by_name

    with database_errors(), open_existing(settings_for(config)) as ws, ws.engine.begin() as conn:
        try:
            set_disabled(conn, name, disabled)
        except AccountError as exc:
            fail(str(exc), EXIT_PROBLEM)
        user = user_by_name(conn, name)
        if disabled and user is not None:
            sessions.end_all(conn, user.id)
    console.print(f"user {name} {'disabled' if disabled else 'enabled'}", markup=False)


@users_app.command("disable")
def users_disable(
    name: Annotated[str, typer.Argument(help="The user to lock out.")],
    config: ConfigOption = None,
) -> None:
    """Lock a user out at once (their sessions end); their history stays."""
    _set_disabled(name, True, config)


@users_app.command("enable")
def users_enable(
    name: Annotated[str, typer.Argument(help="The user to let back in.")],
    config: ConfigOption = None,
) -> None:
    """Let a disabled user log in again."""
    _set_disabled(name, False, config)


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to listen on. Default 127.0.0.1; another one warns unless "
            "--behind-proxy.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8080,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy",
            help="A TLS reverse proxy is in front (docs/web.md): Secure cookies, HSTS, and "
            "X-Forwarded-For/-Proto trusted from --forwarded-allow-ips.",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option("--forwarded-allow-ips", help="The proxy's address(es), comma-separated."),
    ] = "127.0.0.1",
    config: ConfigOption = None,
) -> None:
    """Serve the web view: queue, items, archived pages, sources, alerts, citations and a
    dashboard, for the users made with `sourcewatch users add`. Runs until Ctrl-C."""
    from sourcewatch.web.server import ServeOptions, exposure_warning
    from sourcewatch.web.server import serve as run_server

    options = ServeOptions(host, port, behind_proxy, forwarded_allow_ips)
    warning = exposure_warning(options)
    if warning:
        err_console.print(f"warning: {warning}", markup=False)
    with database_errors(), open_existing(settings_for(config)) as ws:
        run_server(ws, options)
