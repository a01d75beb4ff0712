"""The search page: the query language and filters of ``sourcewatch search``, run by
the same service (``search.service``), hits ranked with their snippet.

A query that does not parse or a filter naming an unknown source, area, entity or
kind is shown with the CLI's own message (HTTP 400), never a traceback.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sourcewatch.errors import InvalidInput
from sourcewatch.matching import WatchlistError
from sourcewatch.search import service
from sourcewatch.search.engine import Hit
from sourcewatch.search.filters import KINDS
from sourcewatch.search.translations import WITHIN
from sourcewatch.store.db import read_connection
from sourcewatch.web.guard import require
from sourcewatch.web.render import render

MULTI = ("source", "area", "entity", "lang", "kind")  # repeatable, as on the CLI
SINGLE = ("since", "until")
FLAGS = ("deleted", "edited", "newest")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def _given(params: Any) -> dict[str, Any]:
    """The form's fields as ``service.filter_from`` takes the CLI's options; a field
    may hold several comma-separated names (``--source a --source b``)."""
    given: dict[str, Any] = {
        key: [v for value in params.getlist(key) for v in value.split(",")] for key in MULTI
    }
    for key in SINGLE:
        given[key] = params.get(key) or None
    for key in FLAGS:
        given[key] = params.get(key) in ("1", "on", "true")
    return given


def _limit(params: Any) -> int:
    value = params.get("limit") or ""
    if not value:
        return DEFAULT_LIMIT
    if not value.isdigit() or int(value) < 1:
        raise InvalidInput(f"--limit: a whole number from 1, not {value!r}")
    return min(int(value), MAX_LIMIT)


def revision_state(hit: Hit) -> str:
    """Which revision matched, as the CLI says it ("edited away": the words are no
    longer in the current text)."""
    if hit.revision != hit.current_revision:
        where = "edited away" if hit.current_revision not in hit.revisions else "also now"
        return f"revision {hit.revision} of {hit.current_revision}, {where}"
    return f"revision {hit.revision}" if hit.current_revision > 1 else ""


def snippet_pieces(hit: Hit) -> list[tuple[str, bool]]:
    """The snippet (already cleaned by ``search.snippet``) cut into plain and matched
    pieces, with an ellipsis where it was cut."""
    if hit.snippet is None:
        return []
    text, pieces, position = hit.snippet.text, [], 0
    for start, end in hit.snippet.spans:
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    pieces.append((text[position:], False))
    if hit.snippet.cut_left:
        pieces.insert(0, ("…", False))
    if hit.snippet.cut_right:
        pieces.append(("…", False))
    return [(piece, matched) for piece, matched in pieces if piece]


def search_page(request: Request) -> Response:
    """GET /search?q=...: the form, and the hits when a query is given."""
    require(request)
    params = request.query_params
    query = (params.get("q") or "").strip()
    context: dict[str, Any] = {
        "q": query,
        "form": {key: ", ".join(v for v in params.getlist(key) if v) for key in MULTI + SINGLE},
        "flags": {key: params.get(key) in ("1", "on", "true") for key in FLAGS},
        "limit": params.get("limit") or "",
        "hits": None,
        "error": None,
        "kinds": sorted(KINDS),
        "places": WITHIN,
        "within": params.get("in") or "original",
    }
    if not query:
        return render(request, "search.html", context)
    ws = request.app.state.ws
    try:
        where = service.filter_from(_given(params), request.app.state.clock())
        search = service.SearchRequest(
            query,
            where,
            limit=_limit(params),
            newest=context["flags"]["newest"],
            within=context["within"],
        )
        entities = ws.matcher().entities
        with read_connection(ws.engine) as conn:
            result = service.search(conn, search, entities)
    except InvalidInput as exc:
        context["error"] = str(exc)
        return render(request, "search.html", context, status=400)
    except WatchlistError as exc:  # entity names come from the watchlists
        context["error"] = f"cannot search: {exc}"
        return render(request, "search.html", context, status=503)
    context["hits"] = [
        {"hit": hit, "state": revision_state(hit), "pieces": snippet_pieces(hit)}
        for hit in result.hits
    ]
    return render(request, "search.html", context)
