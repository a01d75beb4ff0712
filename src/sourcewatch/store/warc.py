"""Rolling WARC files: every HTTP exchange behind a Capture, as WARC request/response records.

Files live in ``<data_dir>/warc/`` as ``sourcewatch-000001.warc.gz``, ... (one gzip
member per record, so any record can be read alone by offset and length). A file is
rolled over past ``[evidence] warc_max_bytes``.

Crash safety, without ever reading a whole file back: appends are serialized by an
``flock`` on ``warc/.lock``; after the records are written and fsynced, the file's
committed length is written to ``<file>.committed`` (temp file, fsync, rename). The
next writer truncates anything past that length, so a record torn by a crash never
stays in a file. Index rows (``warc_record``) are inserted in the ingest transaction,
after the records are durable: an index row always points at a whole record, and a
record whose transaction never committed is simply not indexed.

The *request* records are reconstructed: the shared HTTP client does not keep the
headers it sent, so the request record holds ``GET <path> HTTP/1.1`` and ``Host`` for
the final URL, and says so in ``WARC-Sourcewatch-Note``. The response record holds
the status, the headers as received and the body as archived (Content-Encoding
removed, so ``Content-Encoding``/``Content-Length``/``Transfer-Encoding`` are
rewritten and the originals kept as ``X-Archive-Orig-*``, as replay tools expect).
"""

from __future__ import annotations

import fcntl
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa

from sourcewatch.records import RawCapture
from sourcewatch.store.capturelog import format_time
from sourcewatch.store.db import read_connection
from sourcewatch.store.sql import chunked, insert_ignore
from sourcewatch.store.tables import CAPTURE, WARC_RECORD

if TYPE_CHECKING:
    from sourcewatch.config import Settings
    from sourcewatch.workspace import Workspace

_PREFIX = "sourcewatch-"
_SUFFIX = ".warc.gz"
_REWRITTEN = ("content-encoding", "content-length", "transfer-encoding")
REQUEST_NOTE = (
    "reconstructed: sourcewatch does not record the headers it sent; this is a GET of the final URL"
)


@dataclass(frozen=True)
class WrittenExchange:
    """A response + request record pair, durable in ``warc_file`` at ``offset``."""

    sha256: str
    url: str
    warc_file: str
    offset: int
    length: int  # the response record
    request_length: int  # the request record right after it
    record_id: str


