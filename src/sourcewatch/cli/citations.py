"""``snapshot``, ``cite`` and ``recheck``: archive the URLs a report cites, and watch them."""

from __future__ import annotations

import json as jsonlib
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    err_console,
    fail,
    print_json,
    safe,
    settings_for,
)

if TYPE_CHECKING:
    from sourcewatch.citations.recheck import RecheckReport
    from sourcewatch.citations.snapshot import Snapshot
    from sourcewatch.config import Settings


class ManifestFormat(StrEnum):
    json = "json"
    md = "md"


MaxAgeOption = Annotated[
    str,
    typer.Option(
        "--max-age", help="Reuse a capture of the same URL younger than this (e.g. 24h, 90m)."
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Capture again even if recent.")]
AllowPrivateOption = Annotated[
    bool,
    typer.Option(
        "--allow-private",
        help="Allow private, loopback and link-local addresses (tests, lab servers).",
    ),
]
ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", min=1, max=200, help="URLs captured at the same time.")
]


@app.command()
def snapshot(
    urls: Annotated[list[str], typer.Argument(help="URLs to capture now.")],
    max_age: MaxAgeOption = "24h",
    force: ForceOption = False,
    allow_private: AllowPrivateOption = False,
    submit_wayback: Annotated[
        bool,
        typer.Option(
            "--submit-wayback",
            help="Also ask the Wayback Machine to save each captured URL. Off by default: "
            "a public submission can tip off the people being watched.",
        ),
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Capture URLs now into the archive (response, WARC record, structured post).

    Prints per URL its canonical form, status, archive id, capture time and the
    SHA-256 of every stored object. Exit 1 if a URL was not captured (or, with
    --submit-wayback, not accepted by the Wayback Machine)."""
    from sourcewatch.citations import store
    from sourcewatch.citations.batch import snapshot_all
    from sourcewatch.citations.cite import snapshot_row
    from sourcewatch.net import Http
    from sourcewatch.text.urls import canonical_url
    from sourcewatch.workspace import Workspace

    settings = _settings(config, allow_private)
    age = _duration(max_age)
    with cli_errors():
        targets = [(url, canonical_url(url)) for url in urls]

    from sourcewatch.citations.wayback import WaybackSubmission, submit_to_wayback

    submissions: dict[str, WaybackSubmission] = {}

    async def run() -> dict[str, Snapshot]:
        async with Http(settings.net) as http:
            with Workspace.open(settings) as ws:
                snaps = await snapshot_all(ws, http, settings, targets, max_age=age, force=force)
                rows = [snapshot_row(store.SNAPSHOT_REPORT, None, s.url, s) for s in snaps.values()]
                store.record_citations(ws, rows)
            if submit_wayback:
                for key, snap in snaps.items():
                    if snap.status == "live":
                        submissions[key] = await submit_to_wayback(http, settings, snap.url)
            return snaps

    with cli_errors():
        import asyncio  # here, not at the top: every other command starts without it

        snaps = asyncio.run(run())
    for key, snap in snaps.items():
        submission = submissions.get(key)
        if json:
            extra = {"wayback": submission.to_json()} if submission else {}
            print_json({**snap.to_json(), **extra})
        else:
            _print_snapshot(snap)
            if submission:
                where = submission.archived_url or submission.error or "accepted"
                state = "submitted" if submission.ok else "NOT submitted"
                console.print(safe(f"         Wayback Machine: {state}: {where}"), markup=False)
    missed = any(snap.status != "live" for snap in snaps.values()) or any(
        not submission.ok for submission in submissions.values()
    )
    raise typer.Exit(EXIT_PROBLEM if missed else EXIT_OK)


@app.command()
def cite(
    report: Annotated[
        Path, typer.Argument(help="The report: .txt, .md, .html or .docx.", dir_okay=False)
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and canonicalize the URLs; fetch nothing.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the manifest to FILE.", dir_okay=False)
    ] = None,
    format: Annotated[
        ManifestFormat | None,
        typer.Option("--format", help="json (the manifest) or md (a citation appendix)."),
    ] = None,
    max_age: MaxAgeOption = "24h",
    force: ForceOption = False,
    allow_private: AllowPrivateOption = False,
    concurrency: ConcurrencyOption = 16,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Snapshot every URL in a report's footnotes and write a citation manifest.

    Footnote number -> each URL's raw text, canonical URL, kind, status (live,
    deleted, unreachable, blocked; see docs/citations.md), archive id, SHA-256 and
    capture time. Exit 1 if a URL is not live now."""
    from sourcewatch.citations.footnotes import read_report
    from sourcewatch.citations.manifest import dry_run_json, render_markdown

    if format is not None:
        chosen = format
    elif out is not None:  # a file: its suffix says what it is
        chosen = ManifestFormat.md if out.suffix.lower() == ".md" else ManifestFormat.json
    else:
        chosen = ManifestFormat.json if json else ManifestFormat.md
    if dry_run:
        with cli_errors():
            document = dry_run_json(read_report(report))

        def appendix(doc: dict[str, Any]) -> str:
            return render_markdown({"report": str(report), **doc})

        _emit(document, chosen, out, json, appendix)
        raise typer.Exit(EXIT_OK)
    settings = _settings(config, allow_private)
    age = _duration(max_age)
    with cli_errors():
        import asyncio  # here, not at the top: every other command starts without it

        manifest = asyncio.run(_cite(settings, report, concurrency, age, force))
    _emit(manifest, chosen, out, json, render_markdown)
    if out is not None and settings.evidence.tsa_url:
        _timestamp_manifest(settings, out)
    summary = manifest["summary"]
    if out is not None and not json:
        console.print(
            f"{out}: {summary['urls']} URL(s) in {summary['with_urls']} footnote(s); "
            f"{summary['live']} live, {summary['deleted']} deleted, "
            f"{summary['unreachable']} unreachable, {summary['blocked']} blocked",
            markup=False,
        )
    missed = summary["deleted"] + summary["blocked"] + summary["unreachable"]
    raise typer.Exit(EXIT_PROBLEM if missed else EXIT_OK)


@app.command()
def recheck(
    manifest: Annotated[
        Path | None,
        typer.Argument(help="A manifest written by `cite --out` (not with --retry-unreachable)."),
    ] = None,
    retry_unreachable: Annotated[
        bool,
        typer.Option(
            "--retry-unreachable",
            help="Instead of a manifest: try again now every cited URL waiting in the retry "
            "queue (URLs that were unreachable; the daemon retries them after 5 min, 30 min, "
            "2 h, then every 12 h). Exit 1 if one turned out deleted, edited or blocked.",
        ),
    ] = False,
    allow_private: AllowPrivateOption = False,
    concurrency: ConcurrencyOption = 16,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Re-check every URL of a citation manifest: deleted, edited or still live.

    Each URL is captured again (so the current state is archived too). Exit 1 if a
    cited URL was deleted or edited since its capture; an unreachable URL is never a
    change (it enters the retry queue). With --retry-unreachable, the retry queue is
    tried instead of a manifest."""
    if retry_unreachable == (manifest is not None):
        fail("give a MANIFEST or --retry-unreachable (one of them)", EXIT_USAGE)
    settings = _settings(config, allow_private)
    if manifest is None:
        _retry_unreachable(settings, json)
        return
    from sourcewatch.citations.recheck import recheck_manifest
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace

    try:
        document = jsonlib.loads(manifest.read_bytes())
    except (OSError, ValueError) as exc:
        fail(f"{manifest}: cannot read the manifest: {exc}", EXIT_USAGE)

    async def run() -> RecheckReport:
        async with Http(settings.net) as http:
            with Workspace.open(settings) as ws:
                return await recheck_manifest(ws, http, settings, document, concurrency=concurrency)

    with cli_errors():
        import asyncio  # here, not at the top: every other command starts without it

        report = asyncio.run(run())
    if json:
        print_json(report.to_json())
    else:
        for change in report.changes:
            why = f" ({change.now.reason})" if change.now.reason else ""
            if change.restored:
                why = " (restored: deleted before)" + why
            console.print(f"{change.change:<11} {safe(change.canonical)}{safe(why)}", markup=False)
        counts = report.counts()
        console.print(", ".join(f"{n} {name}" for name, n in counts.items() if n), markup=False)
    counts = report.counts()
    raise typer.Exit(EXIT_PROBLEM if counts["changed"] else EXIT_OK)


def _retry_unreachable(settings: Settings, json: bool) -> None:
    """``recheck --retry-unreachable``: every queued URL once, now; what each became."""
    from sourcewatch.citations.retry import RetryReport, retry_unreachable
    from sourcewatch.net import Http
    from sourcewatch.records import utcnow
    from sourcewatch.workspace import Workspace

    async def run() -> RetryReport:
        async with Http(settings.net) as http:
            with Workspace.open(settings) as ws:
                return await retry_unreachable(
                    ws, http, settings, utcnow(), owner="cli", due_only=False, limit=10_000
                )

    with cli_errors():
        import asyncio  # here, not at the top: every other command starts without it

        report = asyncio.run(run())
    if json:
        print_json(report.to_json())
    else:
        for outcome in report.outcomes:
            why = f" ({outcome.reason})" if outcome.reason else ""
            if outcome.next_attempt_at is not None:
                why += f"; next try {outcome.next_attempt_at:%Y-%m-%d %H:%M} UTC"
            line = f"{outcome.status:<11} {outcome.canonical}{why}"
            console.print(safe(line), markup=False)
        counts = report.counts()
        summary = ", ".join(f"{n} {name}" for name, n in counts.items() if n)
        console.print(summary or "the retry queue is empty", markup=False)
    decided = [o for o in report.outcomes if o.status in ("deleted", "edited", "blocked")]
    raise typer.Exit(EXIT_PROBLEM if decided else EXIT_OK)


async def _cite(
    settings: Settings, report: Path, concurrency: int, age: timedelta, force: bool
) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from sourcewatch.citations.cite import cite_report
    from sourcewatch.net import Http
    from sourcewatch.workspace import Workspace

    columns = (TextColumn("capturing"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("capturing", total=None)
        async with Http(settings.net) as http:
            with Workspace.open(settings) as ws:
                return await cite_report(
                    ws,
                    http,
                    settings,
                    report,
                    concurrency=concurrency,
                    max_age=age,
                    force=force,
                    on_start=lambda total: progress.update(task, total=total),
                    on_done=lambda _snap: progress.advance(task),
                )


def _emit(
    document: dict[str, Any], chosen: ManifestFormat, out: Path | None, json: bool, md: Any
) -> None:
    text = (
        jsonlib.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if chosen is ManifestFormat.json
        else md(document)
    )
    if out is not None:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"{out}: cannot write: {exc.strerror or exc}", EXIT_USAGE)
        if json:
            print_json(document.get("summary", {"report": document.get("report")}))
        return
    if chosen is ManifestFormat.json:
        print_json(document)
    else:
        console.print(safe(text), markup=False, end="")


def _timestamp_manifest(settings: Settings, out: Path) -> None:
    """With a TSA configured, every written manifest gets an RFC 3161 token."""
    from sourcewatch.evidence.tsa import TimestampError, timestamp_manifest
    from sourcewatch.workspace import Workspace

    try:
        with Workspace.open(settings) as ws:
            timestamp_manifest(ws, out.read_bytes(), out.name)
    except TimestampError as exc:
        fail(f"{out} was written but not timestamped: {exc}", EXIT_PROBLEM)
    err_console.print(f"{out}: timestamped by {settings.evidence.tsa_url}", markup=False)


def _print_snapshot(snap: Snapshot) -> None:
    when = snap.captured_at.strftime("%Y-%m-%d %H:%M:%S UTC") if snap.captured_at else "-"
    head = f"{snap.status:<8} {snap.canonical}"
    if snap.reused:
        head += f" (reused: our capture of {when}, within --max-age)"
    console.print(safe(head), markup=False)
    if snap.reason:
        console.print(f"  reason      {safe(snap.reason)}", markup=False)
    if snap.capture_id is not None:
        console.print(f"  archive id  {snap.capture_id}  captured {when}", markup=False)
    for obj in snap.objects:
        console.print(f"  {obj.role:<10}  sha256 {obj.sha256}  {obj.size} bytes", markup=False)
    if snap.reused and snap.sha256:
        console.print(f"  response    sha256 {snap.sha256}", markup=False)
    if snap.earlier is not None:
        earlier = snap.earlier.fetched_at.strftime("%Y-%m-%d %H:%M UTC")
        revision = (
            f", item {snap.earlier.item_id} revision {snap.earlier.revision}"
            if snap.earlier.item_id is not None
            else ""
        )
        console.print(
            f"  cited instead: archive id {snap.earlier.capture_id}, captured {earlier}, "
            f"sha256 {snap.earlier.sha256}{revision}",
            markup=False,
        )


def _settings(config: Path | None, allow_private: bool) -> Settings:
    settings = settings_for(config)
    if allow_private:
        net = settings.net.model_copy(update={"allow_private_addresses": True})
        settings = settings.model_copy(update={"net": net})
    return settings


def _duration(text: str) -> timedelta:
    from sourcewatch.sources.config import parse_duration

    try:
        return timedelta(seconds=parse_duration(text))
    except ValueError as exc:
        fail(f"--max-age: {exc}", EXIT_USAGE)
