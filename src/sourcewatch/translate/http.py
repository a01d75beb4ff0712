"""The HTTP calls every engine makes, through the shared client, with errors classified.

A transport failure or a 5xx/429 answer is *retryable* (the service is down, slow or
busy); any other non-2xx answer is not. 429/503 carry their Retry-After.
"""

from __future__ import annotations

import json
from typing import Any

from sourcewatch.config import NetSettings, TranslateSettings
from sourcewatch.net import Fetched, FetchError, Http
from sourcewatch.translate.engine import TranslateError, server_message

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 529})


def service_net_settings(net: NetSettings, translate: TranslateSettings) -> NetSettings:
    """The HTTP policy for translation servers: [translate]'s timeout and size cap and its
    spacing between requests, no retries inside a request (the caller backs off), and no
    proxy (a proxy for watched sites must not carry text to a translation server)."""
    return net.model_copy(
        update={
            "connect_timeout": min(net.connect_timeout, translate.timeout_seconds),
            "read_timeout": translate.timeout_seconds,
            "total_timeout": translate.timeout_seconds,
            "max_body_bytes": translate.max_response_bytes,
            "max_decompressed_bytes": translate.max_response_bytes,
            "retries": 0,
            "per_host_interval": translate.min_interval_seconds,
            "per_host_concurrency": 1,
            "proxy": None,
        }
    )


def service_http(net: NetSettings, translate: TranslateSettings) -> Http:
    """A client of its own for translation servers: their slowness never holds a slot
    that a poll of a watched source needs."""
    return Http(service_net_settings(net, translate))


async def post_json(
    http: Http,
    engine: str,
    url: str,
    payload: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    error_key: str,
) -> Any:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        answer = await http.post(url, body, content_type="application/json", headers=headers or {})
    except FetchError as exc:
        raise TranslateError(
            engine, exc.problem, retryable=True, retry_after=exc.retry_after
        ) from None
    return _json_or_raise(engine, answer, error_key)


async def get_json(
    http: Http, engine: str, url: str, *, headers: dict[str, str] | None = None, error_key: str
) -> Any:
    try:
        answer = await http.fetch(url, headers=headers or {}, kind="service")
    except FetchError as exc:
        raise TranslateError(
            engine, exc.problem, retryable=True, retry_after=exc.retry_after
        ) from None
    return _json_or_raise(engine, answer, error_key)


def _json_or_raise(engine: str, answer: Fetched, error_key: str) -> Any:
    if not answer.ok:
        message = server_message(answer.body, error_key)
        retry_after = answer.retry_after if answer.status in (429, 503) else None
        raise TranslateError(
            engine,
            f"HTTP {answer.status}: {message or '(no message)'}",
            retryable=answer.status in RETRYABLE_STATUSES,
            retry_after=retry_after,
            status=answer.status,
        )
    try:
        return answer.json()
    except ValueError:
        raise TranslateError(
            engine, f"HTTP {answer.status} with a body that is not JSON", retryable=True
        ) from None
