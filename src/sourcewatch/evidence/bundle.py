"""``sourcewatch evidence``: a WACZ package proving what items said and when they were captured.

Layout (WACZ 1.1.1; every file sits two levels deep, as the reference validator wants)::

    archive/data.warc.gz          the captures' WARC records (response + request pairs,
                                  copied byte for byte from the rolling WARC files; a
                                  capture with no HTTP exchange, e.g. an import, is a
                                  ``resource`` record of the archived bytes)
    indexes/index.cdx             CDXJ index of the response/resource records (named
                                  .cdx, as pywb's WACZ import requires)
    pages/pages.jsonl             one page per item, pointing at the capture it came from
    evidence/items.json           the items: text, every revision, deletion time
    evidence/captures.json        each capture: hash, URL, time, status, its record here
    evidence/capture-log.jsonl    the capture-log segment proving the captures
    evidence/timestamps.json      RFC 3161 tokens over the log head / the manifest
    evidence/tsa-ca.pem           the configured TSA CA, if any (``[evidence] tsa_ca_file``)
    evidence/cite-manifest.json   the `cite` manifest, with ``--manifest``
    datapackage.json              SHA-256 and size of every file above
    datapackage-digest.json       SHA-256 of datapackage.json

Nothing is sent anywhere: a bundle is made from the local archive only.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from sourcewatch.evidence.gather import EvidenceError, EvidenceSet, gather, manifest_capture_ids
from sourcewatch.store.db import read_connection
from sourcewatch.store.objects import ObjectMissing
from sourcewatch.store.warc import warc_store
from sourcewatch.workspace import Workspace

WACZ_VERSION = "1.1.1"
WARC_PATH = "archive/data.warc.gz"
CDXJ_PATH = "indexes/index.cdx"  # CDXJ lines; pywb takes only .cdx/.cdx.gz from a WACZ
PAGES_PATH = "pages/pages.jsonl"
ITEMS_PATH = "evidence/items.json"
CAPTURES_PATH = "evidence/captures.json"
LOG_PATH = "evidence/capture-log.jsonl"
TOKENS_PATH = "evidence/timestamps.json"
CA_PATH = "evidence/tsa-ca.pem"
MANIFEST_PATH = "evidence/cite-manifest.json"
DATAPACKAGE = "datapackage.json"
DIGEST = "datapackage-digest.json"


@dataclass(frozen=True)
class BundleReport:
    path: Path
    items: int
    captures: int
    log_entries: int
    tokens: int
    files: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "items": self.items,
            "captures": self.captures,
            "log_entries": self.log_entries,
            "timestamps": self.tokens,
            "files": self.files,
        }


def build_bundle(
    ws: Workspace,
    item_ids: list[int],
    out: Path,
    *,
    manifest: Path | None = None,
    overwrite: bool = False,
) -> BundleReport:
    """Write the bundle to ``out``; an existing file is replaced only with ``overwrite``
    (a bundle already handed over is evidence too: never clobbered by a typo)."""
    if not overwrite and (out.exists() or out.is_symlink()):
        raise EvidenceError(f"{out} already exists; use --force to replace it")
    manifest_bytes = None
    capture_ids: list[int] = []
    if manifest is not None:
        try:
            manifest_bytes = manifest.read_bytes()
        except OSError as exc:
            raise EvidenceError(f"cannot read manifest {manifest}: {exc.strerror}") from None
        capture_ids = manifest_capture_ids(manifest_bytes, str(manifest))
    if not item_ids and not capture_ids:
        raise EvidenceError("name at least one item id, or a --manifest that cites captures")
    digest = hashlib.sha256(manifest_bytes).hexdigest() if manifest_bytes is not None else None
    with read_connection(ws.engine) as conn:
        evidence = gather(conn, item_ids, capture_ids=capture_ids, manifest_digest=digest)

    files: dict[str, bytes] = {}
    files[WARC_PATH] = _bundle_warc(ws, evidence)
    files[CDXJ_PATH] = cdxj_index(files[WARC_PATH], WARC_PATH.split("/")[-1])
    files[PAGES_PATH] = _pages(evidence)
    files[ITEMS_PATH] = _json({"items": evidence.items})
    files[CAPTURES_PATH] = _json({"captures": evidence.captures})
    files[LOG_PATH] = b"".join(
        json.dumps(entry, sort_keys=True).encode() + b"\n" for entry in evidence.log_segment
    )
    files[TOKENS_PATH] = _json({"tokens": evidence.tokens})
    ca_file = ws.settings.evidence.tsa_ca_file
    if evidence.tokens and ca_file is not None and ca_file.is_file():
        files[CA_PATH] = ca_file.read_bytes()
    if manifest_bytes is not None:
        files[MANIFEST_PATH] = manifest_bytes
    title = f"sourcewatch evidence: {len(evidence.items)} item(s)"
    _write_wacz(out, files, title=title, overwrite=overwrite)
    return BundleReport(
        out,
        len(evidence.items),
        len(evidence.captures),
        len(evidence.log_segment),
        len(evidence.tokens),
        [*sorted(files), DATAPACKAGE, DIGEST],
    )


def _bundle_warc(ws: Workspace, evidence: EvidenceSet) -> bytes:
    """Copy each capture's records into one WARC; note where each landed."""
    store = warc_store(ws.settings)
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.1")
    info = {"software": "sourcewatch evidence", "format": "WARC File Format 1.1"}
    writer.write_record(writer.create_warcinfo_record(WARC_PATH.split("/")[-1], info))
    for capture in evidence.captures:
        capture["record"] = {"file": WARC_PATH, "offset": out.tell()}
        try:
            if capture["warc"] is not None:
                locator = capture["warc"]
                out.write(store.read(locator["file"], locator["offset"], locator["length"]))
            else:  # no HTTP exchange (an import): the archived bytes as a resource record
                body = ws.objects.read(capture["sha256"])
                writer.write_record(_resource_record(writer, capture, body))
        except (OSError, ObjectMissing, ValueError) as exc:
            raise EvidenceError(f"capture {capture['id']}: cannot read its bytes: {exc}") from None
    return out.getvalue()


