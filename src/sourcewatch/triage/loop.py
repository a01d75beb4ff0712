"""The interactive ``triage`` loop: claim an item, show it, take one key, repeat.

Keys come from the terminal in raw mode (one key press, no Enter) or, when standard
input is not a terminal, from the piped text, one non-blank character at a time, so
the loop can be driven by a script or a test: ``printf 'r\\ni\\nn\\ngood source\\nq\\n'``.
After ``n`` the rest of that line, or else the next line, is the note.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console, RenderableType
from rich.rule import Rule
from rich.text import Text

from sourcewatch.errors import SourcewatchError
from sourcewatch.records import utcnow
from sourcewatch.text.sanitize import terminal_safe
from sourcewatch.triage.claims import claim_next, release
from sourcewatch.triage.detail import ItemDetail, highlight_item, item_detail
from sourcewatch.triage.marking import MarkChange, TriageError, mark
from sourcewatch.triage.paging import print_paged
from sourcewatch.triage.queue import QueueFilter, QueueRow, count_queue
from sourcewatch.triage.render import item_view
from sourcewatch.workspace import Workspace

STATUS_KEYS = {"r": "relevant", "i": "irrelevant", "e": "escalated"}
PROMPT = "[r]elevant  [i]rrelevant  [e]scalate  [s]kip  [n]ote  [t]ranslate  [q]uit"


class KeyReader:
    """Single keys and note lines from a terminal or from piped input."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.interactive = _isatty(stream)

    def key(self) -> str | None:
        """The next key, lower-cased; None at the end of piped input."""
        if self.interactive:
            with _raw_mode(self.stream):
                char = self.stream.read(1)
            return None if char in ("", "\x03", "\x04") else char.lower()  # Ctrl-C/D quit
        while True:
            char = self.stream.read(1)
            if char == "":
                return None
            if not char.isspace():
                return char.lower()

    def line(self, prompt_console: Console) -> str:
        prompt_console.print("note: ", end="")
        if self.interactive:
            return self.stream.readline().strip()
        rest = self.stream.readline().strip()  # "n good source" on one line...
        return rest or self.stream.readline().strip()  # ...or the note on the next


def run_loop(
    ws: Workspace, where: QueueFilter, analyst: str, stream: TextIO, console: Console
) -> int:
    """Triage until the queue is empty or the analyst quits; returns how many were marked."""
    keys = KeyReader(stream)
    skipped: set[int] = set()
    marked = 0
    while True:
        with ws.engine.begin() as conn:
            row = claim_next(conn, analyst, where, utcnow(), skip=skipped)
        if row is None:
            console.print(f"Nothing left to triage. Marked {marked}.", markup=False)
            return marked
        try:
            outcome = _work_on(ws, row, where, analyst, keys, console, skipped)
        except KeyboardInterrupt:  # Ctrl-C: give the item back rather than hold it 5 minutes
            _release(ws, row, analyst)
            outcome = "quit"
        if outcome == "quit":
            console.print(f"Stopped. Marked {marked}.", markup=False)
            return marked
        marked += outcome == "marked"


def _work_on(
    ws: Workspace,
    row: QueueRow,
    where: QueueFilter,
    analyst: str,
    keys: KeyReader,
    console: Console,
    skipped: set[int],
) -> str:
    """Show one claimed entry and act on keys until it is marked, skipped or quit."""
    with ws.engine.connect() as conn:
        detail = item_detail(conn, row.item_id)
        left = count_queue(
            conn, where, claimable_by=analyst, now=utcnow(), exclude=skipped | {row.triage_id}
        )
    _highlight(ws, detail, console)
    console.print(Rule(f"item {row.item_id} - priority {row.priority} - {left} more after this"))
    print_paged(console, item_view(detail))  # a long article pages; the prompt follows
    version = row.version
    while True:
        console.print(Text(PROMPT, style="bold"))
        key = keys.key()
        if key is None or key == "q":
            _release(ws, row, analyst)
            return "quit"
        if key == "s":
            _release(ws, row, analyst)
            skipped.add(row.triage_id)
            return "skipped"
        if key == "t":
            console.print(translation_of(ws, row.item_id))
            continue
        if key in STATUS_KEYS or key == "n":
            change = (
                MarkChange(note=keys.line(console))
                if key == "n"
                else MarkChange(status=STATUS_KEYS[key])
            )
            try:
                with ws.engine.begin() as conn:
                    result = mark(
                        conn, row.item_id, change, analyst, utcnow(), expected_version=version
                    )
            except TriageError as exc:  # someone else decided it meanwhile: show, move on
                console.print(Text(f"conflict: {exc}", style="bold red"))
                _release(ws, row, analyst)
                skipped.add(row.triage_id)
                return "conflict"
            version = result.version
            if key == "n":
                console.print("note saved", markup=False)
                continue
            console.print(f"{row.item_id}: {result.status}", markup=False)
            return "marked"
        console.print(f"unknown key {key!r}", markup=False)


def translation_of(ws: Workspace, item_id: int) -> RenderableType:
    """The ``t`` key: the item's machine translation, made now if an engine is configured
    (never twice), shown under the original already on screen; or why there is none."""
    from sourcewatch.translate.render import translation_view
    from sourcewatch.translate.service import translation_for_show

    try:
        found, outcome = translation_for_show(ws.settings, ws.engine, item_id)
    except SourcewatchError as exc:
        return Text(terminal_safe(f"not translated: {exc}"), style="bold red")
    if found is not None:
        return translation_view(found)
    if outcome is None:
        return Text("no translation: no engine is configured in [translate]")
    return Text(terminal_safe(f"not translated: {outcome.error or outcome.status}"))


def _highlight(ws: Workspace, detail: ItemDetail, console: Console) -> None:
    """Every hit highlighted and listed; with broken watchlists, the stored matches."""
    from sourcewatch.matching import WatchlistError

    try:
        highlight_item(detail, ws.matcher())
    except WatchlistError as exc:
        console.print(f"warning: watchlists not loaded, stored matches shown: {exc}", markup=False)


def _release(ws: Workspace, row: QueueRow, analyst: str) -> None:
    with ws.engine.begin() as conn:
        release(conn, row.triage_id, analyst)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def _raw_mode(stream: TextIO) -> Iterator[None]:
    """One key press without Enter (POSIX terminals); elsewhere, line mode."""
    try:
        import termios
        import tty
    except ImportError:  # Windows: keys followed by Enter
        yield
        return
    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
