"""Helpers shared by the command modules: options, settings, output, exit codes."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from sourcewatch.configsource import ConfigError
from sourcewatch.errors import SourcewatchError
from sourcewatch.text.jsontext import json_text
from sourcewatch.text.redact import redact
from sourcewatch.text.sanitize import terminal_safe

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from sourcewatch.config import Settings
    from sourcewatch.coresettings import CoreSettings
    from sourcewatch.workspace import Workspace

T = TypeVar("T")

EXIT_OK = 0
EXIT_PROBLEM = 1  # verify found damage, check found errors, a source failed
EXIT_USAGE = 2  # bad arguments, config or input file
EXIT_STORAGE = 74  # the disk is full, read-only or over a size limit (EX_IOERR)
EXIT_BUSY = 75  # the database is busy (another writer holds it): try again (EX_TEMPFAIL)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Settings file (TOML). Default: $SOURCEWATCH_CONFIG, else ./config/sourcewatch.toml, "
        "else ~/.config/sourcewatch/sourcewatch.toml, else built-in defaults "
        "(`sourcewatch where` shows which).",
        dir_okay=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Machine-readable output (JSON; one object per line).")
]

# markup=False: no string we print is Rich markup. With markup on, "[[alerts]]" printed as
# "[]" and a source's "[label]" text vanished; styles come only from Text and Table objects.
# emoji=False: ":warning:" in a fetched post is text, not an emoji code to replace (and
# rich's table of codes is not imported at every start).
console = Console(highlight=False, soft_wrap=True, markup=False, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


def settings_for(config: Path | None) -> Settings:
    """Every setting, validated (pydantic; imported here, not at every start)."""
    from sourcewatch.config import load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


def core_settings_for(config: Path | None) -> CoreSettings:
    """Only the settings that locate the workspace and name the analyst, for a command
    that needs no other (``coresettings``: the same answer, without pydantic's start-up)."""
    from sourcewatch.coresettings import load_core_settings

    try:
        return load_core_settings(config)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)


def open_existing(settings: Settings | CoreSettings) -> Workspace:
    """The workspace as it is: no migration, nothing created. Commands start often and
    fast; ``sourcewatch init`` (or the daemon) brings the schema up to date."""
    from sourcewatch.workspace import Workspace

    return Workspace.open(settings, migrate_schema=False, create=False)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err_console.print(f"error: {terminal_safe(redact(message))}", markup=False)
    raise typer.Exit(code)


def print_json(obj: Any) -> None:
    """One JSON document on one line, non-ASCII as UTF-8 (``jq`` and people read Arabic),
    controls that could act on a terminal escaped (see ``text.jsontext``)."""
    write_utf8(redact(json_text(obj)) + "\n")


def write_utf8(text: str) -> None:
    """Write ``text`` to stdout as UTF-8 whatever the locale says (a Latin-1 or ASCII
    locale must not turn an Arabic post into an encoding error)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None or (sys.stdout.encoding or "").lower().replace("-", "") == "utf8":
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8", "backslashreplace"))
    buffer.flush()


def safe(text: str | None) -> str:
    return terminal_safe(redact(text) if text else text)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn the project's expected errors into a clean message and their exit code.

    Only ``SourcewatchError``: a ``ValueError`` from a service is a bug, not bad usage,
    and keeps its traceback (the root group in ``cli.app`` maps errors that escape).
    """
    try:
        yield
    except SourcewatchError as exc:
        fail(str(exc), exc.exit_code)


# What the machine refuses, not what the command did wrong: a clean message, exit 74.
_STORAGE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EFBIG: "a file would exceed the file-size limit",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


# What SQLite answers when the disk refuses (its error names, Python 3.11+), and the
# PostgreSQL class of "insufficient resources" (53100 disk_full, 53000, 53200 out of memory
# are not the disk's doing but are not the user's either: 53100 only).
_SQLITE_STORAGE = {
    "SQLITE_FULL": "the disk is full",
    "SQLITE_IOERR": "the disk refused a write (full or failing)",
    "SQLITE_READONLY": "the database is on a read-only file system or not writable",
    "SQLITE_CANTOPEN": "the database file cannot be opened or created (full or read-only)",
}


def storage_problem(exc: BaseException) -> str | None:
    """Why the disk refused a database write, if that is what ``exc`` says."""
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, why in _SQLITE_STORAGE.items():
            if name == prefix or name.startswith(prefix + "_"):
                return why
    if getattr(orig, "sqlstate", None) == "53100":
        return "the database server's disk is full"
    return None


def _storage_exit(why: str, detail: object) -> NoReturn:
    err_console.print(
        f"error: cannot write: {why} [{terminal_safe(redact(str(detail)))}]; nothing was "
        "changed by the failed write: free space (or remount read-write) and run it again",
        markup=False,
    )
    raise SystemExit(EXIT_STORAGE)


@contextmanager
def storage_errors() -> Iterator[None]:
    """Any command: a full disk, a read-only data dir or a file-size limit is a clean
    error (exit 74) naming the file, not a traceback. The database transaction of the
    failed write was not committed; re-running the command after freeing space converges
    (ingest is idempotent)."""
    import sqlalchemy as sa

    try:
        yield
    except sa.exc.DBAPIError as exc:
        why = storage_problem(exc)
        if why is None:
            raise
        _storage_exit(why, exc.orig or exc)
    except OSError as exc:
        why = _STORAGE_ERRNOS.get(exc.errno or 0)
        if why is None:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        err_console.print(
            f"error: cannot write{terminal_safe(redact(where))}: {why} [{exc.strerror}]",
            markup=False,
        )
        raise SystemExit(EXIT_STORAGE) from None


@contextmanager
def database_errors() -> Iterator[None]:
    """Database errors as a clean message: busy (exit 75, try again) apart from not
    reachable / not initialised (exit 2, run `sourcewatch init`)."""
    import sqlalchemy as sa

    from sourcewatch.store.busy import is_busy

    try:
        yield
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        why = storage_problem(exc)
        if why is not None:
            _storage_exit(why, exc.orig or exc)
        if is_busy(exc):
            fail(
                "database is busy (another process is writing: an import, the daemon, "
                f"another analyst); nothing was changed, try again: {exc.orig or exc}",
                EXIT_BUSY,
            )
        fail(
            "database not reachable, not initialised or out of date (run `sourcewatch init`): "
            f"{exc.orig or exc}",
            EXIT_USAGE,
        )


@contextmanager
def progress_bar(label: str) -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar on stderr, so --json output on stdout stays clean."""
    # Imported here: most commands never draw one, and rich.progress costs start-up time.
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        yield progress, progress.add_task(label, total=None)


def with_progress(
    label: str, work: Callable[[Callable[[int, int], None] | None], T], quiet: bool
) -> T:
    """Run ``work(progress)`` with a progress bar on a terminal; ``progress`` is None when
    ``quiet`` (e.g. --json) or stderr is not a terminal."""
    if quiet or not err_console.is_terminal:
        return work(None)
    with progress_bar(label) as (bar, task):
        return work(lambda done, total: bar.update(task, completed=done, total=total))
