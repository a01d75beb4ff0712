"""The elements of a JSON array read one at a time, for imports of saved API answers.

A saved ``/wp/v2/posts`` answer is one JSON array; parsed whole it held the file, its
text and every object at once, so files over 64 MiB were refused (issue 19). Streamed
with ijson's event parser, an import holds one element at a time.

Not ``ijson.items``: it names every event by its path (``item.item.item...``), so a
hostile array nested a million deep made strings of quadratic total size and the
process was killed. Here the elements are built from the path-free events, and nesting
deeper than ``max_depth`` is refused by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson
from ijson.common import ObjectBuilder

# Deeper than any API answer (a WordPress post is 4 levels deep); json.loads would stop
# near 1,000 with a RecursionError.
MAX_DEPTH = 100

_OPENS = frozenset({"start_map", "start_array"})
_CLOSES = frozenset({"end_map", "end_array"})


class JsonStreamError(ValueError):
    """The stream is not one JSON array, or not valid JSON, or nested too deeply."""


def iter_json_array(stream: BinaryIO, *, max_depth: int = MAX_DEPTH) -> Iterator[Any]:
    """Each element of the JSON array in ``stream`` (UTF-8), built when its last event is
    read; the whole stream is checked, trailing garbage included, before the end."""
    events = ijson.basic_parse(stream, use_float=True)
    try:
        first = next(events, None)
        if first is None or first[0] != "start_array":
            raise JsonStreamError("expected a JSON array")
        yield from _elements(events, max_depth)
        for _ in events:  # past the array's end: ijson raises on anything but blanks
            raise JsonStreamError("more JSON after the array")
    except ijson.JSONError as exc:
        raise JsonStreamError(f"bad JSON: {_first_line(exc)}") from None


def _elements(events: Iterator[tuple[str, Any]], max_depth: int) -> Iterator[Any]:
    depth = 0
    builder = ObjectBuilder()
    for event, value in events:
        if depth == 0 and event == "end_array":
            return
        if event in _OPENS:
            depth += 1
            if depth > max_depth:
                raise JsonStreamError(f"JSON nested deeper than {max_depth} levels")
        elif event in _CLOSES:
            depth -= 1
        builder.event(event, value)
        if depth == 0:
            yield builder.value
            builder = ObjectBuilder()
    raise JsonStreamError("bad JSON: the array does not end")


def _first_line(exc: Exception) -> str:
    """yajl's message without its picture of the offending bytes (which may be bytes)."""
    message = exc.args[0] if exc.args else type(exc).__name__
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return str(message).strip().splitlines()[0]
