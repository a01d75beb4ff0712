"""Values made storable at the boundary, the same on SQLite and PostgreSQL.

Sources are hostile, and the two databases refuse different things: PostgreSQL
rejects a NUL byte in any text or JSON value and an ``external_id`` longer than its
500-character column, both reject strings holding lone UTF-16 surrogates (they cannot
be encoded as UTF-8), and PostgreSQL's JSON rejects NaN. SQLite accepted most of these,
so one bad post made a source fail forever on PostgreSQL only.

Every item is passed through :func:`storable_item` before ingest writes it, so both
backends store the same values:

- a NUL byte becomes U+FFFD (visible, and it does not glue the words on either side);
- a lone surrogate becomes U+FFFD (a valid pair is joined into its character);
- an ``external_id`` longer than :data:`MAX_EXTERNAL_ID` becomes ``sha256:<hex>`` of
  the original, a stable key (the next poll maps the same GUID to the same item), and
  the original is kept in ``extra["external_id_original"]``;
- a language tag longer than its column is dropped (kept in ``extra``);
- NaN and infinities in JSON become strings;
- a naive datetime is read as UTC (as every JSON output already prints it);
- a text longer than ``max_item_text_chars`` is cut, the cut said in the text and in
  ``extra["text_cut"]`` (:mod:`sourcewatch.text.cut`): collectors cut at their parser
  already, this catches every other path (imports, collectors that parse in place).

Pure functions: no I/O.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import Any

from sourcewatch.records import MediaRef, ParsedItem
from sourcewatch.text.cut import DEFAULT_MAX_ITEM_TEXT_CHARS, EXTRA_KEY, cut_again

MAX_EXTERNAL_ID = 500  # item.external_id is String(500)
MAX_LANGUAGE = 20  # item.language is String(20)
REPLACEMENT = "\ufffd"


def storable_text(value: str) -> str:
    """``value`` without NUL bytes or lone surrogates (each replaced by U+FFFD)."""
    if "\x00" in value:
        value = value.replace("\x00", REPLACEMENT)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # surrogatepass keeps valid pairs as pairs, which UTF-16 decoding joins; a lone
        # surrogate cannot be decoded and becomes U+FFFD.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return value


def storable_json(value: Any) -> Any:
    """A JSON-able value with every string (keys too) storable and no NaN/infinity."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {storable_text(str(k)): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_json(v) for v in value]
    return value


def storable_key(external_id: str) -> str:
    """A stable key that fits the column: the id itself, or ``sha256:`` of it."""
    clean = storable_text(external_id)
    if len(clean) <= MAX_EXTERNAL_ID and clean == external_id:
        return external_id
    if len(clean) <= MAX_EXTERNAL_ID:
        return clean
    digest = hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


def storable_item(
    item: ParsedItem, max_text_chars: int = DEFAULT_MAX_ITEM_TEXT_CHARS
) -> ParsedItem:
    """``item`` with every value storable on both backends (a new object if any changed)."""
    text, cut = cut_again(item.text or "", max_text_chars)
    extra = storable_json(item.extra)
    if cut is not None:
        extra[EXTRA_KEY] = cut
    key = storable_key(item.external_id)
    if key != item.external_id:
        extra["external_id_original"] = storable_text(item.external_id)
    lang = _opt(item.lang)
    if lang is not None and len(lang) > MAX_LANGUAGE:
        extra["language_original"] = lang
        lang = None
    return _copy_with(
        item,
        external_id=key,
        url=_opt(item.url),
        author=_opt(item.author),
        published_at=_aware(item.published_at),
        text=storable_text(text),
        title=_opt(item.title),
        lang=lang,
        media=[MediaRef(**storable_json(m.to_dict())) for m in item.media],
        forwarded_from=_opt(item.forwarded_from),
        reply_to=_opt(item.reply_to),
        edited_at=_aware(item.edited_at),
        extra=extra,
    )


def _copy_with(item: ParsedItem, **changes: Any) -> ParsedItem:
    """``dataclasses.replace(item, **changes)`` without running ``__init__`` again: the
    fields are copied as they are (ParsedItem has no ``__post_init__`` and no slots).
    Ingest copies every item of every poll; ``replace`` was most of this module's cost."""
    clone: ParsedItem = object.__new__(ParsedItem)
    clone.__dict__.update(item.__dict__)
    clone.__dict__.update(changes)
    return clone


def _opt(value: str | None) -> str | None:
    return None if value is None else storable_text(str(value))


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
