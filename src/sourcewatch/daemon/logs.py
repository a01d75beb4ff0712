"""Structured logs: one JSON object per line when stderr is not a terminal.

A record's ``extra`` fields (source, seconds, new, edited, error, ...) become
keys of the JSON object, so a log shipper can filter by source or error without
parsing prose. On a terminal the same fields follow the message as key=value.
Nothing here formats settings: secrets are ``SecretStr`` and never reach a log.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from sourcewatch.text.sanitize import terminal_safe

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys() | {"message", "asctime"}
)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{when} {record.levelname:<7} {record.getMessage()} {fields}".rstrip()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return terminal_safe(line)  # fetched text (error bodies, titles) may carry escapes


def setup_logging(
    level: str, stream: TextIO | None = None, *, json_lines: bool | None = None
) -> None:
    """Route the ``sourcewatch`` loggers to ``stream`` (stderr) in the right format."""
    stream = stream or sys.stderr
    if json_lines is None:
        json_lines = not stream.isatty()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    for name in ("sourcewatch", "apscheduler"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
    logging.getLogger("sourcewatch").setLevel(level.upper())
    # APScheduler reports every job run at INFO; only its problems are worth a line.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if _overlapping_run not in scheduler_log.filters:
        scheduler_log.addFilter(_overlapping_run)


def _overlapping_run(record: logging.LogRecord) -> bool:
    """Drop APScheduler's warning that a job run was skipped because the previous run
    is still going. The daemon's jobs run one at a time on purpose (a tick while the
    last claim still waits for a busy database is skipped, and the next one claims):
    under load that warning would fill the log at every tick."""
    return "maximum number of running instances reached" not in record.getMessage()
