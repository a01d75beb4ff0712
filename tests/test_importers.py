"""import --format jsonl: whole-file parsing, clear errors with line numbers, nothing partial."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from sourcewatch.collectors.formats import (
    MAX_WHOLE_IMPORT_BYTES,
    ImportContext,
    ImportFileError,
    parse_file,
    parse_jsonl,
)
from sourcewatch.ingest.imports import import_file
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import CAPTURE, ITEM
from sourcewatch.workspace import Workspace

SOURCE = SourceConfig(name="saved", kind="feed", target="https://example.org/feed")
CTX = ImportContext(source=SOURCE, url=None, filename="posts.jsonl")

GOOD = (
    b'{"external_id": "a1", "url": "https://example.org/1", "author": "AMN", '
    b'"published_at": "2023-09-20T10:00:00+03:00", "title": "T", '
    b'"text": "\xd8\xaf\xd8\xa7\xd8\xb9\xd8\xb4"}\n'
    b"\n"
    b'{"external_id": 2, "text": "second"}\n'
)


def test_parse_jsonl_reads_every_field_and_normalizes_time_to_utc() -> None:
    first, second = parse_jsonl(GOOD, CTX)
    assert first.external_id == "a1" and first.text == "داعش" and first.author == "AMN"
    assert (
        first.published_at is not None
        and first.published_at.isoformat() == "2023-09-20T07:00:00+00:00"
    )
    assert second.external_id == "2" and second.published_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"external_id": "1"}\n{"external_id": "2", \n', "posts.jsonl: line 2: bad JSON"),
        (b'{"external_id": "1", "text": "\xff\xfe"}\n', "posts.jsonl: line 1: not valid UTF-8"),
        (b'{"text": "no id"}\n', "posts.jsonl: line 1: missing external_id"),
        (b'{"external_id": ""}\n', "posts.jsonl: line 1: missing external_id"),
        (b'["not", "an", "object"]\n', "posts.jsonl: line 1: expected a JSON object"),
        (
            b'{"external_id": "1", "published_at": "yesterday"}\n',
            "line 1: published_at 'yesterday' is not ISO 8601",
        ),
        (b'{"external_id": "1", "text": 5}\n', "line 1: text must be a string"),
        (
            b'{"external_id": "1"}\n{"external_id": "1"}\n',
            "line 2: external_id '1' already on line 1",
        ),
        (b'{"external_id": "1", "txet": "typo"}\n', "line 1: unknown field(s) txet"),
        (b'{"external_id": "1", "text": "trunc', "line 1: bad JSON"),
        # Hostile input (issue 19): tracebacks before, named errors now.
        (b"[" * 200_000 + b"\n", "line 1: JSON nested too deeply"),
        (
            b'{"external_id": "1", "published_at": "9999-12-31T23:59:59-23:59"}\n',
            "line 1: published_at '9999-12-31T23:59:59-23:59' is out of range in UTC",
        ),
    ],
)
def test_malformed_lines_are_named_with_their_line(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_jsonl(data, CTX)


def test_import_file_archives_the_file_and_ingests(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(GOOD)
    report = import_file(workspace, path, SOURCE, "jsonl")
    assert report.new == 2 and report.objects_new == 1
    with workspace.engine.connect() as session:
        capture = session.execute(sa.select(CAPTURE)).one()
        assert capture.kind == "import"
        # the content names the capture, never the analyst's path
        assert capture.url == f"urn:sourcewatch:import:sha256:{capture.sha256}"
        assert str(tmp_path) not in capture.url
    assert workspace.objects.read(capture.sha256) == GOOD


def test_a_bad_line_anywhere_stores_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(GOOD + b'{"external_id": "3", "text": "ok"}\n{broken\n')
    with pytest.raises(ImportFileError, match="line 5"):
        import_file(workspace, path, SOURCE, "jsonl")
    with workspace.engine.connect() as session:
        assert session.execute(sa.select(ITEM)).all() == []
        assert session.execute(sa.select(CAPTURE)).all() == []


def test_an_unknown_format_is_refused() -> None:
    from sourcewatch.collectors.registry import get_format

    with pytest.raises(ValueError, match="unknown import format 'csv'"):
        get_format("csv")


def test_a_whole_document_format_over_its_limit_is_refused_naming_file_format_and_limit(
    tmp_path: Path,
) -> None:
    # Formats other than JSON lines are parsed whole, at several times the file's size
    # in memory (issue 19): over their limit they are refused before being read.
    export = tmp_path / "result.json"
    export.write_text('{"messages": [' + ",".join(['{"id": 1}'] * 200) + "]}")
    ctx = ImportContext(source=None, url=None, filename=export.name)
    with pytest.raises(ImportFileError) as refused:
        parse_file(export, "telethon-json", ctx, max_bytes=1_000)
    assert str(refused.value) == (
        f"{export}: 2,015 bytes is over the 1,000-byte limit for a telethon-json file, which "
        "is read and parsed whole in memory; split it, or convert it to JSON lines "
        "(--format jsonl), which are read one line at a time (so is a wp-json file that "
        "is a JSON array of posts)"
    )
    assert MAX_WHOLE_IMPORT_BYTES == 64 * 1024 * 1024
