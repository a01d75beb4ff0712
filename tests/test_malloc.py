"""glibc gives a freed 20 MiB block back to the system only with the threshold fixed
(sourcewatch/malloc.py; issue 19's daemon kept its high-water mark of hostile bodies)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sourcewatch.malloc import fix_mmap_threshold

# In a fresh interpreter: a 20 MiB block allocated and freed twice (the first free is what
# makes glibc raise its threshold), then how much more RSS the process holds than before.
_CHILD = """
import json, sys
from sourcewatch.malloc import fix_mmap_threshold

def rss_kib():
    with open("/proc/self/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0])

taken = fix_mmap_threshold(int(sys.argv[1]))
before = rss_kib()
for _ in range(2):
    block = b"x" * (20 * 1024 * 1024)
    del block
print(json.dumps({"taken": taken, "kept_kib": rss_kib() - before}))
"""


def _kept_after_freeing(threshold: int) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(threshold)], capture_output=True, text=True, check=True
    )
    outcome: dict[str, int] = json.loads(done.stdout)
    return outcome


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_freed_large_block_goes_back_to_the_system_only_with_the_threshold_fixed() -> None:
    fixed = _kept_after_freeing(128 * 1024)
    default = _kept_after_freeing(0)
    assert fixed["taken"] and not default["taken"]
    assert fixed["kept_kib"] < 4 * 1024  # given back
    assert default["kept_kib"] > 16 * 1024  # glibc's default kept the second 20 MiB


def test_nothing_is_done_for_a_threshold_of_zero() -> None:
    assert fix_mmap_threshold(0) is False
