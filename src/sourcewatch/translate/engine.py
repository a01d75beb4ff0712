"""The translation seam: what an engine is, what it returns, and how it fails.

An engine turns a batch of texts in one source language into one target language. It
is given the shared HTTP client (``net.Http``) and its settings; it never touches the
database. Adding an engine is one module implementing :class:`Engine` plus one line in
:mod:`sourcewatch.translate.registry`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

from sourcewatch.errors import SourcewatchError
from sourcewatch.text.redact import redact

MAX_ERROR_CHARS = 300  # of a server's own error text, kept in a message


@dataclass(frozen=True)
class Translation:
    """One translated text. ``source_language`` is what was asked for, or what the
    engine detected (lower-case ISO 639 code); ``model`` what the engine says it used."""

    text: str
    source_language: str | None
    model: str | None


@dataclass(frozen=True)
class Language:
    """A language an engine translates from, and the targets it reaches from it."""

    code: str
    name: str
    targets: tuple[str, ...] = ()


class TranslateError(SourcewatchError):
    """A translation engine did not translate. ``retryable``: a later attempt may work
    (timeout, outage, 5xx, 429); otherwise the request itself or the configuration is
    refused (bad key, unsupported language, quota used up). ``retry_after``: seconds the
    server asked us to wait, when it said."""

    exit_code = 1

    def __init__(
        self,
        engine: str,
        problem: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(redact(f"{engine}: {problem}"))
        self.engine = engine
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class Engine(Protocol):
    """A translation engine. ``third_party``: text sent to it leaves the machines the
    team runs, so it is used only where ``[translate]`` opts in (see ``translate.policy``)."""

    name: ClassVar[str]
    third_party: ClassVar[bool]

    async def translate(
        self, texts: Sequence[str], source_language: str | None, target_language: str
    ) -> list[Translation]:
        """One translation per text, in order. ``source_language`` None: the engine
        detects it. Raises :class:`TranslateError`."""
        ...

    async def languages(self) -> list[Language]:
        """The languages the engine translates from (and to). Raises TranslateError."""
        ...


def server_message(body: bytes, key: str) -> str:
    """The error text a server put in its JSON body under ``key`` (else its first
    bytes), redacted and cut short: it is shown and logged, and may echo what we sent."""
    import json

    try:
        data = json.loads(body)
        text = str(data.get(key, "")) if isinstance(data, dict) else ""
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text:
        text = body[:MAX_ERROR_CHARS].decode("utf-8", "replace")
    return redact(" ".join(text.split())[:MAX_ERROR_CHARS])


async def in_batches(
    texts: Sequence[str],
    size: int,
    translate_batch: Callable[[list[str]], Awaitable[list[Translation]]],
) -> list[Translation]:
    """``translate_batch`` over ``texts`` in slices of at most ``size`` (a server's own
    limit on texts per request), the translations in the order of ``texts``."""
    result: list[Translation] = []
    for start in range(0, len(texts), size):
        result += await translate_batch(list(texts[start : start + size]))
    return result
