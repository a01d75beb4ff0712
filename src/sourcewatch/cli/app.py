"""The Typer application object that every command module registers on.

Its root group is where user errors become messages: any ``SourcewatchError`` that a
command lets through is printed as one line and exits with the error's ``exit_code``;
every other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import typer
from typer.core import TyperGroup

from sourcewatch.errors import SourcewatchError
from sourcewatch.text.sanitize import terminal_safe


class SourcewatchGroup(TyperGroup):
    """The root command group: maps ``SourcewatchError`` to a message and exit code."""

    def invoke(self, ctx: Any) -> Any:  # Any: typer vendors its own click Context
        try:
            return super().invoke(ctx)
        except SourcewatchError as exc:
            typer.echo(f"error: {terminal_safe(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None


def package_version() -> str:
    try:
        return version("sourcewatch")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


app = typer.Typer(
    name="sourcewatch",
    cls=SourcewatchGroup,
    help=(
        "Monitor Telegram channels, X accounts, news sites and jihadology.net; archive every "
        "capture with its SHA-256; match watchlists; triage what matters.\n\n"
        "Exit codes: 0 success, 1 a problem was found (verify, check, failed source), "
        "2 bad usage, config or input, 74 the disk is full, read-only or over a size "
        "limit, 75 the database is busy (try again)."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"sourcewatch {package_version()}")
        raise typer.Exit()


@app.callback()
def root(
    version_: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the version and exit.",
    ),
) -> None:
    """Monitor Telegram channels, X accounts, news sites and jihadology.net; archive every
    capture with its SHA-256; match watchlists; triage what matters.

    Exit codes: 0 success, 1 a problem was found (verify, check, failed source), 2 bad
    usage, config or input.
    """
