"""The filter options listing commands share, parsed the same way everywhere (the
checking against what exists is in ``search.filters``/``search.service``)."""

from __future__ import annotations

from typing import Annotated

import typer

SourcesOption = Annotated[
    list[str] | None,
    typer.Option("--source", help="Only this source. Repeat for any of several."),
]
AreasOption = Annotated[
    list[str] | None,
    typer.Option("--area", help="Only this area. Repeat for any of several."),
]
EntitiesOption = Annotated[
    list[str] | None,
    typer.Option("--entity", help="Only items matching this entity id. Repeat for any of several."),
]
TagsOption = Annotated[
    list[str] | None,
    typer.Option("--tag", help="Only queue entries with this tag. Repeat for any of several."),
]
WHEN_HELP = (
    "a duration back from now (90m, 36h, 7d, 2w) or a date or time with its zone "
    "(2023-09-20, 2023-09-20T10:00-04:00, 2023-09-20T14:00Z)"
)
SinceOption = Annotated[
    str | None, typer.Option("--since", help=f"Only from this time on: {WHEN_HELP}.")
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        "--until",
        help=f"Only before this time: {WHEN_HELP}; a bare date includes that whole day.",
    ),
]
