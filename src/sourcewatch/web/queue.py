"""The queue page and its changes: claim, mark (status, note, tag, assign), release.

Marks go through ``triage.marking.mark`` with the version the page was rendered at,
exactly as ``sourcewatch mark --expect-version`` does: if someone changed the entry
since, nothing is changed and the page shows the CLI's conflict message (HTTP 409).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from sourcewatch.errors import InvalidInput
from sourcewatch.sources.config import parse_duration
from sourcewatch.store.db import read_connection
from sourcewatch.store.tables import TRIAGE_STATUSES
from sourcewatch.triage.claims import claim_next, release
from sourcewatch.triage.marking import ConflictError, MarkChange, TriageError, mark
from sourcewatch.triage.queue import QueueFilter, list_queue
from sourcewatch.web.guard import change_form, local_path, require
from sourcewatch.web.render import render

FILTER_KEYS = ("status", "area", "source", "entity", "since", "min_priority", "assignee", "limit")
MAX_LIMIT = 500


class BadFilter(Exception):
    """A query parameter that does not parse; shown on the page (400)."""


def queue_filter(params: Any, user_name: str, now: Any) -> QueueFilter:
    """The CLI's ``queue`` filters from query parameters (same names, same meaning)."""
    statuses = [s for s in params.getlist("status") if s]
    if any(s in ("any", "all") for s in statuses):
        statuses_t: tuple[str, ...] = ()
    else:
        statuses_t = tuple(statuses) or ("new",)
    since = None
    if params.get("since"):
        try:
            since = now - timedelta(seconds=parse_duration(params["since"]))
        except ValueError as exc:
            raise BadFilter(f"since: {exc}") from None
    try:
        min_priority = int(params["min_priority"]) if params.get("min_priority") else None
        limit = min(int(params.get("limit") or 50), MAX_LIMIT)
    except ValueError:
        raise BadFilter("min_priority and limit are whole numbers") from None
    assignee = params.get("assignee") or None
    if assignee == "me":
        assignee = user_name
    try:
        return QueueFilter(
            statuses=statuses_t,
            area=(params.get("area") or "").lower() or None,
            source=params.get("source") or None,
            entity=params.get("entity") or None,
            since=since,
            min_priority=min_priority,
            assignee=assignee,
            limit=limit,
        )
    except InvalidInput as exc:
        raise BadFilter(str(exc)) from None


def _filters_of(params: Any) -> dict[str, str]:
    return {k: str(params.get(k)) for k in FILTER_KEYS if params.get(k)}


def _return_to(params: Any) -> str:
    """This queue page's URL with its filters (not the last mark's notice)."""
    kept = [(k, v) for k, v in params.multi_items() if k in FILTER_KEYS]
    return "/queue" + (f"?{urlencode(kept)}" if kept else "")


def queue_page(
    request: Request,
    *,
    params: Any = None,
    message: str | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> Response:
    session = require(request)
    if params is None:
        params = request.query_params
    ws = request.app.state.ws
    now = request.app.state.clock()
    context: dict[str, Any] = {
        "filters": _filters_of(params),
        "statuses": TRIAGE_STATUSES,
        "message": message,
        "conflict": conflict,
        "rows": [],
        "more": False,
        "error": None,
        "return_to": _return_to(params),
    }
    try:
        where = queue_filter(params, session.user.name, now)
    except BadFilter as exc:
        context["error"] = str(exc)
        return render(request, "queue.html", context, status=400)
    with read_connection(ws.engine) as conn:
        context["rows"] = list_queue(conn, where)
        context["more"] = len(context["rows"]) >= where.limit
    marked = params.get("marked")
    if message is None and conflict is None and marked and marked.isdigit():
        new_status = params.get("to")
        context["message"] = f"item {marked} marked" + (
            f" {new_status}" if new_status in TRIAGE_STATUSES else ""
        )
    return render(request, "queue.html", context, status=status)


def queue(request: Request) -> Response:
    return queue_page(request)


def _change_from(form: dict[str, Any]) -> MarkChange:
    tags = form.get("tag") or ()
    tags = (tags,) if isinstance(tags, str) else tuple(tags)
    return MarkChange(
        status=form.get("status") or None,
        note=form.get("note") if form.get("note") else None,
        tags=tuple(t for t in tags if t.strip()),
        assignee=form.get("assign")
        if "assign" in form and form.get("assign") is not None
        else None,
    )


async def mark_item(request: Request) -> Response:
    """POST /items/{item_id}/mark: one mark, under the version the page showed."""
    session, form = await change_form(request, "analyst")
    item_id = request.path_params["item_id"]
    back = local_path(form.get("return_to"), f"/items/{item_id}")
    try:
        expected = int(form["expected_version"])
        change = _change_from(form)
    except (KeyError, ValueError, TypeError, InvalidInput) as exc:
        return _refused(request, back, f"cannot mark item {item_id}: {exc}", 400)
    ws = request.app.state.ws
    try:
        with ws.engine.begin() as conn:
            result = mark(
                conn,
                item_id,
                change,
                session.user.name,
                request.app.state.clock(),
                expected_version=expected,
            )
    except ConflictError as exc:
        return _refused(request, back, str(exc), 409, conflict=True)
    except TriageError as exc:
        return _refused(request, back, str(exc), 404)
    separator = "&" if "?" in back else "?"
    return RedirectResponse(
        f"{back}{separator}{urlencode({'marked': item_id, 'to': result.status})}", status_code=303
    )


def _refused(
    request: Request, back: str, message: str, status: int, *, conflict: bool = False
) -> Response:
    """The page the analyst came from, showing why nothing was changed."""
    from sourcewatch.web.item import item_page

    if back.startswith("/items/"):
        return item_page(request, message=message, conflict=conflict, status=status)
    params = QueryParams(back.partition("?")[2])
    if conflict:
        return queue_page(request, params=params, conflict=message, status=status)
    return queue_page(request, params=params, message=message, status=status)


async def claim(request: Request) -> Response:
    """POST /queue/claim: lease the next unclaimed entry (as ``triage`` does), open it."""
    session, form = await change_form(request, "analyst")
    now = request.app.state.clock()
    params = QueryParams({k: v for k, v in form.items() if k in FILTER_KEYS and v})
    try:
        where = queue_filter(params, session.user.name, now)
    except BadFilter as exc:
        return queue_page(request, params=params, message=str(exc), status=400)
    with request.app.state.ws.engine.begin() as conn:
        row = claim_next(conn, session.user.name, where, now)
    if row is None:
        return queue_page(request, params=params, message="nothing left to claim for these filters")
    return RedirectResponse(f"/items/{row.item_id}?claimed=1", status_code=303)


async def release_item(request: Request) -> Response:
    """POST /items/{item_id}/release: give the lease back (skip)."""
    session, form = await change_form(request, "analyst")
    item_id = request.path_params["item_id"]
    from sourcewatch.triage.entries import entry_id_for_item

    with request.app.state.ws.engine.begin() as conn:
        triage_id = entry_id_for_item(conn, item_id)
        if triage_id is not None:
            release(conn, triage_id, session.user.name)
    return RedirectResponse(local_path(form.get("return_to"), "/queue"), status_code=303)
