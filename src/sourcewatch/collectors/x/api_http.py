"""One poll's conversation with the X API v2: authentication, statuses, rate-limit headers.

Every answer is checked here so that the poll logic only sees JSON objects:
401 and 403 become configuration errors (the token is never printed), 429
and an exhausted ``x-rate-limit-remaining`` become a time to wait, anything
else non-2xx or not JSON becomes a CollectorError quoting X's own words,
made safe for a terminal.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sourcewatch.collectors.base import CollectorError
from sourcewatch.collectors.x.v2 import load_json
from sourcewatch.net import FetchError, RetryLater
from sourcewatch.records import RawCapture
from sourcewatch.text.sanitize import terminal_safe

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.net import Http
    from sourcewatch.sources.config import SourceConfig

TOKEN_ENV_FALLBACK = "SOURCEWATCH_X_BEARER_TOKEN"  # the name the issue uses
RATE_LIMIT_WINDOW = 900.0  # seconds; X's window, used when a 429 has no reset header


def bearer_token(settings: Settings) -> str | None:
    """``x.bearer_token`` (env SOURCEWATCH_X__BEARER_TOKEN), else SOURCEWATCH_X_BEARER_TOKEN."""
    if settings.x.bearer_token is not None and settings.x.bearer_token.get_secret_value():
        return settings.x.bearer_token.get_secret_value()
    return os.environ.get(TOKEN_ENV_FALLBACK) or None


class RateLimited(Exception):
    """X said no more calls until ``until`` (epoch seconds)."""

    def __init__(self, until: float) -> None:
        super().__init__(until)
        self.until = until


class XApiStatusError(CollectorError):
    """X answered with an error status the poll may handle (``status``)."""

    def __init__(self, source: str, message: str, *, status: int) -> None:
        super().__init__(source, message)
        self.status = status


@dataclass
class XApi:
    """One poll's conversation with the API: auth, status handling, rate-limit headers."""

    http: Http
    source: SourceConfig
    base_url: str
    token: str
    captures: list[RawCapture] = field(default_factory=list)
    rate_limited_until: float | None = None

    async def get(self, path: str, params: dict[str, str]) -> tuple[dict[str, Any], RawCapture]:
        url = f"{self.base_url}{path}?{urlencode(params)}"
        try:
            fetched = await self.http.fetch(
                url,
                kind="api",
                headers={"Authorization": f"Bearer {self.token}"},
                proxy=self.source.proxy,
                source=self.source.name,
            )
        except RetryLater as exc:
            raise RateLimited(time.time() + (exc.retry_after or RATE_LIMIT_WINDOW)) from exc
        except FetchError as exc:
            raise CollectorError(
                self.source.name, f"X API request to {self.base_url}{path} failed: {exc.problem}"
            ) from exc
        headers = fetched.headers
        reset = _int_header(headers, "x-rate-limit-reset")
        until = float(reset) if reset is not None else time.time() + RATE_LIMIT_WINDOW
        status = fetched.status
        if status == 429:
            raise RateLimited(until)
        if status == 401:
            raise CollectorError(
                self.source.name,
                "X API rejected the bearer token (HTTP 401): it is invalid, expired or revoked; "
                "check SOURCEWATCH_X__BEARER_TOKEN",
            )
        if status == 403:
            raise CollectorError(
                self.source.name,
                f"X API refused {path} (HTTP 403): the token's app is not permitted to use this "
                f"endpoint (access level or project); X says: {_error_detail(fetched.body)}",
            )
        if not fetched.ok:
            raise XApiStatusError(
                self.source.name,
                f"X API answered HTTP {status} for {path}: {_error_detail(fetched.body)}",
                status=status,
            )
        try:
            payload = load_json(fetched.body)
        except ValueError as exc:
            raise CollectorError(
                self.source.name,
                f"X API answered {path} with a body that is not JSON "
                f"({len(fetched.body)} bytes): {exc}",
            ) from None
        if not isinstance(payload, dict):
            raise CollectorError(self.source.name, f"X API answered {path} with a non-object JSON")
        if "data" not in payload and "meta" not in payload and payload.get("errors"):
            raise CollectorError(
                self.source.name, f"X API error for {path}: {_error_detail(fetched.body)}"
            )
        self.captures.append(fetched.capture)
        if _int_header(headers, "x-rate-limit-remaining") == 0:
            self.rate_limited_until = until
        return payload, fetched.capture


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _error_detail(body: bytes) -> str:
    """X's own words about an error (title/detail or errors[].message), made printable."""
    try:
        payload = load_json(body)
    except ValueError:
        return (
            terminal_safe(body[:200].decode("utf-8", "replace"), keep_newlines=False) or "(empty)"
        )
    parts: list[str] = []
    if isinstance(payload, dict):
        for key in ("title", "detail"):
            if isinstance(payload.get(key), str):
                parts.append(payload[key])
        errors = payload.get("errors")
        for error in errors[:3] if isinstance(errors, list) else []:
            if isinstance(error, dict):
                text = error.get("detail") or error.get("message") or error.get("title")
                if isinstance(text, str):
                    parts.append(text)
    return terminal_safe("; ".join(parts)[:300], keep_newlines=False) or "(no detail)"
