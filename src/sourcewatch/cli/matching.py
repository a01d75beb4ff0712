"""Commands: match (try the watchlists on a text) and watchlists check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    console,
    err_console,
    fail,
    print_json,
    safe,
    settings_for,
)
from sourcewatch.text.sanitize import terminal_safe

if TYPE_CHECKING:
    from sourcewatch.matching import Matcher, MatchResult

watchlists_app = typer.Typer(
    help="Validate the watchlist files (watchlists/*.toml).", no_args_is_help=True
)
app.add_typer(watchlists_app, name="watchlists")

WatchlistsOption = Annotated[
    Path | None,
    typer.Option(
        "--watchlists",
        "-w",
        help="Watchlists directory. Default: the configured watchlists_dir "
        "($SOURCEWATCH_WATCHLISTS_DIR, else ./watchlists), the files the daemon uses.",
        file_okay=False,
    ),
]
_HIGHLIGHT = "bold black on yellow"


def _watchlists_dir(watchlists: Path | None, config: Path | None) -> Path:
    return watchlists if watchlists is not None else settings_for(config).watchlists_dir


@app.command()
def match(
    text: Annotated[str | None, typer.Argument(help="The text to match.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Match this whole file ('-': stdin).")
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option(
            "--jsonl",
            help='One {"id": ..., "text": ...} per line (\'-\': stdin); one result per line.',
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Say why: each alias found (surface form, affixes, normalization steps, "
            "or why it was dropped) and each rule's operands, also for rules that did not fire.",
        ),
    ] = False,
    watchlists: WatchlistsOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Show what the watchlists find in a text: entities, rules fired, priority.

    Without --json the text is printed with the matches highlighted. Exit codes:
    0 done (matched or not), 2 bad input or invalid watchlists.
    """
    from sourcewatch.matching.inputs import (
        JsonlProblem,
        MatchInputError,
        iter_jsonl,
        read_text_file,
    )

    if sum(x is not None for x in (text, file, jsonl)) != 1:
        fail("give exactly one of TEXT, --file or --jsonl", EXIT_USAGE)
    matcher = _matcher(_watchlists_dir(watchlists, config))
    bad_lines = 0
    try:
        if jsonl is None:
            body = text if text is not None else read_text_file(file)  # type: ignore[arg-type]
            _render(matcher, str(file) if file is not None else None, body, json, explain)
            return
        for record in iter_jsonl(jsonl):
            if isinstance(record, JsonlProblem):
                err_console.print(f"error: {safe(record.message)}", markup=False)
                bad_lines += 1
                continue
            _render(matcher, record.id, record.text, json, explain)
    except MatchInputError as exc:
        fail(str(exc), EXIT_USAGE)
    if bad_lines:
        fail(f"{bad_lines} line(s) of {jsonl} could not be matched", EXIT_USAGE)


def _matcher(directory: Path) -> Matcher:
    from sourcewatch.matching import WatchlistError, load_matcher

    if not directory.is_dir():
        fail(f"watchlists directory {directory} does not exist", EXIT_USAGE)
    try:
        return load_matcher(directory)
    except WatchlistError as exc:
        for problem in exc.problems:
            err_console.print(f"error: {safe(problem)}", markup=False)
        fail(f"invalid watchlists in {directory} (see `sourcewatch watchlists check`)")


def _render(
    matcher: Matcher, text_id: Any, text: str, as_json: bool, explain: bool = False
) -> None:
    explanation = matcher.explain(text) if explain else None
    result = explanation.result if explanation is not None else matcher.match(text)
    if as_json:
        extra = {"explain": explanation.to_json()} if explanation is not None else {}
        print_json({"id": text_id, **result.to_json(), **extra})
        return
    if text_id is not None:
        console.print(Text(f"── {safe(str(text_id))}", style="bold"))
    console.print(_highlighted(text, result))
    console.print(_summary(matcher, result), markup=False)
    if explanation is not None:
        for line in explanation.lines():
            console.print(_indented_safe(line), markup=False)


def _indented_safe(line: str) -> str:
    """A terminal-safe line that keeps its leading indentation (the explanation nests)."""
    body = line.lstrip(" ")
    return " " * (len(line) - len(body)) + terminal_safe(body, keep_newlines=False)


def _highlighted(text: str, result: MatchResult) -> Text:
    """The text with every match highlighted; each piece is made terminal-safe on its own
    so the spans (offsets into the original text) stay exact."""
    out = Text()
    position = 0
    for m in result.matches:
        if m.start < position:
            continue
        out.append(safe(text[position : m.start]))
        out.append(safe(text[m.start : m.end]), style=_HIGHLIGHT)
        position = m.end
    out.append(safe(text[position:]))
    return out


def _summary(matcher: Matcher, result: MatchResult) -> str:
    if not result:
        return "no match"
    found: dict[str, list[str]] = {}
    for m in result.matches:
        found.setdefault(m.entity, []).append(m.text)
    entities = ", ".join(
        f"{entity_id} [{matcher.entity(entity_id).name}] ({', '.join(dict.fromkeys(texts))})"
        for entity_id, texts in found.items()
    )
    parts = [f"priority {result.priority}", f"entities: {entities or '-'}"]
    parts.append(f"rules: {', '.join(result.rules) or '-'}")
    parts.append(f"areas: {', '.join(result.areas)}")
    return terminal_safe(" · ".join(parts), keep_newlines=False)


@watchlists_app.command("check")
def check(
    watchlists: WatchlistsOption = None, config: ConfigOption = None, json: JsonOption = False
) -> None:
    """Validate every watchlist file; print each problem as file:line: message.

    Finds duplicate ids, unknown ids in rules, bad query syntax, aliases that
    would match almost everything, unknown keys and wrong types. Exit codes: 0
    valid, 1 errors found, 2 the directory does not exist.
    """
    directory = _watchlists_dir(watchlists, config)
    if not directory.is_dir():
        fail(f"watchlists directory {directory} does not exist", EXIT_USAGE)
    from sourcewatch.matching.watchlist import check_watchlists

    report = check_watchlists(directory)
    summary = {
        "ok": not report.problems,
        "directory": str(directory),
        "files": len(report.files),
        "entities": len(report.entities),
        "rules": len(report.rules),
        "aliases": report.alias_count,
        "version": report.version,
        "errors": report.problems,
        "warnings": report.warnings,
    }
    if json:
        print_json(summary)
    else:
        for problem in report.problems:
            console.print(f"error: {safe(problem)}", markup=False)
        for warning in report.warnings:
            console.print(f"warning: {safe(warning)}", markup=False)
        status = "OK" if not report.problems else f"{len(report.problems)} error(s)"
        console.print(
            f"{directory}: {summary['files']} files, {summary['entities']} entities, "
            f"{summary['aliases']} aliases, {summary['rules']} rules: {status}",
            markup=False,
        )
    raise typer.Exit(EXIT_PROBLEM if report.problems else EXIT_OK)
