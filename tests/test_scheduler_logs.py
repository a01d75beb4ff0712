"""Structured logs: JSON lines off a terminal, with the record's fields as keys."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from sourcewatch.daemon.logs import setup_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """setup_logging reconfigures process-wide loggers; later tests need them as they were."""
    saved = {
        name: (logger.handlers[:], logger.propagate, logger.level)
        for name in ("sourcewatch", "apscheduler")
        for logger in [logging.getLogger(name)]
    }
    yield
    for name, (handlers, propagate, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)


def emit(json_lines: bool) -> str:
    stream = io.StringIO()
    setup_logging("INFO", stream, json_lines=json_lines)
    log = logging.getLogger("sourcewatch.test")
    log.info("poll ok", extra={"source": "feed-a", "seconds": 0.25, "new": 3, "edited": 1})
    log.debug("not shown at INFO")
    log.warning("poll failed", extra={"source": "evil", "error": "bad \x1b[2Jtitle\x07"})
    return stream.getvalue()


def test_json_lines_carry_the_fields() -> None:
    first, second = [json.loads(line) for line in emit(json_lines=True).splitlines()]
    assert first["msg"] == "poll ok" and first["level"] == "info"
    assert (first["source"], first["seconds"], first["new"], first["edited"]) == (
        "feed-a",
        0.25,
        3,
        1,
    )
    assert second["level"] == "warning" and second["error"] == "bad \x1b[2Jtitle\x07"
    assert first["ts"].endswith("+00:00")


def test_json_lines_are_ascii_so_no_escape_byte_reaches_a_log_viewer() -> None:
    text = emit(json_lines=True)
    assert "\x1b" not in text and "\\u001b" in text


def test_terminal_lines_are_stripped_of_escape_sequences() -> None:
    text = emit(json_lines=False)
    assert "poll ok source=feed-a seconds=0.25 new=3 edited=1" in text
    assert "\x1b" not in text and "\x07" not in text and "error=bad title" in text


def test_a_skipped_overlapping_tick_is_not_logged_but_other_scheduler_problems_are() -> None:
    stream = io.StringIO()
    setup_logging("INFO", stream, json_lines=True)
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    scheduler_log.warning(
        'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
        "Daemon.tick",
        1,
    )
    scheduler_log.error('Job "Daemon.verify" raised an exception')
    [line] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert line["msg"] == 'Job "Daemon.verify" raised an exception'
