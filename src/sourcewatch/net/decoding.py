"""Bytes -> text for fetched pages and feeds, when the charset is declared wrongly or not at all.

Order of evidence: a byte-order mark (unambiguous, so it wins, as in the WHATWG
encoding standard), the first four bytes of a document that starts with ``<`` in
UTF-32 or UTF-16 without a mark (the XML specification's appendix F: ``00 00 00 3C``,
``3C 00 00 00``, ``00 3C 00 3F``, ``3C 00 3F 00``; no ASCII-compatible charset
starts so, whatever a header claims), the HTTP ``Content-Type`` charset, an in-document
declaration (``<meta charset>``, ``<meta http-equiv=Content-Type>``, the XML
declaration), then strict UTF-8, then statistical detection (charset_normalizer),
which is what rescues the windows-1256 Arabic and windows-1251 Cyrillic pages
that local outlets still serve without any declaration. A declared charset that
does not decode the bytes cleanly is treated as a lie and the next evidence is tried.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# XML 1.0 appendix F, without a byte-order mark. "<" then any character other than
# NUL (not only "?": a feed may start with "<rss" and no declaration).
_WIDE_SIGNATURES = (
    (re.compile(rb"^\x00\x00\x00<"), "utf-32-be"),
    (re.compile(rb"^<\x00\x00\x00"), "utf-32-le"),
    (re.compile(rb"^\x00<\x00[^\x00]", re.S), "utf-16-be"),
    (re.compile(rb"^<\x00[^\x00]\x00", re.S), "utf-16-le"),
)
_SNIFF_BYTES = 4096
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)["']""", re.I)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.I)
# WHATWG: these labels mean windows-1252 on the web, whatever the label says.
_WEB_ALIASES = {"iso-8859-1": "windows-1252", "latin1": "windows-1252", "ascii": "windows-1252"}


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # Python codec name actually used
    evidence: str  # "bom", "signature", "header", "document", "utf-8", "detected", "fallback"


def media_type_of(content_type: str | None) -> str | None:
    if not content_type:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type or None


def header_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def document_charset(body: bytes) -> str | None:
    """The charset an HTML ``<meta>`` or the XML declaration claims, from the first 4 KB."""
    head = body[:_SNIFF_BYTES]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def wide_encoding(body: bytes) -> str | None:
    """UTF-16/UTF-32 (with byte order) of a document without a byte-order mark, told by
    its first four bytes as the XML specification's appendix F does; None otherwise."""
    head = body[:4]
    for signature, encoding in _WIDE_SIGNATURES:
        if signature.match(head):
            return encoding
    return None


def decode_body(body: bytes, content_type: str | None = None) -> DecodedText:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return DecodedText(body[len(bom) :].decode(encoding, "replace"), encoding, "bom")
    wide = wide_encoding(body)
    if wide is not None:
        return DecodedText(body.decode(wide, "replace"), wide, "signature")
    for label, evidence in (
        (header_charset(content_type), "header"),
        (document_charset(body), "document"),
    ):
        codec = _codec(label)
        if codec is None:
            continue
        try:
            return DecodedText(body.decode(codec), codec, evidence)
        except UnicodeDecodeError:
            continue
    try:
        return DecodedText(body.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body[: 256 * 1024]).best()
    if best is not None:
        encoding = _codec(best.encoding) or "utf-8"
        return DecodedText(body.decode(encoding, "replace"), encoding, "detected")
    return DecodedText(body.decode("utf-8", "replace"), "utf-8", "fallback")


def _codec(label: str | None) -> str | None:
    """Python's codec name for a charset label, or None when the label is unknown."""
    if not label:
        return None
    label = _WEB_ALIASES.get(label.strip().lower(), label.strip().lower())
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A document that is already bytes cannot really be UTF-16 if it declared so in ASCII.
    return "utf-8" if name.startswith("utf-16") or name.startswith("utf-32") else name
