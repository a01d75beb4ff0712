"""``sourcewatch evidence verify``: check a bundle offline, with no database and no network.

What holds when it passes: every file hashes to what ``datapackage.json`` says and that
file to what ``datapackage-digest.json`` says; every capture's WARC record carries bytes
whose SHA-256 is the capture's; every item's revisions hash to their recorded content
hashes and cite captures in the bundle; the capture-log segment recomputes link by link
and holds an entry for each capture with the same hash, URL, time and status; and each
timestamp token is a valid RFC 3161 signature, by a TSA chaining to the given CA, over
the log entry (or manifest) it claims to stamp.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from sourcewatch.evidence import bundle as layout
from sourcewatch.evidence.gather import HEAD_SUBJECT, MANIFEST_SUBJECT
from sourcewatch.evidence.tsa import verify_token
from sourcewatch.records import MediaRef, ParsedItem
from sourcewatch.store import capturelog

_MAX_MEMBER_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class BundleReport:
    path: Path
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append(Check(name, ok, detail))

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


def verify_bundle(path: Path, *, tsa_ca: Path | None = None) -> BundleReport:
    report = BundleReport(path)
    try:
        with zipfile.ZipFile(path) as wacz:
            files = _read_all(wacz, report)
    except (zipfile.BadZipFile, OSError) as exc:
        report.add(str(path), False, f"not a readable WACZ/ZIP file: {exc}")
        return report
    if not _check_package(files, report):
        return report
    captures = _load(files, layout.CAPTURES_PATH, "captures", report)
    items = _load(files, layout.ITEMS_PATH, "items", report)
    segment = _load_segment(files, report)
    tokens = _load(files, layout.TOKENS_PATH, "tokens", report)
    if captures is not None:
        _check_captures(files.get(layout.WARC_PATH, b""), captures, report)
    if items is not None and captures is not None:
        _check_items(items, {c["id"] for c in captures}, report)
    if segment is not None and captures is not None:
        _check_chain(segment, captures, report)
    if tokens is not None and segment is not None:
        _check_tokens(tokens, segment, files, tsa_ca, report)
    return report


def _read_all(wacz: zipfile.ZipFile, report: BundleReport) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for info in wacz.infolist():
        if info.file_size > _MAX_MEMBER_BYTES:  # a hostile bundle must not exhaust memory
            report.add(info.filename, False, f"{info.file_size} bytes: too large to verify")
            continue
        try:
            files[info.filename] = wacz.read(info)
        except (zipfile.BadZipFile, zlib.error) as exc:  # e.g. a CRC mismatch
            report.add(info.filename, False, f"corrupt inside the ZIP: {exc}")
    return files


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _check_package(files: dict[str, bytes], report: BundleReport) -> bool:
    package_bytes = files.get(layout.DATAPACKAGE)
    digest_bytes = files.get(layout.DIGEST)
    if package_bytes is None or digest_bytes is None:
        report.add("datapackage.json", False, "datapackage.json or its digest file is missing")
        return False
    try:
        digest = json.loads(digest_bytes)["hash"]
        package = json.loads(package_bytes)
        resources = {r["path"]: r for r in package["resources"]}
    except (ValueError, KeyError, TypeError) as exc:
        report.add("datapackage.json", False, f"unreadable: {exc}")
        return False
    report.add(
        layout.DIGEST,
        digest == _sha256(package_bytes),
        "datapackage.json hashes to the recorded digest"
        if digest == _sha256(package_bytes)
        else "datapackage.json does not hash to the digest in datapackage-digest.json",
    )
    for name, data in sorted(files.items()):
        if name in (layout.DATAPACKAGE, layout.DIGEST):
            continue
        resource = resources.get(name)
        if resource is None:
            report.add(name, False, "file not listed in datapackage.json")
        elif resource.get("hash") != _sha256(data) or resource.get("bytes") != len(data):
            report.add(name, False, "SHA-256 or size differs from datapackage.json")
        else:
            report.add(name, True, f"SHA-256 matches ({len(data)} bytes)")
    for name in sorted(set(resources) - set(files)):
        report.add(name, False, "listed in datapackage.json but missing")
    return True


def _load(files: dict[str, bytes], name: str, key: str, report: BundleReport) -> Any:
    try:
        value = json.loads(files[name])[key]
    except KeyError:
        report.add(name, False, "missing")
        return None
    except (ValueError, TypeError) as exc:
        report.add(name, False, f"unreadable JSON: {exc}")
        return None
    if not isinstance(value, list):
        report.add(name, False, f"{key} is not a list")
        return None
    return value


def _load_segment(files: dict[str, bytes], report: BundleReport) -> list[dict[str, Any]] | None:
    try:
        return [json.loads(line) for line in files[layout.LOG_PATH].splitlines() if line.strip()]
    except KeyError:
        report.add(layout.LOG_PATH, False, "missing")
    except ValueError as exc:
        report.add(layout.LOG_PATH, False, f"unreadable JSON line: {exc}")
    return None


def _check_captures(warc: bytes, captures: list[dict[str, Any]], report: BundleReport) -> None:
    for capture in captures:
        name = f"capture {capture.get('id')}"
        try:
            stream = io.BytesIO(warc)
            stream.seek(int(capture["record"]["offset"]))
            record = next(iter(ArchiveIterator(stream)))
            body = record.content_stream().read()
            url = record.rec_headers.get_header("WARC-Target-URI")
        except (ArchiveLoadFailed, StopIteration, KeyError, TypeError, ValueError, OSError) as exc:
            report.add(name, False, f"its WARC record cannot be read: {exc}")
            continue
        if hashlib.sha256(body).hexdigest() != capture.get("sha256"):
            report.add(name, False, "the WARC record's bytes do not hash to the capture's SHA-256")
        elif url != capture.get("url"):
            report.add(name, False, f"the WARC record is for {url}, not {capture.get('url')}")
        else:
            report.add(name, True, f"{capture['url']} at {capture['fetched_at']}: bytes match")


def _check_items(items: list[dict[str, Any]], capture_ids: set[int], report: BundleReport) -> None:
    for item in items:
        name = f"item {item.get('id')}"
        try:
            problems = [
                f"revision {rev['revision']} does not hash to its content hash"
                for rev in item["revisions"]
                if _content_hash(rev) != rev["content_hash"]
            ]
            problems += [
                f"capture {c} is not in the bundle"
                for c in item["captures"]
                if c not in capture_ids
            ]
            last = item["revisions"][-1] if item["revisions"] else None
            if last is None or (last["title"], last["text"]) != (item["title"], item["text"]):
                problems.append("its text is not its last revision's")
        except (KeyError, TypeError) as exc:
            report.add(name, False, f"malformed record: {exc}")
            continue
        deleted = f", deleted {item['deleted_at']}" if item.get("deleted_at") else ""
        detail = (
            "; ".join(problems) or f"{len(item['revisions'])} revision(s) hash correctly{deleted}"
        )
        report.add(name, not problems, detail)


def _content_hash(revision: dict[str, Any]) -> str:
    media = [MediaRef(**m) for m in revision.get("media") or []]
    item = ParsedItem(external_id="-", title=revision["title"], text=revision["text"], media=media)
    return item.content_hash()


def _check_chain(
    segment: list[dict[str, Any]], captures: list[dict[str, Any]], report: BundleReport
) -> None:
    problems: list[str] = []
    previous: str | None = None
    by_capture: dict[int, dict[str, Any]] = {}
    try:
        for entry in segment:
            recomputed = capturelog.row_hash(entry)
            if recomputed != entry["entry_hash"]:
                problems.append(f"entry {entry['seq']} does not hash to its entry hash")
            if previous is not None and entry["prev_hash"] != previous:
                problems.append(f"entry {entry['seq']} does not link to the entry before it")
            previous = entry["entry_hash"]
            by_capture[entry["capture_id"]] = entry
        for capture in captures:
            logged = by_capture.get(capture["id"])
            fields = ("sha256", "url", "fetched_at", "status")
            if logged is None:
                problems.append(f"capture {capture['id']} has no entry in the segment")
            elif any(logged[f] != capture[f] for f in fields):
                problems.append(
                    f"capture {capture['id']} differs from its log entry {logged['seq']}"
                )
    except (KeyError, TypeError) as exc:
        problems.append(f"malformed entry: {exc}")
    if not segment:
        problems.append("the segment is empty")
    detail = "; ".join(problems[:5]) or (
        f"entries {segment[0]['seq']}..{segment[-1]['seq']} recompute and link; "
        f"every capture has its entry"
    )
    report.add("capture log", not problems, detail)


def _check_tokens(
    tokens: list[dict[str, Any]],
    segment: list[dict[str, Any]],
    files: dict[str, bytes],
    tsa_ca: Path | None,
    report: BundleReport,
) -> None:
    if not tokens:
        report.add("timestamps", True, "none in this bundle (no TSA configured when it was made)")
        return
    heads = {str(e.get("seq")): e.get("entry_hash") for e in segment}
    manifest = files.get(layout.MANIFEST_PATH)
    with tempfile.TemporaryDirectory(prefix="sourcewatch-verify-") as tmp:
        ca = tsa_ca
        if ca is None and layout.CA_PATH in files:
            ca = Path(tmp) / "tsa-ca.pem"
            ca.write_bytes(files[layout.CA_PATH])
        for number, token in enumerate(tokens, 1):
            name = f"timestamp {number} ({token.get('subject')} {token.get('ref')})"
            digest = token.get("digest")
            if token.get("subject") == HEAD_SUBJECT:
                covered = heads.get(str(token.get("ref"))) == digest
            elif token.get("subject") == MANIFEST_SUBJECT:
                covered = manifest is not None and hashlib.sha256(manifest).hexdigest() == digest
            else:
                covered = False
            if not covered:
                report.add(name, False, "stamps a digest that is not in this bundle")
                continue
            if ca is None:
                report.add(name, False, "no TSA CA to check it against (give --tsa-ca)")
                continue
            try:
                der = base64.b64decode(token["token"], validate=True)
            except (KeyError, ValueError) as exc:
                report.add(name, False, f"unreadable token: {exc}")
                continue
            check = verify_token(der, str(digest), ca)
            source = "" if tsa_ca else " (CA from the bundle; pass --tsa-ca to use your own)"
            report.add(name, check.ok, check.message + (source if check.ok else ""))
