"""Make hostile text safe to print in a terminal.

Fetched text can carry ANSI/VT escape sequences (cursor moves, screen clears,
OSC 8 hyperlinks, title changes, even "write to clipboard" OSC 52), C0/C1
control characters and bidi overrides that disguise what a line says. Every
string from a source goes through :func:`terminal_safe` before it is printed.
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


def terminal_safe(text: str | None, *, keep_newlines: bool = True) -> str:
    """Strip escape sequences, control characters and bidi overrides."""
    if not text:
        return ""
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _BIDI.sub("", text)
    if not keep_newlines:
        text = " ".join(text.split())
    return text
