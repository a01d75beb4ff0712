"""A WARC record of one HTTP exchange (ISO 28500, via warcio), so a capture can be replayed.

The body is stored as it was received after decompression (that is what the
archive holds), so ``Content-Encoding``/``Transfer-Encoding``/``Content-Length``
headers, which would describe other bytes, are left out of the record.
"""

from __future__ import annotations

from http import HTTPStatus
from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from sourcewatch.records import RawCapture
from sourcewatch.store.capturelog import format_time

_DROPPED = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def warc_capture(capture: RawCapture) -> RawCapture:
    """A gzipped WARC ``response`` record of ``capture``, as a capture of its own."""
    status = capture.status or 200
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    headers = [(k, v) for k, v in capture.headers.items() if k.lower() not in _DROPPED]
    buffer = BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    record = writer.create_warc_record(
        capture.url,
        "response",
        payload=BytesIO(capture.body),
        http_headers=StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Date": format_time(capture.fetched_at)},
    )
    writer.write_record(record)
    return RawCapture(
        url=capture.url,
        body=buffer.getvalue(),
        fetched_at=capture.fetched_at,
        status=None,
        media_type="application/warc",
        kind="snapshot",
        request_url=capture.request_url,
    )
