"""``sourcewatch evidence``: WACZ evidence bundles for items, and their offline verification.

``sourcewatch evidence ITEM_ID... --out F.wacz`` is short for ``evidence bundle ...``:
the group runs ``bundle`` when its first word is not a sub-command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_OK,
    EXIT_PROBLEM,
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    print_json,
    safe,
    settings_for,
)

if TYPE_CHECKING:
    # typer vendors click (typer._click): its groups take that Context, not click's.
    from typer import _click


class _BundleByDefault(TyperGroup):
    """``evidence 12 13 --out x.wacz`` means ``evidence bundle 12 13 --out x.wacz``."""

    def parse_args(self, ctx: _click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["bundle", *args]
        return super().parse_args(ctx, args)


evidence_app = typer.Typer(
    cls=_BundleByDefault,
    help=(
        "Evidence bundles: `evidence ITEM_ID... --out F.wacz` (same as `evidence bundle`) "
        "packs items, their captures' WARC records, the capture-log chain segment proving "
        "them and any timestamp tokens into a WACZ; `evidence verify F.wacz` checks one "
        "offline. Nothing is ever submitted to a public archive."
    ),
    no_args_is_help=True,
)
app.add_typer(evidence_app, name="evidence")


@evidence_app.command("bundle")
def bundle(
    item_ids: Annotated[
        list[int] | None, typer.Argument(help="Item ids (as `queue`/`show` print them).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The WACZ file to write.", dir_okay=False)
    ] = ...,  # type: ignore[assignment]
    manifest: Annotated[
        Path | None,
        typer.Option(
            "--manifest",
            help="A `cite` manifest (JSON): bundle every capture it cites and their items.",
            dir_okay=False,
            exists=True,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --out file if it exists.")
    ] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a WACZ evidence bundle for ITEM_IDs (and/or a cite --manifest)."""
    from sourcewatch.evidence.bundle import build_bundle
    from sourcewatch.workspace import Workspace

    settings = settings_for(config)
    with cli_errors(), Workspace.open(settings) as ws:
        report = build_bundle(ws, list(item_ids or []), out, manifest=manifest, overwrite=force)
    if as_json:
        print_json(report.to_json())
        return
    console.print(
        f"wrote {safe(str(report.path))}: {report.items} item(s), {report.captures} capture(s), "
        f"{report.log_entries} capture-log entries, {report.tokens} timestamp token(s)",
        markup=False,
    )


@evidence_app.command("verify")
def verify(
    bundle_file: Annotated[
        Path, typer.Argument(help="The WACZ bundle.", exists=True, dir_okay=False)
    ],
    tsa_ca: Annotated[
        Path | None,
        typer.Option(
            "--tsa-ca",
            help="PEM CA to verify timestamp tokens against (default: the CA in the bundle).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a bundle offline (no database): file hashes, digest, capture-log chain,
    timestamp tokens. Exit 1 if anything fails."""
    from sourcewatch.evidence.verify import verify_bundle

    if tsa_ca is None:  # the configured TSA CA, when there is one, is the trust anchor
        tsa_ca = settings_for(config).evidence.tsa_ca_file
    report = verify_bundle(bundle_file, tsa_ca=tsa_ca)
    if as_json:
        print_json(report.to_json())
    else:
        _render(report)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_PROBLEM)


def _render(report: Any) -> None:
    for check in report.checks:
        mark = "ok  " if check.ok else "FAIL"
        console.print(f"{mark} {safe(check.name)}: {safe(check.detail)}", markup=False)
    verdict = "bundle verified" if report.ok else "bundle FAILED verification"
    console.print(verdict, markup=False)
