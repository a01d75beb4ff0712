"""Run by test_crash.py in a subprocess: ingest N items in batches, as a poller would.

Settings come from SOURCEWATCH_* variables; batch k is items k*size .. k*size+size-1
with a page capture, and the cursor records the last batch, exactly like a collector
that pages through a source. Re-running after a kill resumes from the cursor.
"""

from __future__ import annotations

import sys

import sqlalchemy as sa

from sourcewatch.config import load_settings
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import SOURCE as SOURCE_TABLE
from sourcewatch.workspace import Workspace

# A declared language: this worker is about kill safety, and detecting the language of
# 10,000 items would only make every run of it slower.
SOURCE = SourceConfig(name="crashy", kind="feed", target="https://example.org/feed", language="en")


def main(total: int, batch: int) -> None:
    with Workspace.open(load_settings()) as ws:
        with ws.engine.connect() as conn:
            cursor = conn.execute(
                sa.select(SOURCE_TABLE.c.cursor).where(SOURCE_TABLE.c.name == "crashy")
            ).scalar()
        start = (cursor or {}).get("next", 0)
        for first in range(start, total, batch):
            body = f"page starting at {first}".encode() + b"." * 2000
            capture = RawCapture(
                url=f"https://example.org/feed?page={first}", body=body, status=200
            )
            items = [
                ParsedItem(
                    external_id=str(n),
                    text=f"item {n} " + "x" * 400,
                    capture_sha256s=[capture.sha256],
                )
                for n in range(first, min(first + batch, total))
            ]
            ingest(ws, SOURCE, PollResult([capture], items, cursor={"next": first + batch}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
