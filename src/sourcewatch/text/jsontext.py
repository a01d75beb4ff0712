"""JSON for people and ``jq``: non-ASCII stays readable UTF-8, nothing acts on a terminal.

``json.dumps(ensure_ascii=True)`` turned every Arabic letter into ``\\u0627``; with
``ensure_ascii=False`` alone, the characters that ``terminal_safe`` guards against
would reach the terminal raw: C1 controls (``\\x9b`` is an 8-bit CSI), DEL, line and
paragraph separators and bidi embeddings/overrides/isolates. Those (and lone
surrogates, which UTF-8 cannot encode) are escaped as ``\\uXXXX``: they can only
occur inside JSON strings, where the escape means the same character, so the data
is unchanged for any JSON reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_UNSAFE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(
    obj: Any, *, indent: int | None = None, default: Callable[[Any], Any] | None = str
) -> str:
    """``obj`` as JSON text: UTF-8-readable, terminal-safe, one line unless ``indent``."""
    return _UNSAFE.sub(_escape, json.dumps(obj, ensure_ascii=False, indent=indent, default=default))
