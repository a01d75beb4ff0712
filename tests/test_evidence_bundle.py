"""Evidence bundles: a valid WACZ that proves a deleted post, verified offline, tamper-evident."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from wacz.main import main as wacz_main

from evidence_support import (
    CAPTURED_AT,
    DELETED_AT,
    PAGE_URL,
    TOPWAR,
    ingest_deleted_telegram_post,
    make_tsa,
    serve_tsa,
)
from sourcewatch.config import Settings
from sourcewatch.evidence import bundle, tsa
from sourcewatch.evidence.gather import EvidenceError
from sourcewatch.evidence.verify import verify_bundle
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.capturelog import format_time
from sourcewatch.workspace import Workspace


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as wacz:
        return wacz.read(name)


def rewrite(path: Path, name: str, change: object) -> None:
    """Rewrite one member (a tamperer who keeps the ZIP itself valid)."""
    with zipfile.ZipFile(path) as wacz:
        members = {info.filename: wacz.read(info) for info in wacz.infolist()}
    members[name] = change(members[name])  # type: ignore[operator]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as wacz:
        for member, data in members.items():
            wacz.writestr(member, data)


def flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def repackage(path: Path) -> None:
    """Recompute datapackage.json and its digest, as a careful forger would."""
    with zipfile.ZipFile(path) as wacz:
        members = {info.filename: wacz.read(info) for info in wacz.infolist()}
    package = json.loads(members[bundle.DATAPACKAGE])
    for resource in package["resources"]:
        data = members[resource["path"]]
        resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
        resource["bytes"] = len(data)
    members[bundle.DATAPACKAGE] = json.dumps(package).encode()
    digest = "sha256:" + hashlib.sha256(members[bundle.DATAPACKAGE]).hexdigest()
    members[bundle.DIGEST] = json.dumps({"path": bundle.DATAPACKAGE, "hash": digest}).encode()
    with zipfile.ZipFile(path, "w") as wacz:
        for member, data in members.items():
            wacz.writestr(member, data)


@pytest.fixture
def deleted_post_bundle(workspace: Workspace, tmp_path: Path) -> Path:
    item_id = ingest_deleted_telegram_post(workspace)
    out = tmp_path / "out" / "evidence.wacz"
    report = bundle.build_bundle(workspace, [item_id], out)
    assert (report.items, report.captures) == (1, 1)
    return out


def test_a_deleted_telegram_post_still_shows_its_text_and_capture_time(
    deleted_post_bundle: Path,
) -> None:
    [item] = json.loads(read_member(deleted_post_bundle, bundle.ITEMS_PATH))["items"]
    [capture] = json.loads(read_member(deleted_post_bundle, bundle.CAPTURES_PATH))["captures"]
    assert item["external_id"] == "71008" and item["url"] == "https://t.me/topwar_official/71008"
    assert item["text"].startswith("Подземные тоннели для укрытия")
    assert item["deleted_at"] == format_time(DELETED_AT)
    assert [rev["text"] for rev in item["revisions"]] == [item["text"]]
    assert capture["fetched_at"] == format_time(CAPTURED_AT) and capture["url"] == PAGE_URL
    assert capture["sha256"] == hashlib.sha256(TOPWAR).hexdigest()
    pages = read_member(deleted_post_bundle, bundle.PAGES_PATH).decode().splitlines()
    assert json.loads(pages[1])["url"] == PAGE_URL and "71008" in json.loads(pages[1])["title"]
    cdxj = read_member(deleted_post_bundle, bundle.CDXJ_PATH).decode()
    assert cdxj.startswith("me,t)/s/topwar_official 20230228140000 ")


def test_the_reference_wacz_validator_accepts_the_bundle(deleted_post_bundle: Path) -> None:
    assert wacz_main(["validate", "-f", str(deleted_post_bundle)]) == 0
    with zipfile.ZipFile(deleted_post_bundle) as wacz:  # WARCs stored, so readers can seek
        assert wacz.getinfo(bundle.WARC_PATH).compress_type == zipfile.ZIP_STORED


def test_a_bundle_verifies_offline_on_a_fresh_directory(
    deleted_post_bundle: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere" / "copy.wacz"
    elsewhere.parent.mkdir()
    shutil.copy(deleted_post_bundle, elsewhere)
    shutil.rmtree(deleted_post_bundle.parent)  # the database stays, but nothing points at it
    report = verify_bundle(elsewhere)
    assert report.ok, [c for c in report.checks if not c.ok]
    names = {check.name for check in report.checks}
    assert {bundle.WARC_PATH, bundle.ITEMS_PATH, "capture log", "timestamps"} <= names
    assert any(name.startswith("capture ") and name != "capture log" for name in names)


@pytest.mark.parametrize(
    "member",
    [
        bundle.WARC_PATH,
        bundle.CDXJ_PATH,
        bundle.PAGES_PATH,
        bundle.ITEMS_PATH,
        bundle.CAPTURES_PATH,
        bundle.LOG_PATH,
        bundle.TOKENS_PATH,
        bundle.DATAPACKAGE,
        bundle.DIGEST,
    ],
)
def test_one_changed_byte_in_any_file_fails_verification_naming_it(
    deleted_post_bundle: Path, member: str
) -> None:
    rewrite(deleted_post_bundle, member, flip_one_byte)
    report = verify_bundle(deleted_post_bundle)
    assert not report.ok
    failed = [check.name for check in report.checks if not check.ok]
    expected = bundle.DIGEST if member == bundle.DATAPACKAGE else member
    assert expected in failed or (member == bundle.DIGEST and "datapackage.json" in failed)


def test_a_forger_who_rewrites_the_package_is_caught_by_the_chain(
    deleted_post_bundle: Path,
) -> None:
    def alter_log(data: bytes) -> bytes:
        entries = [json.loads(line) for line in data.splitlines()]
        entries[0]["fetched_at"] = "2023-02-27T00:00:00.000000Z"  # back-date the capture
        return b"".join(json.dumps(e).encode() + b"\n" for e in entries)

    rewrite(deleted_post_bundle, bundle.LOG_PATH, alter_log)
    repackage(deleted_post_bundle)
    report = verify_bundle(deleted_post_bundle)
    [failed] = [check for check in report.checks if not check.ok]
    assert failed.name == "capture log" and "does not hash" in failed.detail


def test_timestamp_tokens_travel_in_the_bundle_and_verify_offline(
    settings: Settings, tmp_path: Path, httpserver: HTTPServer
) -> None:
    local = make_tsa(tmp_path / "tsa")
    evidence = settings.evidence.model_copy(
        update={"tsa_url": serve_tsa(httpserver, local), "tsa_ca_file": local.ca_file}
    )
    with Workspace.open(settings.model_copy(update={"evidence": evidence})) as ws:
        item_id = ingest_deleted_telegram_post(ws)
        assert tsa.timestamp_log_head(ws) is not None
        out = tmp_path / "stamped.wacz"
        assert bundle.build_bundle(ws, [item_id], out).tokens == 1
    report = verify_bundle(out)
    [stamp] = [c for c in report.checks if c.name.startswith("timestamp 1")]
    assert stamp.ok and "CA from the bundle" in stamp.detail
    stranger = make_tsa(tmp_path / "stranger", name="Stranger").ca_file
    distrusted = verify_bundle(out, tsa_ca=stranger)
    assert not distrusted.ok
    assert [c.name for c in distrusted.checks if not c.ok] == [stamp.name]


def test_a_cite_manifest_bundles_the_captures_it_cites(
    workspace: Workspace, tmp_path: Path
) -> None:
    ingest_deleted_telegram_post(workspace)
    manifest = tmp_path / "draft.manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "manifest": 1,
                "report": "draft.docx",
                "footnotes": [
                    {"number": 3, "text": "t.me/s/topwar_official", "urls": [{"archive_id": 1}]}
                ],
            }
        )
    )
    out = tmp_path / "cited.wacz"
    report = bundle.build_bundle(workspace, [], out, manifest=manifest)
    assert report.captures == 1 and report.items == 12  # every post read from that page
    assert read_member(out, bundle.MANIFEST_PATH) == manifest.read_bytes()
    assert verify_bundle(out).ok


def test_unknown_items_and_empty_requests_are_clear_errors(
    workspace: Workspace, tmp_path: Path
) -> None:
    with pytest.raises(EvidenceError, match="item 999 does not exist"):
        bundle.build_bundle(workspace, [999], tmp_path / "x.wacz")
    with pytest.raises(EvidenceError, match="at least one item"):
        bundle.build_bundle(workspace, [], tmp_path / "x.wacz")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    with pytest.raises(EvidenceError, match="not a sourcewatch cite manifest"):
        bundle.build_bundle(workspace, [], tmp_path / "x.wacz", manifest=bad)
    assert not (tmp_path / "x.wacz").exists()


def test_a_file_that_is_not_a_bundle_fails_cleanly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wacz"
    junk.write_bytes(b"PK\x03\x04 truncated")
    report = verify_bundle(junk)
    assert not report.ok and "not a readable WACZ" in report.checks[0].detail


def test_an_imported_capture_without_http_is_bundled_as_a_resource_record(
    workspace: Workspace, tmp_path: Path
) -> None:
    export = RawCapture(url="https://t.me/s/topwar_official", body=TOPWAR, media_type="text/html")
    post = ParsedItem(external_id="71008", text="imported", capture_sha256s=[export.sha256])
    source = SourceConfig(name="topwar", kind="telegram", target="topwar_official")
    ingest(workspace, source, PollResult([export], [post]))
    out = tmp_path / "imported.wacz"
    bundle.build_bundle(workspace, [1], out)
    assert verify_bundle(out).ok
    assert wacz_main(["validate", "-f", str(out)]) == 0
    cdxj = read_member(out, bundle.CDXJ_PATH).decode()
    assert '"mime": "text/html"' in cdxj and '"status"' not in cdxj


def test_a_photo_post_bundles_the_photo_bytes_under_the_reference_index_keys(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Every record's key is what the reference indexer (cdxj-indexer, pywb's) computes
    for its URL, so replay finds the page and its photo; the photo's bytes are inside."""
    import io

    from cdxj_indexer.main import CDXJIndexer
    from warcio.archiveiterator import ArchiveIterator

    photo = b"\xff\xd8\xff\xe0 claim photo jpeg bytes"
    page = RawCapture(
        url="https://t.me/s/topwar_official?before=71010&after=70990",  # unsorted query
        body=TOPWAR,
        status=200,
        fetched_at=CAPTURED_AT,
        headers={"content-type": "text/html; charset=utf-8"},
        media_type="text/html",
    )
    image = RawCapture(
        url="https://cdn4.telegram-cdn.org/file/Claim.jpg?token=Zz&a=1",
        body=photo,
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
    ingest(workspace, source, PollResult([page, image], [post]), now=CAPTURED_AT)
    out = tmp_path / "photo.wacz"
    bundle.build_bundle(workspace, [1], out)
    assert verify_bundle(out).ok
    warc = read_member(out, bundle.WARC_PATH)
    payloads = [
        record.content_stream().read()
        for record in ArchiveIterator(io.BytesIO(warc))
        if record.rec_type in ("response", "resource")
    ]
    assert photo in payloads and TOPWAR in payloads
    (tmp_path / "data.warc.gz").write_bytes(warc)
    reference = io.StringIO()
    CDXJIndexer(output=reference, inputs=[str(tmp_path / "data.warc.gz")]).process_all()
    ours = read_member(out, bundle.CDXJ_PATH).decode()

    def keys(index: str) -> set[tuple[str, str]]:
        lines = [line.split(" ", 2) for line in index.splitlines() if line.strip()]
        return {(key, ts) for key, ts, _ in lines if key != "-"}  # "-": the warcinfo record

    assert keys(ours) == keys(reference.getvalue())
    assert ("me,t)/s/topwar_official?after=70990&before=71010", "20230228140000") in keys(ours)


def test_a_bundle_of_an_imported_file_names_no_local_path(
    workspace: Workspace, tmp_path: Path
) -> None:
    from sourcewatch.ingest.imports import import_file

    saved = tmp_path / "home" / "analyst" / "Desktop" / "topwar.html"
    saved.parent.mkdir(parents=True)
    saved.write_bytes(TOPWAR)
    source = SourceConfig(name="topwar", kind="telegram", target="topwar_official")
    import_file(workspace, saved, source, "telegram-html")
    out = tmp_path / "imported.wacz"
    bundle.build_bundle(workspace, [1], out)
    assert verify_bundle(out).ok
    with zipfile.ZipFile(out) as wacz:
        for name in wacz.namelist():
            data = wacz.read(name)
            if name.endswith(".gz"):
                import gzip

                data = gzip.decompress(data)
            assert b"file:" not in data and b"/home/analyst" not in data, name
