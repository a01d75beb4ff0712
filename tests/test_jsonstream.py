"""A JSON array read one element at a time (imports of saved API answers, issue 19)."""

from __future__ import annotations

import io
import resource

import pytest

from sourcewatch.collectors.jsonstream import JsonStreamError, iter_json_array


def elements(data: bytes, **kw: int) -> list[object]:
    return list(iter_json_array(io.BytesIO(data), **kw))


def test_each_element_is_built_whole_in_order() -> None:
    data = b' [1, {"a": 1.5, "b": [true, null], "c": {"d": "\xc3\xa9"}}, "x", []]\n'
    assert elements(data) == [1, {"a": 1.5, "b": [True, None], "c": {"d": "é"}}, "x", []]
    assert elements(b"[]") == []


def test_elements_come_before_the_end_of_the_stream_is_read() -> None:
    stream = iter_json_array(io.BytesIO(b'[{"id": 1}, {"id": 2}, oops'))
    assert next(stream) == {"id": 1}  # read, even though the file is bad further on
    with pytest.raises(JsonStreamError, match="bad JSON"):
        list(stream)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"id": 1}', "expected a JSON array"),
        (b"", "expected a JSON array|bad JSON"),
        (b"[1, 2", "bad JSON: parse error: premature EOF"),
        (b"[1] [2]", "bad JSON: parse error: trailing garbage"),
        (b'["\xff"]', "bad JSON: lexical error: invalid bytes in UTF8 string."),
        (b"[[[[[1]]]]]", "JSON nested deeper than 3 levels"),
    ],
)
def test_what_is_not_one_json_array_is_named(data: bytes, problem: str) -> None:
    with pytest.raises(JsonStreamError, match=problem):
        elements(data, max_depth=3)


def test_a_million_levels_of_nesting_are_refused_in_bounded_memory() -> None:
    """ijson.items named each event by its path ("item.item.item..."): strings of
    quadratic total size, and the process was killed. Refused at the limit instead."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(JsonStreamError, match="nested deeper than 100 levels"):
        elements(b"[" * 1_000_000 + b"]" * 1_000_000)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024  # the 2 MB document and yajl's buffers, not gigabytes
