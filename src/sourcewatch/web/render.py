"""Templates: one Jinja environment, autoescaping on, hostile text cleaned by filters."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from sourcewatch.web.textview import marked, pieces, safe

TEMPLATES = Path(__file__).parent / "templates"


def when(value: datetime | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value.replace("T", " ").removesuffix("+00:00")
    return f"{value:%Y-%m-%d %H:%M:%S}Z"


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["safe_text"] = safe
    env.filters["marked"] = lambda text: marked(safe(text))  # any source text
    env.filters["marks"] = marked  # text already cleaned (pieces)
    env.globals["pieces"] = pieces
    return env


def render(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """The page ``template`` for ``context``; the logged-in session, if any, is there."""
    from sourcewatch.web.guard import session_of

    context.setdefault("session", session_of(request))
    context.setdefault("path", request.url.path)
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status)
