"""The Typer application object that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sourcewatch",
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
    add_completion=False,
)