def _resource_record(writer: WARCWriter, capture: dict[str, Any], body: bytes) -> Any:
    return writer.create_warc_record(
        capture["url"],
        "resource",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type=capture["media_type"] or "application/octet-stream",
        warc_headers_dict={
            "WARC-Date": capture["fetched_at"],
            "WARC-Payload-Digest": f"sha256:{capture['sha256']}",
        },
    )


def cdxj_index(warc: bytes, filename: str) -> bytes:
    """CDXJ lines (SURT key, 14-digit time, JSON) for each response/resource record."""
    lines = []
    iterator = ArchiveIterator(io.BytesIO(warc))
    for record in iterator:
        if record.rec_type not in ("response", "resource"):
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        when = record.rec_headers.get_header("WARC-Date")
        entry: dict[str, Any] = {
            "url": url,
            "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
            "filename": filename,
        }
        if record.http_headers is not None and record.rec_type == "response":
            entry["status"] = record.http_headers.get_statuscode()
            entry["mime"] = (record.http_headers.get_header("Content-Type") or "").split(";")[0]
        else:
            entry["mime"] = record.rec_headers.get_header("Content-Type")
        record.raw_stream.read()
        entry["offset"] = str(iterator.get_record_offset())
        entry["length"] = str(iterator.get_record_length())
        lines.append(f"{surt_key(url)} {_cdx_time(when)} {json.dumps(entry, sort_keys=True)}")
    return ("\n".join(sorted(lines)) + "\n").encode("utf-8")


def surt_key(url: str) -> str:
    """The index key pywb and ReplayWeb.page look a URL up by: the ``surt`` library's
    SURT (host reversed, ``www`` dropped, query sorted, lower-cased), not our own guess
    (a hand-made key left query parameters unsorted, so replay missed those pages)."""
    import surt

    return str(surt.surt(url))


def _cdx_time(warc_date: str) -> str:
    moment = datetime.fromisoformat(warc_date.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _pages(evidence: EvidenceSet) -> bytes:
    captures = {c["id"]: c for c in evidence.captures}
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "Evidence items"}]
    for item in evidence.items:
        first = next((captures[c] for c in item["captures"] if c in captures), None)
        if first is None:
            continue
        text = " ".join((item["title"] or item["text"] or "").split())
        lines.append(
            {
                "id": f"item-{item['id']}",
                "url": first["url"],
                "ts": first["fetched_at"],
                "title": f"{item['source']}/{item['external_id']}: {text[:120]}",
            }
        )
    return b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in lines)


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"


def _write_wacz(out: Path, files: dict[str, bytes], *, title: str, overwrite: bool) -> None:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    resources = [
        {
            "name": path.split("/")[-1].lower(),
            "path": path,
            "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        for path, data in files.items()
    ]
    package = {
        "profile": "data-package",
        "title": title,
        "resources": resources,
        "created": created,
        "wacz_version": WACZ_VERSION,
        "software": "sourcewatch",
    }
    package_bytes = json.dumps(package, indent=2).encode("utf-8")
    digest = {"path": DATAPACKAGE, "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    # Stored, not deflated: WACZ readers seek into the WARC inside the ZIP.
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as wacz:
        for path, data in files.items():
            wacz.writestr(path, data)
        wacz.writestr(DATAPACKAGE, package_bytes)
        wacz.writestr(DIGEST, json.dumps(digest, indent=2).encode("utf-8"))
    if overwrite:
        tmp.replace(out)
        return
    try:  # a hard link fails if ``out`` appeared meanwhile: no check-then-write race
        os.link(tmp, out)
    except FileExistsError:
        raise EvidenceError(f"{out} already exists; use --force to replace it") from None
    finally:
        tmp.unlink(missing_ok=True)
