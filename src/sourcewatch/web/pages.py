"""Read-only pages: dashboard, sources and a source's health, alert channels, citation
manifests, an entity's timeline. Each calls the service function the CLI calls (or,
for the plots, ``activity``) and renders it. A plot is an ``<img>`` of its own SVG
response (web/charts) with its numbers in a table beside it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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
from sourcewatch.web.charts import chart_svg, svg_response
from sourcewatch.web.dashboard import CHARTS, DAYS, TITLES, all_series, chart_series
from sourcewatch.web.guard import require
from sourcewatch.web.render import render

# /charts/<slug>.svg for each dashboard chart
CHART_SLUGS = {name.replace(" ", "-"): name for name in CHARTS}


def dashboard(request: Request) -> Response:
    require(request)
    ws = request.app.state.ws
    now = request.app.state.clock()
    with read_connection(ws.engine) as conn:
        counts = status_counts(conn)
        found = all_series(conn, now)
    charts = [
        {"title": TITLES[name], "src": f"/charts/{slug}.svg", "series": found[name]}
        for slug, name in CHART_SLUGS.items()
    ]
    context: dict[str, Any] = {
        "waiting": counts["new"],
        "escalated": counts["escalated"],
        "charts": charts,
        "entities": [e for e in found["by entity"].lines if e != "other"],
    }
    return render(request, "dashboard.html", context)


def dashboard_chart(request: Request) -> Response:
    require(request)
    name = CHART_SLUGS.get(request.path_params["chart"])
    if name is None:
        return render(request, "error.html", {"message": "no such chart"}, status=404)
    with read_connection(request.app.state.ws.engine) as conn:
        series = chart_series(conn, name, request.app.state.clock())
    return svg_response(chart_svg(series, TITLES[name], bars=name == "queue"))


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
    series = _health(request, name)
    chart = {"title": _health_title(name), "src": f"/sources/{quote(name, safe='')}/health.svg"}
    return render(request, "source.html", {"source": found[0], "chart": chart | {"series": series}})


def _health(request: Request, name: str) -> daily.Series:
    now = request.app.state.clock()
    with read_connection(request.app.state.ws.engine) as conn:
        return daily.source_captures(conn, name, daily.window(now, DAYS))


def _health_title(name: str) -> str:
    return f"{name}: captures and items per day"


def source_chart(request: Request) -> Response:
    """A source's health over time (a source not in the database plots zeros)."""
    require(request)
    name = request.path_params["name"]
    return svg_response(chart_svg(_health(request, name), _health_title(name)))


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


def _timeline(request: Request, entity_id: str) -> daily.Series:
    now = request.app.state.clock()
    with read_connection(request.app.state.ws.engine) as conn:
        return daily.items_by_entity(conn, daily.window(now, DAYS), entity=entity_id)


def entity(request: Request) -> Response:
    require(request)
    entity_id = request.path_params["entity"]
    chart = {
        "title": f"{entity_id}: items per day",
        "src": f"/entities/{quote(entity_id, safe='')}/timeline.svg",
        "series": _timeline(request, entity_id),
    }
    return render(request, "entity.html", {"entity": entity_id, "chart": chart})


def entity_chart(request: Request) -> Response:
    require(request)
    entity_id = request.path_params["entity"]
    series = _timeline(request, entity_id)
    return svg_response(chart_svg(series, f"{entity_id}: items per day", bars=True))
