"""Run under an interpreter that has pywb (not the project's venv): index and replay a
WACZ bundle or a WARC file with pywb itself, and print what pywb answered as JSON.

    python replay.py WORKDIR ARCHIVE URL [URL ...]

ARCHIVE is added to a new collection with ``wb-manager add`` (a ``.wacz`` with
``--unpack-wacz``: its WARC files and its own CDXJ index). Then, through pywb's WSGI app
(``FrontEndApp``) and werkzeug's test client: the CDX API lookup of each URL, and the
raw (``id_``) replay of each at the timestamp the lookup gave. Output, in
``WORKDIR/result.json`` (pywb logs to stdout): one JSON object,
``{"index": [pywb's index lines], "urls": {URL: {"cdx": [...], "status": int,
"sha256": str, "timestamp": str}}}``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path


def main(workdir: str, archive: str, urls: list[str]) -> dict[str, object]:
    os.chdir(workdir)
    wb_manager = str(Path(sys.executable).parent / "wb-manager")
    subprocess.run([wb_manager, "init", "evidence"], check=True, capture_output=True)
    add = [wb_manager, "add", "evidence", archive]
    if archive.endswith(".wacz"):
        add.insert(2, "--unpack-wacz")
    done = subprocess.run(add, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wb-manager add failed: {done.stderr}")

    from pywb.apps.frontendapp import FrontEndApp
    from werkzeug.test import Client

    client = Client(FrontEndApp())
    index = Path("collections/evidence/indexes/index.cdxj")
    result: dict[str, object] = {
        "index": index.read_text().splitlines() if index.exists() else [],
        "add_log": done.stderr[-2000:],
        "urls": {},
    }
    for url in urls:
        lookup = client.get("/evidence/cdx", query_string={"url": url, "output": "json"})
        body = lookup.get_data(as_text=True)
        try:
            rows = [json.loads(line) for line in body.splitlines() if line.strip()]
        except ValueError:
            rows = []
        answer: dict[str, object] = {"cdx": rows, "cdx_status": lookup.status_code}
        if not rows:
            answer["cdx_body"] = body[:2000]
        if rows:
            stamp = rows[0]["timestamp"]
            replay = client.get(f"/evidence/{stamp}id_/{url}")
            answer |= {
                "timestamp": stamp,
                "status": replay.status_code,
                "sha256": hashlib.sha256(replay.get_data()).hexdigest(),
            }
        result["urls"][url] = answer  # type: ignore[index]
    return result


if __name__ == "__main__":
    # pywb logs to stdout: the result goes to a file
    found = main(sys.argv[1], sys.argv[2], sys.argv[3:])
    Path(sys.argv[1], "result.json").write_text(json.dumps(found))
