"""Opt-in submission of one URL to the Wayback Machine's "Save Page Now".

Never automatic: for this work a public submission can tip off the people being
watched, so only ``snapshot --submit-wayback`` calls this, per URL, after the
analyst's own capture. The request goes through the shared HTTP client (a GET of
``<wayback_save_url><url>``), and the answer is reported, not trusted blindly.

A private, loopback or link-local URL (or one whose host does not resolve, so that
it cannot be shown public) is never submitted, whatever ``--allow-private`` says:
that flag lets *us* read a lab server, it must not publish its address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sourcewatch.config import Settings
from sourcewatch.net import FetchError, Http
from sourcewatch.net.guard import check_public_host


@dataclass(frozen=True)
class WaybackSubmission:
    url: str
    ok: bool
    archived_url: str | None = None  # where the Wayback Machine says the copy lives
    http_status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def submit_to_wayback(http: Http, settings: Settings, url: str) -> WaybackSubmission:
    try:
        await check_public_host(url)  # always, whatever net.allow_private_addresses says
    except FetchError as exc:
        return WaybackSubmission(url, ok=False, error=f"not submitted: {exc.problem}")
    save_url = settings.evidence.wayback_save_url + url
    try:
        # The save endpoint is a configured, public service: no private-address guard
        # here (tests point it at loopback); the submitted URL itself is only a path.
        fetched = await http.fetch(save_url, kind="snapshot")
    except FetchError as exc:
        return WaybackSubmission(url, ok=False, error=str(exc))
    status = fetched.status
    if status >= 400:
        return WaybackSubmission(url, ok=False, http_status=status, error=f"HTTP {status}")
    headers = {name.lower(): value for name, value in fetched.capture.headers.items()}
    location = headers.get("content-location")
    archived = _absolute(settings.evidence.wayback_save_url, location) if location else None
    if archived is None and "/web/" in fetched.capture.url:
        archived = fetched.capture.url  # Save Page Now redirected to the new copy
    return WaybackSubmission(url, ok=True, archived_url=archived, http_status=status)


def _absolute(save_url: str, location: str) -> str:
    if location.startswith(("http://", "https://")):
        return location
    scheme, _, rest = save_url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}{location if location.startswith('/') else '/' + location}"
