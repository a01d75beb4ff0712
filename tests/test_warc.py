"""WARC records of every HTTP capture: written by ingest, indexed, crash-safe, rolled over."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from warcio.archiveiterator import ArchiveIterator

from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import CAPTURE, WARC_RECORD
from sourcewatch.store.warc import REQUEST_NOTE, WarcStore, warc_store
from sourcewatch.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOPWAR = (FIXTURES / "any2feed_topwar_official_channel_page.html").read_bytes()
SOURCE = SourceConfig(name="topwar", kind="telegram", target="topwar_official")
WHEN = datetime(2023, 2, 28, 9, 0, tzinfo=UTC)


def page_capture(body: bytes = TOPWAR, **kwargs: object) -> RawCapture:
    values: dict[str, object] = {
        "url": "https://t.me/s/topwar_official",
        "body": body,
        "status": 200,
        "fetched_at": WHEN,
        "headers": {
            "content-type": "text/html; charset=utf-8",
            "content-encoding": "gzip",
            "content-length": "999",
        },
        "media_type": "text/html",
    }
    values.update(kwargs)
    return RawCapture(**values)  # type: ignore[arg-type]


def records(data: bytes) -> list:
    out = []
    for record in ArchiveIterator(io.BytesIO(data)):
        out.append(
            (record.rec_type, record.rec_headers, record.http_headers, record.raw_stream.read())
        )
    return out


def test_ingest_writes_and_indexes_a_response_and_a_request_record(workspace: Workspace) -> None:
    capture = page_capture()
    post = ParsedItem(external_id="71008", text="x", capture_sha256s=[capture.sha256])
    ingest(workspace, SOURCE, PollResult([capture], [post]))

    with workspace.engine.connect() as conn:
        row = conn.execute(
            sa.select(WARC_RECORD).join(CAPTURE, CAPTURE.c.id == WARC_RECORD.c.capture_id)
        ).one()
    store = warc_store(workspace.settings)
    data = store.read(row.warc_file, row.offset, row.length + row.request_length)
    (
        (response_type, response_warc, response_http, body),
        (request_type, request_warc, request_http, _),
    ) = records(data)
    assert (response_type, request_type) == ("response", "request")
    assert body == TOPWAR  # the archived bytes, exactly
    assert response_warc.get_header("WARC-Target-URI") == "https://t.me/s/topwar_official"
    assert response_warc.get_header("WARC-Date") == "2023-02-28T09:00:00.000000Z"
    assert response_warc.get_header("WARC-Payload-Digest") == f"sha256:{capture.sha256}"
    assert response_warc.get_header("WARC-Record-ID") == row.record_id
    # The body is stored decoded, so the encoding headers are rewritten, originals kept.
    assert response_http.get_header("Content-Encoding") is None
    assert response_http.get_header("Content-Length") == str(len(TOPWAR))
    assert response_http.get_header("X-Archive-Orig-content-encoding") == "gzip"
    assert request_http.protocol == "GET" and request_http.statusline.startswith(
        "/s/topwar_official"
    )
    assert request_warc.get_header("WARC-Concurrent-To") == row.record_id
    assert REQUEST_NOTE in request_warc.get_header("WARC-Sourcewatch-Note")


def test_an_unchanged_page_polled_again_is_not_written_again(workspace: Workspace) -> None:
    result = PollResult([page_capture()], [])
    ingest(workspace, SOURCE, result)
    store = warc_store(workspace.settings)
    [name] = store.files()
    size = (store.root / name).stat().st_size
    ingest(workspace, SOURCE, PollResult([page_capture(fetched_at=datetime.now(UTC))], []))
    assert (store.root / name).stat().st_size == size


def test_imported_files_have_no_http_exchange_and_get_no_records(workspace: Workspace) -> None:
    ingest(workspace, SOURCE, PollResult([RawCapture(url="file:export.json", body=b"{}")], []))
    with workspace.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(WARC_RECORD)).scalar() == 0


def test_a_torn_tail_from_a_crash_is_cut_off_by_the_next_writer(tmp_path: Path) -> None:
    store = WarcStore(tmp_path, max_file_bytes=10**9)
    [first] = store.append([page_capture(body=b"first")])
    path = tmp_path / first.warc_file
    committed = path.stat().st_size
    with path.open("ab") as fh:  # what a process killed mid-write leaves behind
        fh.write(b"\x1f\x8b\x08\x00half a record")
    [second] = store.append([page_capture(body=b"second")])
    assert second.offset == committed
    bodies = [body for kind, _, _, body in records(path.read_bytes()) if kind == "response"]
    assert bodies == [b"first", b"second"]  # the whole file reads cleanly


def test_files_roll_over_past_the_size_limit(tmp_path: Path) -> None:
    store = WarcStore(tmp_path, max_file_bytes=1)
    one = store.append([page_capture(body=b"one")])
    two = store.append([page_capture(body=b"two")])
    assert [one[0].warc_file, two[0].warc_file] == [
        "sourcewatch-000001.warc.gz",
        "sourcewatch-000002.warc.gz",
    ]
    for written in (one[0], two[0]):
        [(kind, _headers, *_)] = records(
            store.read(written.warc_file, written.offset, written.length)
        )
        assert kind == "response"
        # every file starts with its warcinfo record
        first = records((tmp_path / written.warc_file).read_bytes())[0]
        assert first[0] == "warcinfo"


@pytest.mark.slow
def test_a_writer_killed_mid_append_leaves_nothing_a_reader_trips_on(tmp_path: Path) -> None:
    script = (
        "import sys; from datetime import UTC, datetime\n"
        "from sourcewatch.store.warc import WarcStore\n"
        "from sourcewatch.records import RawCapture\n"
        "store = WarcStore(__import__('pathlib').Path(sys.argv[1]), max_file_bytes=10**12)\n"
        "n = 0\n"
        "while True:\n"
        "    n += 1\n"
        "    body = str(n).encode() * 200_000\n"
        "    store.append([RawCapture(url=f'https://example.org/{n}', body=body, status=200)])\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)])
    deadline = time.monotonic() + 60
    marker = tmp_path / "sourcewatch-000001.warc.gz.committed"
    while time.monotonic() < deadline and not (
        marker.exists() and int(marker.read_text() or 0) > 2_000_000
    ):
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    store = WarcStore(tmp_path, max_file_bytes=10**12)
    [after] = store.append([page_capture(body=b"after the crash")])
    data = (tmp_path / after.warc_file).read_bytes()
    assert len(data) == store.committed_length(after.warc_file)
    kinds = [kind for kind, *_ in records(data)]  # reads cleanly to the end
    assert kinds[0] == "warcinfo" and kinds.count("response") == kinds.count("request") >= 2
    assert records(store.read(after.warc_file, after.offset, after.length))[0][3] == (
        b"after the crash"
    )
