"""Incremental, capped removal of Content-Encoding (gzip, deflate, br).

httpx would decode for us, but without a bound: a 50 KB gzip bomb becomes
gigabytes in memory. Here every decompressor call is told how much output it may
produce, so we stop at the cap without ever holding more than the cap plus one
chunk.
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Callable

import brotli

_CHUNK = 64 * 1024


class DecodeLimitExceeded(Exception):
    """Decompressed output passed the cap."""


class ContentDecodeError(Exception):
    """The bytes are not valid for the declared coding."""


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._obj = zlib.decompressobj(wbits)
        self._first = True

    def feed(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        try:
            self._feed(data, emit)
        except zlib.error as exc:
            # "deflate" is ambiguous in practice: servers send zlib-wrapped or raw.
            if self._first and self._wbits == zlib.MAX_WBITS:
                self._wbits = -zlib.MAX_WBITS
                self._obj = zlib.decompressobj(self._wbits)
                self._first = False
                self.feed(data, emit)
                return
            raise ContentDecodeError(str(exc)) from exc

    def _feed(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        pending = data
        while pending:
            out = self._obj.decompress(pending, _CHUNK)
            self._first = False
            if out:
                emit(out)
            pending = self._obj.unconsumed_tail
            if self._obj.eof:
                # gzip allows several members back to back.
                rest = self._obj.unused_data
                if rest and self._wbits > zlib.MAX_WBITS:
                    self._obj = zlib.decompressobj(self._wbits)
                    pending = rest
                else:
                    return

    def finish(self, emit: Callable[[bytes], None]) -> None:
        try:
            out = self._obj.flush()
        except zlib.error as exc:
            raise ContentDecodeError(str(exc)) from exc
        if out:
            emit(out)


class _Brotli:
    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        try:
            out = self._obj.process(data, output_buffer_limit=_CHUNK)
            emit(out)
            while not self._obj.can_accept_more_data():
                emit(self._obj.process(b"", output_buffer_limit=_CHUNK))
        except brotli.error as exc:
            raise ContentDecodeError(str(exc)) from exc

    def finish(self, emit: Callable[[bytes], None]) -> None:
        if not self._obj.is_finished():
            raise ContentDecodeError("brotli stream truncated")


class _Identity:
    def feed(self, data: bytes, emit: Callable[[bytes], None]) -> None:
        emit(data)

    def finish(self, emit: Callable[[bytes], None]) -> None:
        return None


class CappedDecoder:
    """Undo the Content-Encoding chain of a response, refusing to grow past ``limit``."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
        # Codings are listed in the order applied; undo them in reverse.
        self._stages = [_make(c) for c in reversed(codings)] or [_Identity()]
        self._limit = limit
        # One growing buffer, not a list of chunks joined at the end: the join held a
        # 20 MiB body twice; BytesIO.getvalue hands its own buffer over uncopied.
        self._out = io.BytesIO()
        self._size = 0

    @property
    def size(self) -> int:
        """Decoded bytes so far."""
        return self._size

    def feed(self, data: bytes) -> None:
        self._run(0, data)

    def finish(self) -> bytes:
        for index, stage in enumerate(self._stages):
            stage.finish(functools.partial(self._run, index + 1))
        return self._out.getvalue()

    def _run(self, index: int, data: bytes) -> None:
        if not data:
            return
        if index == len(self._stages):
            self._size += len(data)
            if self._size > self._limit:
                raise DecodeLimitExceeded(f"decompressed body over {self._limit} bytes")
            self._out.write(data)
            return
        self._stages[index].feed(data, lambda out: self._run(index + 1, out))


def _make(coding: str) -> _Zlib | _Brotli | _Identity:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if coding == "br":
        return _Brotli()
    if coding == "identity":
        return _Identity()
    raise ContentDecodeError(f"unsupported Content-Encoding {coding!r}")


SUPPORTED_ACCEPT_ENCODING = "gzip, deflate, br"
