"""Make hostile text safe to print in a terminal.

Fetched text can carry ANSI/VT escape sequences (cursor moves, screen clears,
OSC 8 hyperlinks, title changes, even "write to clipboard" OSC 52), C0/C1
control characters and bidi overrides that disguise what a line says. Every
string from a source goes through :func:`terminal_safe` before it is printed.

Escape sequences and controls are removed. Bidi embeddings, overrides and isolates
are *shown* as ``<U+202E>``: an analyst should see that a post tries to make a line
read differently from its bytes (a reversed file name, a hidden clause), not read the
disguised line. Right-to-left text itself (Arabic, Pashto, Dari, Urdu, Hebrew) is
left in logical order with its joiners (ZWNJ/ZWJ, needed by Persian and Pashto
spelling) and its LRM/RLM/ALM marks, which is what bidi-aware terminals lay out.
"""

from __future__ import annotations

import re

# CSI ... final byte, OSC ... BEL/ST, DCS/SOS/PM/APC ... ST, and 2-byte ESC sequences;
# both the 7-bit (ESC [) and 8-bit (\x9b) introducers.
_ESCAPES = re.compile(
    r"""
    (?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]               # CSI
  | (?:\x1b\]|\x9d).*?(?:\x07|\x1b\\|\x9c|$)       # OSC, to BEL or ST (or end)
  | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]).*?(?:\x1b\\|\x9c|$)  # DCS SOS PM APC
  | \x1b[@-Z\\-_]?                                   # other ESC sequences, lone ESC
    """,
    re.VERBOSE | re.DOTALL,
)
# C0 controls except tab and newline, DEL, C1 controls.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidi embeddings/overrides/isolates can make a line read differently from its bytes.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Line and paragraph separators: some terminals break the line, others do not.
_SEPARATORS = re.compile(r"[\u2028\u2029\u0085]")


def _visible(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def terminal_safe(text: str | None, *, keep_newlines: bool = True) -> str:
    """Strip escape sequences and control characters; show bidi controls as ``<U+XXXX>``."""
    if not text:
        return ""
    text = _ESCAPES.sub("", text)
    text = _SEPARATORS.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROLS.sub("", text)
    text = _BIDI.sub(_visible, text)
    if not keep_newlines:
        text = " ".join(text.split())
    return text
