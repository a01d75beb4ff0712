"""The ``token`` parameter of X's syndication endpoint, computed from the post id.

X's embed script sends ``((id / 1e15) * Math.PI).toString(36)`` with every
"0" and "." removed. Reproducing it needs JavaScript's float-to-radix-string
conversion digit for digit, so :func:`js_to_string_radix` follows V8's
algorithm (tests check it against values that Node printed).
"""

from __future__ import annotations

import math

_DIGITS36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def syndication_token(post_id: str) -> str:
    """X embed's token: ``((id / 1e15) * π).toString(36)`` with every 0 and "." removed."""
    value = (float(int(post_id)) / 1e15) * math.pi
    return js_to_string_radix(value, 36).replace("0", "").replace(".", "")


def js_to_string_radix(value: float, radix: int) -> str:
    """JavaScript's ``Number.prototype.toString(radix)`` for a finite non-negative double.

    The digits must match V8's byte for byte (the server checks the token), so
    this follows its algorithm: fraction digits only up to the double's own
    precision (``delta``), rounded half to even, then the integer digits.
    """
    integer = math.floor(value)
    fraction = value - integer
    delta = max(0.5 * (math.nextafter(value, math.inf) - value), math.nextafter(0.0, 1.0))
    fraction_digits: list[int] = []
    if fraction >= delta:
        while True:
            fraction *= radix
            delta *= radix
            digit = int(fraction)
            fraction_digits.append(digit)
            fraction -= digit
            if (fraction > 0.5 or (fraction == 0.5 and digit & 1)) and fraction + delta > 1:
                # Round up, carrying into earlier digits (and into the integer part).
                while True:
                    if not fraction_digits:
                        integer += 1
                        break
                    last = fraction_digits.pop() + 1
                    if last < radix:
                        fraction_digits.append(last)
                        break
                break
            if fraction < delta:
                break
    integer_digits: list[str] = []
    whole = float(integer)
    while whole / radix >= 2.0**53:  # digits beyond the double's precision are zeros
        whole /= radix
        integer_digits.append("0")
    while True:
        remainder = math.fmod(whole, radix)
        integer_digits.append(_DIGITS36[int(remainder)])
        whole = (whole - remainder) / radix
        if whole <= 0:
            break
    text = "".join(reversed(integer_digits))
    if fraction_digits:
        text += "." + "".join(_DIGITS36[d] for d in fraction_digits)
    return text
