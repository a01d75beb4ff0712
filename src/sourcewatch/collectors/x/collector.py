"""The ``x`` source kind: the API v2 backend for polling, syndication for re-reads.

``poll`` reads an account or a search through the official API
(:mod:`~sourcewatch.collectors.x.api`); ``reread`` looks at stored posts again
through the credential-free syndication endpoint
(:mod:`~sourcewatch.collectors.x.syndication`), which reports edits (a new
text for the same original id) and deletions (a tombstone) without spending
the API read budget.

Import format ``x-json`` (``sourcewatch import FILE --format x-json``) reads
what those endpoints answer, with the same parsers: an API v2 response
(``data`` + ``includes``; one JSON object, a JSON list of them, or JSON lines
as twarc writes them) or a syndication ``tweet-result`` object.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from sourcewatch.collectors.base import CollectorError
from sourcewatch.collectors.x.api import poll_api
from sourcewatch.collectors.x.syndication import capture_x_post, parse_tweet_result
from sourcewatch.collectors.x.v2 import XPayloadError, load_json, parse_v2_response
from sourcewatch.records import ParsedItem, PollResult
from sourcewatch.text.urls import x_status_id

if TYPE_CHECKING:
    from sourcewatch.collectors.base import CollectContext, ItemRef
    from sourcewatch.collectors.formats import ImportContext
    from sourcewatch.records import SourceState
    from sourcewatch.sources.config import SourceConfig

log = logging.getLogger(__name__)
BACKENDS = ("api",)


class XCollector:
    kind: ClassVar[str] = "x"

    async def poll(
        self, source: SourceConfig, state: SourceState, ctx: CollectContext
    ) -> PollResult:
        backend = (source.backend or "api").lower()
        if backend not in BACKENDS:
            raise CollectorError(
                source.name, f"unknown X backend {backend!r}; use one of {BACKENDS}"
            )
        return await poll_api(source, state, ctx)

    async def reread(
        self, source: SourceConfig, items: list[ItemRef], ctx: CollectContext
    ) -> PollResult:
        """Edits and deletions of ``items``, read one by one from the syndication endpoint.

        A post that cannot be read is logged and left as it is; if none can be
        read at all, the first failure is raised.
        """
        result = PollResult()
        failures: list[CollectorError] = []
        for ref in items:
            wanted = ref.url if ref.url and x_status_id(ref.url) == ref.external_id else None
            try:
                one = await capture_x_post(
                    ctx.http,
                    ctx.settings,
                    wanted or ref.external_id,
                    source=source.name,
                    proxy=source.proxy,
                )
            except CollectorError as exc:
                log.warning("[%s] re-read of post %s failed: %s", source.name, ref.external_id, exc)
                failures.append(exc)
                continue
            item = one.items[0]
            if item.extra.get("via") == "oembed" and not item.deleted:
                continue  # oEmbed text (t.co links, no media) is not comparable with the API's
            item.external_id = ref.external_id
            result.captures.extend(one.captures)
            result.items.append(item)
        if failures and len(failures) == len(items):
            raise failures[0]
        return result


def parse_x_json(data: bytes, ctx: ImportContext) -> list[ParsedItem]:
    """``--format x-json``: API v2 responses or syndication tweet-result objects."""
    from sourcewatch.collectors.formats import ImportFileError

    name = ctx.filename
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{name}: not UTF-8 (byte {exc.start}): {exc.reason}") from None
    requested_id = x_status_id(ctx.url) if ctx.url else None
    newest: dict[str, ParsedItem] = {}
    for line, document in _documents(text, name):
        for position, obj in enumerate(document if isinstance(document, list) else [document]):
            where = f"{name}: line {line}" + (
                f", element {position}" if isinstance(document, list) else ""
            )
            try:
                items = _parse_object(obj, requested_id)
            except XPayloadError as exc:
                raise ImportFileError(f"{where}: {exc}") from None
            if items is None:
                raise ImportFileError(
                    f"{where}: neither an X API v2 response (data/includes) "
                    "nor a syndication tweet-result (__typename/id_str)"
                )
            for item in items:
                known = newest.get(item.external_id)
                if known is None or _version(item) >= _version(known):
                    newest[item.external_id] = item
    return list(newest.values())


def _documents(text: str, name: str) -> list[tuple[int, Any]]:
    """The file as one JSON document, or else as JSON lines; (line number, value) pairs."""
    from sourcewatch.collectors.formats import ImportFileError

    try:
        return [(1, load_json(text))]
    except ValueError as error:
        whole_error = error
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) <= 1:
            raise ImportFileError(f"{name}: not JSON: {whole_error}") from None
    documents = []
    for number, line in lines:
        try:
            documents.append((number, load_json(line)))
        except ValueError as exc:
            if not documents:  # not JSON lines either: report the whole document's error
                raise ImportFileError(f"{name}: not JSON: {whole_error}") from None
            raise ImportFileError(f"{name}: line {number}: not JSON: {exc}") from None
    return documents


def _parse_object(obj: Any, requested_id: str | None) -> list[ParsedItem] | None:
    if not isinstance(obj, Mapping):
        raise XPayloadError(f"expected a JSON object, got {type(obj).__name__}")
    if any(key in obj for key in ("data", "includes", "meta")):
        return parse_v2_response(obj)
    if "__typename" in obj or "id_str" in obj:
        return [parse_tweet_result(obj, requested_id=requested_id)]
    return None


def _version(item: ParsedItem) -> int:
    post_id = item.extra.get("post_id", item.external_id)
    return int(post_id) if isinstance(post_id, str) and post_id.isdigit() else 0
