"""The item page: text with matched spans marked and each hit listed with its alias and
entity or rule (the highlights of ``show``: ``triage.detail.highlight_item``), why it
matched (``match --explain``), the stored translation under the original, every
revision with its diff, deletion status, the archived captures with hash and time,
media inline, the triage entry with its history and the mark forms.

Viewing never translates: an analyst's "Translate" button (POST, CSRF) calls the same
on-demand service as ``sourcewatch translate``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sourcewatch.errors import InvalidInput
from sourcewatch.matching import WatchlistError
from sourcewatch.matching.highlights import Highlight
from sourcewatch.store.captures import captures_for
from sourcewatch.store.db import read_connection
from sourcewatch.store.tables import TRIAGE_STATUSES
from sourcewatch.translate.service import (
    ALREADY,
    FAILED,
    TRANSLATED,
    NoEngineConfigured,
    Outcome,
    translate_items,
)
from sourcewatch.translate.store import latest_translation
from sourcewatch.triage.detail import explain_item, highlight_item, item_detail
from sourcewatch.triage.marking import ItemNotFoundError, TriageError, history
from sourcewatch.triage.queue import source_state
from sourcewatch.web.guard import change_form, require
from sourcewatch.web.render import render

HTML_TYPES = ("text/html", "application/xhtml+xml")


def item_page(
    request: Request,
    *,
    message: str | None = None,
    conflict: bool = False,
    translate_message: str | None = None,
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
        translation = latest_translation(conn, item_id)
    explain_error = None
    try:
        matcher = ws.matcher()
        highlight_item(detail, matcher)
        explain_item(detail, matcher)
    except WatchlistError as exc:  # the spans stored at ingest are still shown
        explain_error = f"cannot explain: {exc}"
    engines = ws.settings.translate.engines
    done = request.query_params.get("translated")
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
        "spans": detail.highlights if detail.highlights is not None else detail.spans,
        "hits": hit_list(detail.highlights or []),
        "translate_ready": bool(engines),
        "translate_ready_why": "No translation engine is configured ([translate] engines): "
        "nothing is sent anywhere.",
        "translate_engines": ", ".join(engines),
        "translate_message": translate_message
        or (f"Translation: {done}." if done in (TRANSLATED, ALREADY) else None),
        "translate_failed": translate_message is not None,
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


def hit_list(highlights: list[Highlight]) -> list[dict[str, Any]]:
    """One entry per distinct hit, in order of first occurrence, counted, as ``show``
    lists them (``triage.render.hit_lines``)."""
    counts: dict[tuple[str, str, str | None, str, tuple[str, ...]], int] = {}
    for hit in highlights:
        key = (hit.surface, hit.kind, hit.entity, hit.alias, hit.rules)
        counts[key] = counts.get(key, 0) + 1
    return [
        {"surface": k[0], "kind": k[1], "entity": k[2], "alias": k[3], "rules": k[4], "count": n}
        for k, n in counts.items()
    ]


def _refusal(outcome: Outcome | None, problem: str | None) -> str | None:
    """Why nothing was translated (None when it was, or already had been)."""
    if problem is not None:
        return problem
    assert outcome is not None
    if outcome.status in (TRANSLATED, ALREADY):
        return None
    return f"not translated: {outcome.status}" + (f": {outcome.error}" if outcome.error else "")


async def translate(request: Request) -> Response:
    """POST /items/{item_id}/translate: the item's current revision translated now by
    the configured engine the policy allows (never twice), as ``sourcewatch translate``."""
    await change_form(request, "analyst")
    item_id = request.path_params["item_id"]
    ws = request.app.state.ws
    outcome: Outcome | None = None
    problem: str | None = None
    try:
        outcome = (await translate_items(ws.settings, ws.engine, [item_id]))[0]
    except (NoEngineConfigured, InvalidInput) as exc:
        problem = str(exc)
    refused = _refusal(outcome, problem)
    if refused is not None:
        failed = outcome is not None and outcome.status == FAILED  # the engine's fault
        return item_page(request, translate_message=refused, status=502 if failed else 409)
    assert outcome is not None
    return RedirectResponse(
        f"/items/{item_id}?{urlencode({'translated': outcome.status})}", status_code=303
    )
