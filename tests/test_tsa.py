"""RFC 3161 timestamps from a real (local, OpenSSL) TSA: requested, stored, verified."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer

from evidence_support import ingest_deleted_telegram_post, make_tsa, serve_tsa
from sourcewatch.config import Settings, load_settings
from sourcewatch.configsource import ConfigError
from sourcewatch.daemon import maintenance
from sourcewatch.evidence import bundle, tsa
from sourcewatch.evidence.verify import verify_bundle
from sourcewatch.records import utcnow
from sourcewatch.store.tables import CAPTURE_LOG, TIMESTAMP_TOKEN
from sourcewatch.workspace import Workspace

DIGEST = hashlib.sha256(b"the capture-log head").hexdigest()


def tsa_workspace(settings: Settings, url: str, ca_file: Path) -> Workspace:
    configured = settings.model_copy(
        update={
            "evidence": settings.evidence.model_copy(
                update={"tsa_url": url, "tsa_ca_file": ca_file}
            )
        }
    )
    return Workspace.open(configured)


def test_a_token_from_the_tsa_verifies_against_its_ca_and_only_for_its_digest(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    local = make_tsa(tmp_path / "tsa")
    url = serve_tsa(httpserver, local)
    before = utcnow().replace(microsecond=0)
    token, when = tsa.request_token(url, DIGEST, local.ca_file, timeout=10, user_agent="test")
    assert before <= when <= utcnow()
    assert tsa.verify_token(token, DIGEST, local.ca_file).ok
    other = hashlib.sha256(b"something else").hexdigest()
    assert not tsa.verify_token(token, other, local.ca_file).ok
    stranger = make_tsa(tmp_path / "stranger", name="Other TSA")
    refused = tsa.verify_token(token, DIGEST, stranger.ca_file)
    assert not refused.ok and "does not verify" in refused.message


def test_a_tsa_outside_the_configured_chain_is_refused_before_storing(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    url = serve_tsa(httpserver, make_tsa(tmp_path / "tsa"))
    other_ca = make_tsa(tmp_path / "other", name="Other").ca_file
    with pytest.raises(tsa.TimestampError, match="does not verify"):
        tsa.request_token(url, DIGEST, other_ca, timeout=10, user_agent="test")


def test_garbage_from_the_tsa_is_a_clear_error(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/tsr", method="POST").respond_with_data(b"<html>nope</html>")
    ca = make_tsa(tmp_path / "tsa").ca_file
    with pytest.raises(tsa.TimestampError, match="reply"):
        tsa.request_token(httpserver.url_for("/tsr"), DIGEST, ca, timeout=10, user_agent="t")


def test_the_daily_job_stamps_the_log_head_once(
    settings: Settings, tmp_path: Path, httpserver: HTTPServer
) -> None:
    local = make_tsa(tmp_path / "tsa")
    with tsa_workspace(settings, serve_tsa(httpserver, local), local.ca_file) as ws:
        ingest_deleted_telegram_post(ws)
        stamped = tsa.timestamp_log_head(ws)
        assert stamped is not None
        with ws.engine.connect() as conn:
            head = conn.execute(
                sa.select(CAPTURE_LOG).order_by(CAPTURE_LOG.c.seq.desc()).limit(1)
            ).one()
            [row] = conn.execute(sa.select(TIMESTAMP_TOKEN)).all()
        assert (row.subject, row.ref, row.digest) == (
            "capture-log-head",
            str(head.seq),
            head.entry_hash,
        )
        assert tsa.verify_token(row.token, head.entry_hash, local.ca_file).ok
        assert tsa.timestamp_log_head(ws) is None  # the head has not moved: nothing to stamp


def test_nothing_is_sent_unless_a_tsa_is_configured(
    workspace: Workspace, httpserver: HTTPServer
) -> None:
    ingest_deleted_telegram_post(workspace)
    assert tsa.timestamp_log_head(workspace) is None
    assert tsa.timestamp_manifest(workspace, b"{}", "draft.json") is None
    assert httpserver.log == []


def test_a_tsa_url_without_a_ca_to_verify_it_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tsa_ca_file"):
        load_settings(data_dir=tmp_path, evidence={"tsa_url": "https://tsa.example/tsr"})


def test_a_stamped_cite_manifest_carries_its_token_into_the_bundle(
    settings: Settings, tmp_path: Path, httpserver: HTTPServer
) -> None:
    local = make_tsa(tmp_path / "tsa")
    manifest = tmp_path / "draft.manifest.json"
    manifest.write_text(
        '{"manifest": 1, "footnotes": [{"number": 1, "urls": [{"archive_id": 1}]}]}'
    )
    with tsa_workspace(settings, serve_tsa(httpserver, local), local.ca_file) as ws:
        ingest_deleted_telegram_post(ws)
        token = tsa.timestamp_manifest(ws, manifest.read_bytes(), manifest.name)
        assert token is not None and token.subject == "cite-manifest"
        out = tmp_path / "cited.wacz"
        assert bundle.build_bundle(ws, [], out, manifest=manifest).tokens == 1
    report = verify_bundle(out, tsa_ca=local.ca_file)
    assert report.ok
    [stamp] = [c for c in report.checks if c.name.startswith("timestamp")]
    assert "cite-manifest draft.manifest.json" in stamp.name


def test_the_daemon_job_logs_a_tsa_failure_and_carries_on(
    settings: Settings, tmp_path: Path, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request("/tsr", method="POST").respond_with_data(b"", status=503)
    ca = make_tsa(tmp_path / "tsa").ca_file
    with tsa_workspace(settings, httpserver.url_for("/tsr"), ca) as ws:
        assert maintenance.timestamp_log_head(ws) is None  # empty log: nothing to stamp
        ingest_deleted_telegram_post(ws)
        assert maintenance.timestamp_log_head(ws) is False
    assert "capture-log head not timestamped" in caplog.text


def test_cite_timestamps_the_manifest_it_writes(
    settings: Settings, tmp_path: Path, httpserver: HTTPServer
) -> None:
    from typer.testing import CliRunner

    from sourcewatch.cli import app

    local = make_tsa(tmp_path / "tsa")
    url = serve_tsa(httpserver, local)
    report = tmp_path / "draft.md"
    report.write_text("Text.[1]\n\n[1] Author's database of SIGACTs.\n")
    out = tmp_path / "draft.manifest.json"
    env = {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_EVIDENCE__TSA_URL": url,
        "SOURCEWATCH_EVIDENCE__TSA_CA_FILE": str(local.ca_file),
    }
    result = CliRunner().invoke(app, ["cite", str(report), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "timestamped" in result.output
    with Workspace.open(settings) as ws, ws.engine.connect() as conn:
        token = conn.execute(sa.select(TIMESTAMP_TOKEN)).one()
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert tsa.verify_token(token.token, digest, local.ca_file).ok
