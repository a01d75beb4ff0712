"""What a fetch returns: the capture to archive plus how it was obtained."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sourcewatch.net.decoding import DecodedText, decode_body
from sourcewatch.net.retry import parse_retry_after
from sourcewatch.records import RawCapture


@dataclass(frozen=True)
class Redirect:
    status: int
    from_url: str
    to_url: str


@dataclass
class Fetched:
    """A complete HTTP answer: the capture to archive plus how we got it."""

    capture: RawCapture
    not_modified: bool = False
    redirects: list[Redirect] = field(default_factory=list)
    attempts: int = 1
    _decoded: DecodedText | None = field(default=None, repr=False)

    @property
    def status(self) -> int:
        assert self.capture.status is not None
        return self.capture.status

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def url(self) -> str:
        return self.capture.url

    @property
    def body(self) -> bytes:
        return self.capture.body

    @property
    def headers(self) -> dict[str, str]:
        return self.capture.headers

    @property
    def media_type(self) -> str | None:
        return self.capture.media_type

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))

    def decoded(self) -> DecodedText:
        if self._decoded is None:
            self._decoded = decode_body(self.body, self.headers.get("content-type"))
        return self._decoded

    def text(self) -> str:
        """The body as text, with the charset found by :func:`decode_body`."""
        return self.decoded().text

    def json(self) -> Any:
        """The body parsed as JSON; ``ValueError`` if it is not JSON."""
        return json.loads(self.body)
