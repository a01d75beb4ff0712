"""glibc's malloc told to give large blocks back to the system when they are freed.

glibc serves a large allocation (over 128 KiB) with a mapping of its own, returned to
the system by ``free``; but after the first such block is freed it raises that threshold
to the block's size, up to 32 MiB, and from then on serves blocks that large from its
heaps, which are rarely trimmed. A daemon that reads 20 MiB bodies and a parse worker
that builds 100 MB trees then keep their high-water mark for good: under the hostile
sources of issue 19 the daemon peaked at 482 MB with glibc's default, 290 MB with the
threshold fixed at 128 KiB (bench/results/hostile-memory.md). Setting the threshold
with ``mallopt`` also turns that adjustment off. Small objects are untouched: Python's
own allocator serves them from arenas of its own.

Elsewhere than glibc (musl, macOS) nothing is done.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # malloc.h


def fix_mmap_threshold(nbytes: int) -> bool:
    """Serve every allocation of ``nbytes`` or more with its own mapping, given back when
    freed; whether glibc took it (0 or a non-Linux system: nothing done, False)."""
    if nbytes <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    taken = bool(mallopt(_M_MMAP_THRESHOLD, nbytes))
    if not taken:
        log.debug("malloc did not take M_MMAP_THRESHOLD=%d (not glibc?)", nbytes)
    return taken