class WarcStore:
    def __init__(self, root: Path, *, max_file_bytes: int, fsync: bool = True) -> None:
        self.root = root
        self.max_file_bytes = max_file_bytes
        self.fsync = fsync

    def append(self, captures: Sequence[RawCapture]) -> list[WrittenExchange]:
        """Write a response and a request record for each capture; durable on return."""
        if not captures:
            return []
        self.root.mkdir(parents=True, exist_ok=True)
        with self._locked():
            name, committed = self._current_file()
            path = self.root / name
            written: list[WrittenExchange] = []
            with path.open("r+b" if path.exists() else "w+b") as fh:
                fh.truncate(committed)  # drops a torn tail left by a crash
                fh.seek(committed)
                if committed == 0:
                    fh.write(_warcinfo_record(name))
                for capture in captures:
                    response, request, record_id = exchange_records(capture)
                    offset = fh.tell()
                    fh.write(response + request)
                    written.append(
                        WrittenExchange(
                            capture.sha256,
                            capture.url,
                            name,
                            offset,
                            len(response),
                            len(request),
                            record_id,
                        )
                    )
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
                self._commit(name, fh.tell())
            return written

    def read(self, warc_file: str, offset: int, length: int) -> bytes:
        """The bytes of one indexed record (or record pair)."""
        path = self._path(warc_file)
        with path.open("rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
        if len(data) != length:
            raise OSError(f"{path}: record at {offset} is cut short ({len(data)} of {length})")
        return data

    def files(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.glob(f"{_PREFIX}*{_SUFFIX}"))

    def committed_length(self, warc_file: str) -> int:
        marker = self._path(warc_file).with_name(warc_file + ".committed")
        try:
            return int(marker.read_text().strip())
        except FileNotFoundError:
            return 0

    def _path(self, warc_file: str) -> Path:
        if "/" in warc_file or not warc_file.startswith(_PREFIX):
            raise ValueError(f"not a sourcewatch WARC file name: {warc_file!r}")
        return self.root / warc_file

    def _current_file(self) -> tuple[str, int]:
        files = self.files()
        if files:
            committed = self.committed_length(files[-1])
            if committed < self.max_file_bytes:
                return files[-1], committed
        number = int(files[-1][len(_PREFIX) : -len(_SUFFIX)]) + 1 if files else 1
        return f"{_PREFIX}{number:06d}{_SUFFIX}", 0

    def _commit(self, name: str, length: int) -> None:
        marker = self.root / (name + ".committed")
        tmp = marker.with_name(marker.name + ".tmp")
        with tmp.open("w") as fh:
            fh.write(f"{length}\n")
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        os.replace(tmp, marker)
        if self.fsync:
            fd = os.open(self.root, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with (self.root / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def exchange_records(capture: RawCapture) -> tuple[bytes, bytes, str]:
    """Serialized (gzipped) response and request records for one capture, and the
    response's WARC-Record-ID."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter  # 35 ms to import: only when writing

    assert capture.status is not None, "only HTTP captures have an exchange"
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    when = format_time(capture.fetched_at)
    headers = [(k, v) for k, v in capture.headers.items() if k.lower() not in _REWRITTEN]
    headers += [
        (f"X-Archive-Orig-{k}", v) for k, v in capture.headers.items() if k.lower() in _REWRITTEN
    ]
    headers.append(("Content-Length", str(capture.size)))
    status_line = f"{capture.status} {_reason(capture.status)}"
    response = writer.create_warc_record(
        capture.url,
        "response",
        payload=io.BytesIO(capture.body),
        length=capture.size,
        http_headers=StatusAndHeaders(status_line, headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": when, "WARC-Payload-Digest": f"sha256:{capture.sha256}"},
    )
    writer.write_record(response)
    response_bytes = buffer.getvalue()
    record_id = response.rec_headers.get_header("WARC-Record-ID")

    parts = urlsplit(capture.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request_headers = [("Host", parts.netloc.rpartition("@")[2])]  # never userinfo
    note = REQUEST_NOTE
    if capture.request_url and capture.request_url != capture.url:
        note += f" (first requested as {capture.request_url}, then redirected)"
    request = writer.create_warc_record(
        capture.url,
        "request",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=StatusAndHeaders(
            f"GET {target} HTTP/1.1", request_headers, protocol="HTTP/1.1", is_http_request=True
        ),
        warc_headers_dict={
            "WARC-Date": when,
            "WARC-Concurrent-To": record_id,
            "WARC-Sourcewatch-Note": note,
        },
    )
    writer.write_record(request)
    return response_bytes, buffer.getvalue()[len(response_bytes) :], record_id


def standalone_warc(capture: RawCapture) -> RawCapture:
    """The exchange behind ``capture`` as a WARC object of its own (a snapshot's ``warc``
    role in a citation manifest): the same records the rolling files get, so a snapshot
    replays alone, without the rolling file it is also written to."""
    if capture.status is None:
        raise ValueError(f"{capture.url}: only an HTTP capture has a WARC exchange")
    response, request, _ = exchange_records(capture)
    return RawCapture(
        url=capture.url,
        body=response + request,
        fetched_at=capture.fetched_at,
        media_type="application/warc",
        kind="snapshot",
        request_url=capture.request_url,
    )


def _warcinfo_record(name: str) -> bytes:
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    info = {
        "software": "sourcewatch",
        "format": "WARC File Format 1.1",
        "description": "HTTP exchanges behind sourcewatch captures. " + REQUEST_NOTE + ".",
    }
    writer.write_record(writer.create_warcinfo_record(name, info))
    return buffer.getvalue()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


# --- the ingest seam -------------------------------------------------------------------


def archive_exchanges(ws: Workspace, captures: Sequence[RawCapture]) -> list[WrittenExchange]:
    """Before the ingest transaction: write WARC records for the HTTP captures that are
    not in a WARC yet (a page that never changes is written once, not every poll)."""
    pending: dict[tuple[str, str], RawCapture] = {}
    for capture in captures:
        if capture.status is not None:
            pending.setdefault((capture.sha256, capture.url), capture)
    if not pending:
        return []
    with read_connection(ws.engine) as conn:
        for sha_chunk in chunked(sorted({sha for sha, _ in pending}), 500):
            indexed = conn.execute(
                sa.select(CAPTURE.c.sha256, CAPTURE.c.url)
                .join(WARC_RECORD, WARC_RECORD.c.capture_id == CAPTURE.c.id)
                .where(CAPTURE.c.sha256.in_(sha_chunk))
            ).all()
            for row in indexed:
                pending.pop((row.sha256, row.url), None)
    return warc_store(ws.settings).append(list(pending.values()))


def index_exchanges(conn: sa.Connection, written: Sequence[WrittenExchange]) -> None:
    """Inside the ingest transaction, after the Capture rows: index the written records."""
    if not written:
        return
    by_key = {(w.sha256, w.url): w for w in written}
    rows = []
    for sha_chunk in chunked(sorted({w.sha256 for w in written}), 500):
        for row in conn.execute(
            sa.select(CAPTURE.c.id, CAPTURE.c.sha256, CAPTURE.c.url).where(
                CAPTURE.c.sha256.in_(sha_chunk)
            )
        ):
            exchange = by_key.get((row.sha256, row.url))
            if exchange is not None:
                rows.append(
                    {
                        "capture_id": row.id,
                        "warc_file": exchange.warc_file,
                        "offset": exchange.offset,
                        "length": exchange.length,
                        "request_length": exchange.request_length,
                        "record_id": exchange.record_id,
                    }
                )
    if rows:
        # A concurrent writer may have indexed the same capture first: its record stands.
        conn.execute(insert_ignore(conn, WARC_RECORD), rows)


def warc_store(settings: Settings) -> WarcStore:
    return WarcStore(settings.warc_dir, max_file_bytes=settings.evidence.warc_max_bytes)
