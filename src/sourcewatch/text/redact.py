"""Configured secrets are never written out: not in a stored error, a log line or a
command's output.

A server, proxy or mirror may echo what it was sent (an X API error quoting the
``Authorization`` header, a proxy's error page). The error text then carries the bearer
token into ``source.last_error``, the daemon's logs and ``--json``. Every configured
secret is registered here when the settings are loaded or a workspace is opened, and
:func:`redact` replaces each with ``***``. It is applied where text leaves the process:
the stored poll outcome, the CLI's error and JSON output, and every log record (through
the record factory installed by :func:`register`, so every handler sees redacted text).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

MASK = "***"
# Shorter values would redact ordinary words (an empty or 2-letter "secret").
MIN_SECRET = 6

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_factory_installed = False


def register(values: Iterable[str]) -> None:
    """Add secrets to redact (and their URL-encoded forms, as they travel in URLs)."""
    global _secrets
    new = set(_secrets)
    for value in values:
        if len(value) >= MIN_SECRET:
            new.update({value, quote(value, safe=""), quote(value)})
    with _lock:
        _secrets = tuple(sorted(new, key=len, reverse=True))
        _install_factory()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _install_factory() -> None:
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _secrets:
            _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call: leave it to logging's own error report
        return
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        # Formatter uses exc_text when set: the traceback is formatted here, redacted.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
