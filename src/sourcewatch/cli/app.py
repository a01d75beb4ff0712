"""The Typer application object that every command module registers on.

Its root group is where user errors become messages: any ``SourcewatchError`` that a
command lets through is printed as one line and exits with the error's ``exit_code``;
every other exception is a bug and keeps its traceback.

Commands load lazily: ``COMMANDS`` names each top-level command, the module that
registers it and its one-line summary, so ``sourcewatch queue`` imports only
``cli.triage`` (not the 13 command modules and what they import) and ``sourcewatch
--help`` lists every command without importing any (tests/test_cli_app.py checks the
table against the commands themselves).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from gettext import gettext as _
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from sourcewatch.errors import SourcewatchError
from sourcewatch.text.sanitize import terminal_safe

# name -> (the module that registers it, its summary: the first sentence of its help, as
# click shortens it). In --help order: each module's commands, then the groups.
COMMANDS: dict[str, tuple[str, str]] = {
    "snapshot": (
        "citations",
        "Capture URLs now into the archive (response, WARC record, structured post).",
    ),
    "cite": (
        "citations",
        "Snapshot every URL in a report's footnotes and write a citation manifest.",
    ),
    "recheck": (
        "citations",
        "Re-check every URL of a citation manifest: deleted, edited or still live.",
    ),
    "init": ("core", "Create the data dir, migrate the database, and load the watch list."),
    "verify": (
        "core",
        "Check the database, re-hash every archived object and walk the capture-log chain.",
    ),
    "gc": (
        "core",
        "Remove orphan objects (archived bytes no capture refers to, left by a failed poll) "
        "and stray temp files, once older than the grace period.",
    ),
    "import": (
        "core",
        "Ingest a saved capture as if it had just been polled; the file is archived too.",
    ),
    "poll": ("core", "Poll one source now and ingest what it returns."),
    "rescan": (
        "core",
        "Re-match stored items against the watchlists as they are now (retro-hunt).",
    ),
    "run": (
        "daemon",
        "Run the daemon: poll each source on its schedule until SIGTERM or SIGINT.",
    ),
    "health": (
        "daemon",
        "Exit 0 if the database answers and a daemon on this host beat recently; else 1.",
    ),
    "stats": (
        "daemon",
        "Sources due, failing and leased; items; triage queue depth; each daemon replica "
        "with its heartbeat and counters (polls, failures, items new/edited).",
    ),
    "match": (
        "matching",
        "Show what the watchlists find in a text: entities, rules fired, priority.",
    ),
    "search": (
        "search",
        "Search every item and every earlier revision: text, titles, authors, "
        "forwarded-from, media and link-preview names.",
    ),
    "searches": ("search", "List the saved searches (`search ..."),
    "reindex": (
        "search",
        "Rebuild the search index from every stored item revision, and the dashboard's "
        "per-day counts from the items (one transaction: a crash leaves the old ones).",
    ),
    "translate": (
        "translate",
        "Translate items' current text with the engine [translate] configures, and store "
        "the translation beside the original (which is never changed).",
    ),
    "queue": ("triage", "List the triage queue: highest priority first, then newest."),
    "show": (
        "triage",
        "Show one item: source, author, times, URL, text with every hit highlighted (each "
        "listed with its alias and the entity or rule it counts for), every revision as a "
        "diff, forwarded-from, media and the SHA-256 of every archived capture.",
    ),
    "mark": ("triage", "Mark items: status, note, tags, assignee."),
    "history": ("triage", "Every change of an item's triage entry: who, when, what."),
    "triage": (
        "triage",
        "Work through the queue one item at a time, highest priority first.",
    ),
    "export": (
        "triage",
        "Export decided items for the write-up: source, author, date (UTC, and the "
        "source's local time when its `timezone` is set in the watch list), canonical URL, "
        "archived SHA-256 and capture time.",
    ),
    "serve": (
        "web",
        "Serve the web view: queue, items, archived pages, sources, alerts, citations and "
        "a dashboard, for the users made with `sourcewatch users add`.",
    ),
    "where": (
        "workspace",
        "Show the config file, data dir, database, sources file and watchlists in use, "
        "and why each (option, environment variable, config file or built-in default).",
    ),
    "alerts": (
        "alerts",
        "Alert channels ([[alerts]] in the config): state, test message, replay.",
    ),
    "sources": ("core", "The watch list (config/sources.toml) and each source's health."),
    "evidence": ("evidence", "Evidence bundles: `evidence ITEM_ID..."),
    "watchlists": ("matching", "Validate the watchlist files (watchlists/*.toml)."),
    "quarantine": (
        "quarantine",
        "Items the database refused (kept with their reason while the rest of the poll "
        "was stored).",
    ),
    "telegram": ("telegram", "Telegram: log in for the telethon backend."),
    "users": (
        "web",
        "Accounts of the web view (`sourcewatch serve`): `users add NAME --role analyst`, "
        "`users list`, `users passwd NAME`, `users disable NAME`.",
    ),
}


def load_all_commands() -> None:
    """Import every command module (tests and tools that walk the whole CLI), in the
    order the CLI once imported them all: the order of ``COMMANDS``."""
    for module in sorted({module for module, _summary in COMMANDS.values()}):
        importlib.import_module(f"sourcewatch.cli.{module}")


def _build(name: str) -> Any:  # Any: typer vendors its own click Command
    """The click command for ``name``, registered on ``app`` when its module was imported."""
    importlib.import_module(f"sourcewatch.cli.{COMMANDS[name][0]}")
    for info in app.registered_commands:
        callback = info.callback
        if callback and (info.name or typer.main.get_command_name(callback.__name__)) == name:
            return typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    raise KeyError(name)  # COMMANDS names a command its module does not register


class LazyCommands(MutableMapping[str, Any]):
    """The root group's commands: every name of ``COMMANDS``, each built on first use."""

    def __init__(self, loaded: Mapping[str, Any]) -> None:
        self._loaded = dict(loaded)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = _build(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._loaded if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(1 for name in self._loaded if name not in COMMANDS)

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self._loaded


class SourcewatchGroup(TyperGroup):
    """The root command group: maps ``SourcewatchError`` to a message and exit code, and
    loads a command's module only when that command runs (see ``COMMANDS``)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of --help from the static summaries: no module imported."""
        limit = formatter.width - 6 - max(len(name) for name in self.commands)
        rows = []
        for name in self.commands:
            summary = COMMANDS[name][1] if name in COMMANDS else self.commands[name].help
            rows.append((name, TyperCommand(name, help=summary).get_short_help_str(limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:  # Any: typer vendors its own click Context
        try:
            return super().invoke(ctx)
        except SourcewatchError as exc:
            typer.echo(f"error: {terminal_safe(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

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
