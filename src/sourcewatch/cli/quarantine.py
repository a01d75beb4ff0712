"""``sourcewatch quarantine``: items the database refused: list, show, retry, drop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_PROBLEM,
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    database_errors,
    open_existing,
    print_json,
    safe,
    settings_for,
)

quarantine_app = typer.Typer(
    help=(
        "Items the database refused (kept with their reason while the rest of the poll was "
        "stored). Without a subcommand: list them. Exit 1 when a retry is refused again."
    ),
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(quarantine_app, name="quarantine")

IdArgument = Annotated[int, typer.Argument(help="The quarantined item's id (see the list).")]


@contextmanager
def _database() -> Iterator[None]:
    with cli_errors(), database_errors():
        yield


@quarantine_app.callback()
def quarantine_list(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Option("--source", "-s", help="Only this source's items.")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """List the quarantined items: id, source, external id, when, and why."""
    if ctx.invoked_subcommand is not None:
        return
    from sourcewatch.ingest.quarantine import list_quarantined

    settings = settings_for(config)
    with _database(), open_existing(settings) as ws:
        kept = list_quarantined(ws, source)
    if json:
        for record in kept:
            print_json(record.to_json())
        return
    if not kept:
        console.print("no quarantined items", markup=False)
        return
    for record in kept:
        when = record.quarantined_at.strftime("%Y-%m-%d %H:%M:%S")
        console.print(
            f"{record.id:>5}  {when}  {safe(record.source)}  {safe(record.external_id)[:60]}\n"
            f"       {safe(record.reason)[:200]}",
            markup=False,
        )


@quarantine_app.command("show")
def quarantine_show(
    quarantine_id: IdArgument, config: ConfigOption = None, json: JsonOption = False
) -> None:
    """Show one quarantined item: its reason and the item as it was kept."""
    import json as jsonlib

    from sourcewatch.ingest.quarantine import get_quarantined

    settings = settings_for(config)
    with _database(), open_existing(settings) as ws:
        record = get_quarantined(ws, quarantine_id)
    if json:
        print_json(record.to_json(with_item=True))
        return
    console.print(f"quarantined item {record.id} of {safe(record.source)}", markup=False)
    console.print(f"external id  {safe(record.external_id)}", markup=False)
    console.print(f"kept at      {record.quarantined_at:%Y-%m-%d %H:%M:%S} UTC", markup=False)
    console.print(f"reason       {safe(record.reason)}", markup=False)
    console.print(safe(jsonlib.dumps(record.item, indent=2, ensure_ascii=False)), markup=False)


@quarantine_app.command("retry")
def quarantine_retry(
    quarantine_id: IdArgument, config: ConfigOption = None, json: JsonOption = False
) -> None:
    """Store the item again under its source (as a poll would); on success the row is
    removed. Exit 1 when the database refuses it again (the row stays, reason shown)."""
    from sourcewatch.cli.core import _watch_list
    from sourcewatch.ingest.quarantine import retry_quarantined

    settings = settings_for(config)
    with _database(), open_existing(settings) as ws:
        outcome = retry_quarantined(ws, quarantine_id, _watch_list(settings))
    if json:
        print_json(outcome.to_json())
    elif outcome.stored:
        console.print(f"quarantined item {quarantine_id} stored; removed from the quarantine")
    else:
        console.print(
            f"quarantined item {quarantine_id} refused again: {safe(outcome.reason)}",
            markup=False,
        )
    raise typer.Exit(0 if outcome.stored else EXIT_PROBLEM)


@quarantine_app.command("drop")
def quarantine_drop(
    quarantine_id: IdArgument, config: ConfigOption = None, json: JsonOption = False
) -> None:
    """Remove a quarantined item for good (the captures it came from stay archived)."""
    from sourcewatch.ingest.quarantine import drop_quarantined

    settings = settings_for(config)
    with _database(), open_existing(settings) as ws:
        record = drop_quarantined(ws, quarantine_id)
    if json:
        print_json({"dropped": record.to_json()})
    else:
        console.print(
            f"dropped quarantined item {record.id} ({safe(record.external_id)[:60]})", markup=False
        )
