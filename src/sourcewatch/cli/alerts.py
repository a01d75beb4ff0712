"""``sourcewatch alerts``: alert channels' state, a test message, replay, one delivery run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_PROBLEM,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    database_errors,
    fail,
    open_existing,
    print_json,
    safe,
    settings_for,
)

alerts_app = typer.Typer(
    help="Alert channels ([[alerts]] in the config): state, test message, replay.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(alerts_app, name="alerts")


@contextmanager
def _database() -> Iterator[None]:
    with cli_errors(), database_errors():
        yield


def _time(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"  # type: ignore[attr-defined]


@alerts_app.callback()
def alerts_list(ctx: typer.Context, config: ConfigOption = None, json: JsonOption = False) -> None:
    """List the alert channels: service, mode, last delivery, failures, backlog."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from sourcewatch.alerts.status import channel_status
    from sourcewatch.records import utcnow

    settings = settings_for(config)
    with _database(), open_existing(settings) as ws:
        statuses = channel_status(ws.engine, settings.alerts, utcnow())
    if json:
        for status in statuses:
            print_json(status.to_json())
        return
    if not statuses:
        console.print("no alert channels configured ([[alerts]] in the config file)")
        return
    table = Table(
        "name", "service", "mode", "last sent", "failures", "backlog", "retrying",
        "sent 24h", "last error",
    )  # fmt: skip
    for s in statuses:
        table.add_row(
            safe(s.name), s.service, s.mode, _time(s.last_sent_at), str(s.failures),
            str(s.backlog + s.unread), str(s.retrying), str(s.sent_24h),
            safe(s.last_error or "")[:80],
        )  # fmt: skip
    console.print(table)


@alerts_app.command("test")
def alerts_test(
    name: Annotated[str, typer.Argument(help="The alert channel's name.")],
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Send a test message on one channel now. Exit 1 if the channel does not accept it."""
    from sourcewatch.alerts.channels import AlertConfigError
    from sourcewatch.alerts.send import AlertSendError
    from sourcewatch.alerts.status import send_test
    from sourcewatch.records import utcnow

    settings = settings_for(config)
    try:
        send_test(settings.alerts, name, utcnow())
    except AlertConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    except AlertSendError as exc:
        if json:
            print_json({"alert": name, "sent": False, "error": str(exc)})
        fail(str(exc), EXIT_PROBLEM)
    if json:
        print_json({"alert": name, "sent": True})
    else:
        console.print(f"test message sent on {safe(name)}", markup=False)


@alerts_app.command("replay")
def alerts_replay(
    since: Annotated[
        str,
        typer.Option(
            "--since",
            help="Entries queued this long ago or later (1h, 2d), or since a date or time "
            "with its zone (2023-09-20, 2023-09-20T10:00-04:00).",
        ),
    ],
    channel: Annotated[
        str | None, typer.Option("--channel", help="Only this channel (default: all).")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Deliver again every alert since --since (sent or not); the daemon sends them."""
    from sourcewatch.alerts.status import replay
    from sourcewatch.records import utcnow
    from sourcewatch.search.filters import parse_when

    now = utcnow()
    try:
        start = parse_when(since, now, option="--since")
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    settings = settings_for(config)
    with _database(), open_existing(settings) as ws:
        queued = replay(ws.engine, settings.alerts, start, now, channel)
    for name, count in queued.items():
        if json:
            print_json({"alert": name, "queued": count})
        else:
            console.print(f"{safe(name)}: {count} alert(s) queued for delivery", markup=False)


@alerts_app.command("deliver")
def alerts_deliver(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Run one delivery now (what the daemon does every few seconds). Exit 1 on a failure."""
    from sourcewatch.alerts.delivery import deliver
    from sourcewatch.daemon.heartbeat import new_replica_id
    from sourcewatch.records import utcnow

    settings = settings_for(config)
    with _database(), open_existing(settings) as ws:
        report = deliver(ws.engine, settings.alerts, utcnow(), owner=new_replica_id())
    for run in report.channels:
        if json:
            print_json(vars(run))
        else:
            state = (
                "busy (another replica)"
                if run.busy
                else f"error: {run.error}"
                if run.failed
                else "ok"
            )
            line = f"{run.name}: {run.messages} message(s), {run.entries} entries; {state}"
            if run.held:
                until = run.held_until.strftime("%Y-%m-%d %H:%M:%SZ") if run.held_until else "?"
                line += f"; {run.held} entries held by the {run.held_by} until {until}"
            console.print(safe(line), markup=False)
    if report.failures:
        raise typer.Exit(EXIT_PROBLEM)
