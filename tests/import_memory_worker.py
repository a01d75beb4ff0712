"""A child process for tests/test_import_memory.py: imports a file (JSON lines, or the
format its second argument names) into the workspace its environment names and prints
its own peak RSS (ru_maxrss, KiB) and traced peak as JSON.

The baseline child imports a one-line file, which loads everything an import uses (the
package, the workspace, the matcher, the language detector), so the difference between
two children is what the bigger file itself made the import hold.
"""

from __future__ import annotations

import json
import resource
import sys
import tracemalloc
from pathlib import Path

from sourcewatch.collectors.formats import ImportFileError
from sourcewatch.config import load_settings
from sourcewatch.ingest.imports import import_file
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace


def main(path: str, fmt: str = "jsonl") -> None:
    source = SourceConfig(name="amaq", kind="telegram", target="amaq_agency")
    outcome: dict[str, object] = {}
    with Workspace.open(load_settings(None)) as ws:
        tracemalloc.start()
        try:
            outcome["new"] = import_file(ws, Path(path), source, fmt).new
        except ImportFileError as exc:
            outcome["error"] = str(exc)
        # The peak of the import's own Python allocations: what the file made it hold,
        # exactly, whatever the allocator and the machine's load (RSS is not).
        outcome["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    outcome["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(outcome))


if __name__ == "__main__":
    main(*sys.argv[1:3])
