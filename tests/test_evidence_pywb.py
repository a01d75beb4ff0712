"""pywb itself indexes and replays our evidence bundles (WACZ) and WARC files.

pywb is not a dependency of the project (it pins old redis/fakeredis and brings gevent
and pyOpenSSL): it runs in its own interpreter, named by ``PYWB_PYTHON``
(.ci/run makes one: ``python3 -m venv .venv-pywb && .venv-pywb/bin/pip install pywb``).
Without it these tests are skipped, and with ``CI=true`` they fail instead: CI must run
them. ``tests/pywb/replay.py`` is what runs under pywb.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from evidence_support import CAPTURED_AT, TOPWAR
from sourcewatch.evidence import bundle
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace

REPLAY = Path(__file__).parent / "pywb" / "replay.py"
PAGE_URL = "https://t.me/s/topwar_official?before=71010&after=70990"
PHOTO_URL = "https://cdn4.telegram-cdn.org/file/Claim.jpg?token=Zz&a=1"
PHOTO = b"\xff\xd8\xff\xe0 claim photo jpeg bytes"


def pywb_python() -> str:
    found = os.environ.get("PYWB_PYTHON")
    if found and Path(found).exists():
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI must run the pywb replay tests: set PYWB_PYTHON")
    pytest.skip("pywb is not installed: set PYWB_PYTHON to a python that has it")


def photo_post_bundle(ws: Workspace, out: Path) -> Path:
    page = RawCapture(
        url=PAGE_URL,
        body=TOPWAR,
        status=200,
        fetched_at=CAPTURED_AT,
        headers={"content-type": "text/html; charset=utf-8"},
        media_type="text/html",
    )
    image = RawCapture(
        url=PHOTO_URL,
        body=PHOTO,
        status=200,
        fetched_at=CAPTURED_AT,
        headers={"content-type": "image/jpeg"},
        media_type="image/jpeg",
        kind="media",
    )
    post = ParsedItem(
        external_id="71008", text="claim", capture_sha256s=[page.sha256, image.sha256]
    )
    source = SourceConfig(name="topwar", kind="telegram", target="topwar_official")
    ingest(ws, source, PollResult([page, image], [post]), now=CAPTURED_AT)
    bundle.build_bundle(ws, [1], out)
    return out


def replay(python: str, workdir: Path, archive: Path) -> dict[str, Any]:
    workdir.mkdir()
    done = subprocess.run(
        [python, str(REPLAY), str(workdir), str(archive), PAGE_URL, PHOTO_URL],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads((workdir / "result.json").read_text())
    return result


def keys(lines: list[str]) -> set[tuple[str, str]]:
    return {(key, stamp) for key, stamp, _ in (line.split(" ", 2) for line in lines) if key != "-"}


def assert_replayed(result: dict[str, Any]) -> None:
    page, photo = result["urls"][PAGE_URL], result["urls"][PHOTO_URL]
    assert page["cdx"] and photo["cdx"], result
    assert (page["status"], page["sha256"]) == (200, hashlib.sha256(TOPWAR).hexdigest())
    assert (photo["status"], photo["sha256"]) == (200, hashlib.sha256(PHOTO).hexdigest())
    assert page["timestamp"] == photo["timestamp"] == "20230228140000"


def test_pywb_indexes_our_warc_under_the_keys_of_our_own_index(
    workspace: Workspace, tmp_path: Path
) -> None:
    python = pywb_python()
    wacz = photo_post_bundle(workspace, tmp_path / "photo.wacz")
    warc = tmp_path / "data.warc.gz"
    with zipfile.ZipFile(wacz) as archive:
        warc.write_bytes(archive.read(bundle.WARC_PATH))
        ours = archive.read(bundle.CDXJ_PATH).decode().splitlines()
    result = replay(python, tmp_path / "warc", warc)
    assert keys(result["index"]) == keys(ours)  # pywb's own indexer, the same keys
    assert_replayed(result)


def test_pywb_replays_our_wacz_bundle(workspace: Workspace, tmp_path: Path) -> None:
    python = pywb_python()
    wacz = photo_post_bundle(workspace, tmp_path / "photo.wacz")
    result = replay(python, tmp_path / "wacz", wacz)
    assert_replayed(result)
