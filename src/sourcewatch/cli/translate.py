"""Command: translate (machine translation of stored items, beside the original).

Exit codes: 0 every item translated (or already was); 1 an item failed (the engine is
down or refused, no configured engine may see it, or the item does not exist); 2 no
engine configured, or the engine asked for may not see the item (a third party not
opted in).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from sourcewatch.cli.app import app
from sourcewatch.cli.common import (
    EXIT_PROBLEM,
    EXIT_USAGE,
    ConfigOption,
    JsonOption,
    cli_errors,
    console,
    database_errors,
    err_console,
    fail,
    open_existing,
    print_json,
    settings_for,
)
from sourcewatch.text.sanitize import terminal_safe

if TYPE_CHECKING:
    from sourcewatch.config import Settings

EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Use this configured engine (libretranslate, deepl) instead of the first one "
        "[translate] allows for the item. A third party (deepl) only for opted-in sources/areas.",
    ),
]
ToOption = Annotated[
    str | None,
    typer.Option(
        "--to", help="Target language (ISO 639-1, e.g. en, fr). Default: [translate] target."
    ),
]


@app.command()
def translate(
    item_ids: Annotated[
        list[int] | None, typer.Argument(help="One or more item_ids (from `queue`).")
    ] = None,
    engine: EngineOption = None,
    to: ToOption = None,
    languages: Annotated[
        bool,
        typer.Option(
            "--languages",
            help="List the languages the engine translates from and into (asks the engine; "
            "sends no item text), instead of translating.",
        ),
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Translate items' current text with the engine [translate] configures, and store the
    translation beside the original (which is never changed). An item already translated
    to that language by that engine is not sent again. Nothing is sent anywhere unless
    [translate] engines is set; DeepL only for the sources and areas opted in.

    Prints each item's original and its translation; --json one object per item
    (item_id, status, engine, error, translation).
    """
    from sourcewatch.translate.render import outcome_view
    from sourcewatch.translate.service import FAILED, NO_ENGINE, translate_now

    settings = settings_for(config)
    if languages:
        _print_languages(settings, engine, json)
        return
    if not item_ids:
        fail("give one or more item_ids (or --languages)", EXIT_USAGE)
    with (
        cli_errors(),
        database_errors(),
        open_existing(settings) as ws,
    ):
        outcomes = translate_now(
            settings, ws.engine, item_ids, target=to.lower() if to else None, wanted=engine
        )
    for outcome in outcomes:
        if json:
            print_json(outcome.to_json())
        else:
            console.print(outcome_view(outcome))
    failed = [o for o in outcomes if o.status in (FAILED, NO_ENGINE)]
    for outcome in failed:
        why = outcome.error or (
            "no configured engine may see it (a third-party engine needs the source or an "
            "area opted in: [translate] third_party_sources / third_party_areas)"
        )
        if not json:
            err_console.print(Text(terminal_safe(f"error: item {outcome.item_id}: {why}")))
    if failed:
        raise typer.Exit(EXIT_PROBLEM)


def _print_languages(settings: Settings, engine: str | None, json: bool) -> None:
    from sourcewatch.translate.service import engine_languages

    with cli_errors():
        name, found = engine_languages(settings, engine)
    for language in found:
        if json:
            print_json(
                {
                    "engine": name,
                    "code": language.code,
                    "name": language.name,
                    "targets": list(language.targets),
                }
            )
        else:
            targets = ", ".join(language.targets)
            console.print(Text(terminal_safe(f"{language.code:6} {language.name}: -> {targets}")))
