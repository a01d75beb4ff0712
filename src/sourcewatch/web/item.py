"""The item page: text with matched spans marked, why it matched (``match --explain``),
every revision with its diff, deletion status, the archived captures with hash and
time, media inline, the triage entry with its history and the mark forms."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sourcewatch.matching import WatchlistError
from sourcewatch.store.captures import captures_for
from sourcewatch.store.db import read_connection
from sourcewatch.store.tables import TRIAGE_STATUSES
from sourcewatch.triage.detail import explain_item, item_detail
from sourcewatch.triage.marking import ItemNotFoundError, TriageError, history
from sourcewatch.triage.queue import source_state
from sourcewatch.web.guard import require
from sourcewatch.web.render import render

HTML_TYPES = ("text/html", "application/xhtml+xml")


def item_page(
    request: Request,
    *,
    message: str | None = None,
    conflict: bool = False,
    status: int = 200,
) -> Response:
    require(request)
    item_id = request.path_params["item_id"]
    ws = request.app.state.ws
    with read_connection(ws.engine) as conn:
        try:
            detail = item_detail(conn, item_id)
        except ItemNotFoundError as exc:
            return render(request, "error.html", {"message": str(exc)}, status=404)
        try:
            events = history(conn, item_id) if detail.entry else []
        except TriageError:
            events = []
        rows = captures_for(conn, [(c.sha256, c.url) for c in detail.captures])
    explain_error = None
    try:
        explain_item(detail, ws.matcher())
    except WatchlistError as exc:
        explain_error = f"cannot explain: {exc}"
    seams = request.app.state.seams
    translation = seams.translation(ws, item_id) if seams.translation else None
    captures: list[dict[str, Any]] = []
    for capture in detail.captures:
        row = rows.get((capture.sha256, capture.url))
        capture_id = row.id if row else None
        media_type = (row.media_type if row else None) or ""
        captures.append(
            {
                "ref": capture,
                "id": capture_id,
                "viewable": capture_id is not None
                and media_type.split(";")[0].strip().lower() in HTML_TYPES,
                "link": request.app.state.signer.page_link(capture_id) if capture_id else None,
            }
        )
    context = {
        "detail": detail,
        "state": source_state(detail.deleted_at, detail.revision),
        "events": events,
        "captures": captures,
        "explain_error": explain_error,
        "translation": translation,
        "statuses": [s for s in TRIAGE_STATUSES if s != "new"],
        "message": message,
        "conflict": conflict,
        "claimed": request.query_params.get("claimed") == "1",
        "marked": request.query_params.get("to")
        if request.query_params.get("to") in TRIAGE_STATUSES
        else None,
    }
    return render(request, "item.html", context, status=status)


def item(request: Request) -> Response:
    return item_page(request)
