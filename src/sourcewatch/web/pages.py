"""Read-only pages: dashboard, sources and a source's health, alert channels, citation
manifests, an entity's timeline. Each calls the service function the CLI calls (or,
for the plots, ``activity``) and renders it."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from sourcewatch.activity import daily
from sourcewatch.alerts.channels import redact as redact_secrets
from sourcewatch.alerts.channels import secrets_of
from sourcewatch.alerts.status import channel_status
from sourcewatch.citations.reports import report_citations, reports
from sourcewatch.sources.config import SourcesFileError, load_watch_list
from sourcewatch.sources.status import source_statuses
from sourcewatch.store.db import read_connection
from sourcewatch.text.redact import redact
from sourcewatch.triage.counts import status_counts
from sourcewatch.web.dashboard import DAYS, TOP_LINES
from sourcewatch.web.guard import require
from sourcewatch.web.render import render
from sourcewatch.web.svg import line_chart


def _chart(series: daily.Series, title: str) -> Markup:
    # Our own SVG with every label escaped (web/svg): safe to inline.
    return Markup(line_chart(series, title))


def dashboard(request: Request) -> Response:
    require(request)
    ws = request.app.state.ws
    now = request.app.state.clock()
    with read_connection(ws.engine) as conn:
        counts = status_counts(conn)
        found = request.app.state.dashboard.series(conn, now)
    titles = {
        "by source": "Items per day, by source",
        "by area": "Items per day, by area",
        "by entity": "Items per day, by entity",
        "queue": "Queue in and out per day",
    }
    charts = {
        titles[name]: series if name == "queue" else series.top(TOP_LINES)
        for name, series in found.items()
    }
    context: dict[str, Any] = {
        "waiting": counts["new"],
        "escalated": counts["escalated"],
        "charts": {title: _chart(series, title) for title, series in charts.items()},
        "entities": [e for e in charts["Items per day, by entity"].lines if e != "other"],
    }
    return render(request, "dashboard.html", context)


def _configured(request: Request) -> tuple[list[Any], str | None]:
    path = request.app.state.ws.settings.sources_file
    try:
        return load_watch_list(path), None
    except SourcesFileError as exc:
        message = redact(str(exc))
        for shown in (str(path.resolve()), str(path)):  # the server's paths stay there
            message = message.replace(shown, path.name)
        return [], message


def sources(request: Request) -> Response:
    require(request)
    configured, problem = _configured(request)
    statuses = source_statuses(request.app.state.ws, configured)
    return render(request, "sources.html", {"sources": statuses, "problem": problem})


def source(request: Request) -> Response:
    require(request)
    name = request.path_params["name"]
    configured, _problem = _configured(request)
    found = [s for s in source_statuses(request.app.state.ws, configured) if s.name == name]
    if not found:
        return render(request, "error.html", {"message": f"no source {name!r}"}, status=404)
    now = request.app.state.clock()
    with read_connection(request.app.state.ws.engine) as conn:
        series = daily.source_captures(conn, name, daily.window(now, DAYS))
    title = f"{name}: captures and items per day"
    return render(request, "source.html", {"source": found[0], "chart": _chart(series, title)})


def alerts(request: Request) -> Response:
    """Alert channels and their delivery state; never a URL (it may hold a token)."""
    require(request)
    ws = request.app.state.ws
    configured = ws.settings.alerts
    statuses = channel_status(ws.engine, configured, request.app.state.clock())
    rows = []
    for alert, status in zip(configured, statuses, strict=True):
        error = status.last_error
        if error:
            error = redact(redact_secrets(error, secrets_of(alert)))
        rows.append({"alert": alert, "status": status, "error": error})
    return render(request, "alerts.html", {"rows": rows})


def citations(request: Request) -> Response:
    require(request)
    with read_connection(request.app.state.ws.engine) as conn:
        found = reports(conn)
    return render(request, "citations.html", {"reports": found})


def report(request: Request) -> Response:
    require(request)
    key = request.path_params["key"]
    with read_connection(request.app.state.ws.engine) as conn:
        found = [r for r in reports(conn) if r.key == key]
        rows = report_citations(conn, found[0].report) if found else []
    if not rows:
        return render(request, "error.html", {"message": "no such cited report"}, status=404)
    signer = request.app.state.signer
    links = {r.capture_id: signer.page_link(r.capture_id) for r in rows if r.capture_id}
    return render(request, "report.html", {"report": found[0], "rows": rows, "links": links})


def entity(request: Request) -> Response:
    require(request)
    entity_id = request.path_params["entity"]
    now = request.app.state.clock()
    with read_connection(request.app.state.ws.engine) as conn:
        series = daily.items_by_entity(conn, daily.window(now, DAYS), entity=entity_id)
    chart = _chart(series, f"{entity_id}: items per day")
    return render(request, "entity.html", {"entity": entity_id, "chart": chart})
