"""The citation manifest: footnote number -> each URL's capture; JSON and a Markdown appendix.

JSON (``cite --json`` / ``--out FILE``)::

    {"manifest": 1, "report": "draft.docx", "report_sha256": "...", "created_at": "...Z",
     "summary": {"footnotes": 80, "with_urls": 75, "urls": 125, "unique_urls": 96,
                 "live": 90, "deleted": 3, "unreachable": 3, "blocked": 0},
     "footnotes": [{"number": 2, "text": "...", "urls": [
         {"raw": "https://shaam dot org/...", "url": "https://shaam.org/...",
          "canonical": "https://shaam.org/...", "kind": "web", "status": "live",
          "archive_id": 41, "sha256": "...", "captured_at": "...Z", ...}]}]}

A footnote without a URL has ``"urls": []`` and ``"no_url": true``. A URL that is
not live now (see :mod:`.status`), with a capture of it in our archive, has
``"cited_instead": {"archive_id", "sha256", "captured_at", "url"}`` (plus
``"item_id"`` and ``"revision"`` when it is a collected item's capture); its raw
reason is in ``"reason"``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sourcewatch.citations.footnotes import Footnote
from sourcewatch.citations.snapshot import SNAPSHOT_STATUSES, Snapshot
from sourcewatch.records import utcnow

MANIFEST_VERSION = 1


def dry_run_json(footnotes: list[Footnote]) -> dict[str, Any]:
    """``cite --dry-run --json``: what was read, nothing fetched."""
    return {"footnotes": [note.to_json() for note in footnotes]}


def build_manifest(
    report: str, report_bytes: bytes, footnotes: list[Footnote], snaps: dict[str, Snapshot]
) -> dict[str, Any]:
    counts = dict.fromkeys(SNAPSHOT_STATUSES, 0)
    notes = []
    for note in footnotes:
        entry = note.to_json()
        urls = []
        for found in note.urls:
            snap = snaps[found.canonical]
            counts[snap.status] += 1
            record = snap.to_json()
            record.pop("url", None)
            urls.append({**found.to_json(), **record})
        entry["urls"] = urls
        if not urls:
            entry["no_url"] = True
        notes.append(entry)
    summary = {
        "footnotes": len(footnotes),
        "with_urls": sum(1 for note in footnotes if note.urls),
        "urls": sum(len(note.urls) for note in footnotes),
        "unique_urls": len(snaps),
        **counts,
    }
    return {
        "manifest": MANIFEST_VERSION,
        "report": report,
        "report_sha256": hashlib.sha256(report_bytes).hexdigest(),
        "created_at": utcnow().isoformat().replace("+00:00", "Z"),
        "summary": summary,
        "footnotes": notes,
    }


def render_markdown(manifest: dict[str, Any]) -> str:
    """A citation appendix an analyst can paste: one line per URL, grouped by footnote."""
    lines = [f"## Archived sources ({manifest.get('report', 'report')})", ""]
    for note in manifest["footnotes"]:
        label = f"[{note['number']}]"
        if note.get("kind") == "endnote":
            label = f"[e{note['number']}]"
        if not note["urls"]:
            lines.append(f"{label} {note['text']} (no URL)")
            continue
        for index, url in enumerate(note["urls"]):
            prefix = label if index == 0 else " " * len(label)
            lines.append(f"{prefix} {url['canonical']} — {_describe(url)}")
    return "\n".join(lines) + "\n"


def _describe(url: dict[str, Any]) -> str:
    status = url.get("status")
    if status in ("live", "captured"):
        text = f"captured {_when(url.get('captured_at'))}, sha256 {_short(url.get('sha256'))}"
        return text + (f", archive id {url['archive_id']}" if url.get("archive_id") else "")
    if status is None:
        return "not captured (dry run)"
    why = url.get("reason") or url.get("error")
    reason = f" ({why})" if why else ""
    text = f"{status}{reason}"
    earlier = url.get("cited_instead")
    if earlier:
        text += (
            f"; cited from our capture of {_when(earlier.get('captured_at'))}, "
            f"sha256 {_short(earlier.get('sha256'))}, archive id {earlier.get('archive_id')}"
        )
        if earlier.get("revision"):
            text += f", item {earlier.get('item_id')} revision {earlier['revision']}"
    return text


def _when(value: str | None) -> str:
    if not value:
        return "(unknown time)"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _short(sha: str | None) -> str:
    return f"{sha[:12]}…" if sha else "(none)"
