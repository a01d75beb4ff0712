"""A real local Time-Stamp Authority (OpenSSL ``ts -reply`` with a throwaway test CA) served
over pytest-httpserver, and a deleted Telegram post ingested from a recorded page."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from sourcewatch.collectors.telegram.webpage import parse_page
from sourcewatch.ingest.writer import ingest
from sourcewatch.records import ParsedItem, PollResult, RawCapture
from sourcewatch.sources.config import SourceConfig
from sourcewatch.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOPWAR = (FIXTURES / "any2feed_topwar_official_channel_page.html").read_bytes()
TOPWAR_SOURCE = SourceConfig(name="topwar", kind="telegram", target="topwar_official")
PAGE_URL = "https://t.me/s/topwar_official"
CAPTURED_AT = datetime(2023, 2, 28, 14, 0, tzinfo=UTC)
DELETED_AT = datetime(2023, 3, 1, 12, 0, tzinfo=UTC)
DELETED_POST = "71008"

_TS_CONFIG = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["openssl", *args], cwd=cwd, input=data, capture_output=True, check=True
    ).stdout


@dataclass(frozen=True)
class LocalTsa:
    directory: Path
    ca_file: Path

    def reply(self, query: bytes) -> bytes:
        query_file = self.directory / "query.tsq"
        query_file.write_bytes(query)
        return _openssl(
            "ts", "-reply", "-config", "ts.cnf", "-queryfile", "query.tsq", cwd=self.directory
        )


def make_tsa(directory: Path, name: str = "Test TSA") -> LocalTsa:
    """A CA and a TSA certificate (EKU timeStamping, critical) signed by it."""
    directory.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
        "-subj", f"/CN={name} Root",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "req", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name}", cwd=directory
    )
    (directory / "ext.cnf").write_text(
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=critical,timeStamping\n"
    )
    _openssl(
        "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "tsa.pem", "-days", "30", "-extfile", "ext.cnf",
        cwd=directory,
    )  # fmt: skip
    (directory / "tsaserial").write_text("01\n")
    (directory / "ts.cnf").write_text(_TS_CONFIG.format(dir=directory))
    return LocalTsa(directory, directory / "ca.pem")


def serve_tsa(httpserver: HTTPServer, tsa: LocalTsa, path: str = "/tsr") -> str:
    def handle(request: Request) -> Response:
        assert request.headers["Content-Type"] == "application/timestamp-query"
        return Response(tsa.reply(request.get_data()), content_type="application/timestamp-reply")

    httpserver.expect_request(path, method="POST").respond_with_handler(handle)
    return httpserver.url_for(path)


def ingest_deleted_telegram_post(ws: Workspace) -> int:
    """Ingest the recorded t.me/s/topwar_official page, then the post's deletion.
    Returns the deleted post's item id."""
    page = parse_page(TOPWAR)
    capture = RawCapture(
        url=PAGE_URL,
        body=TOPWAR,
        status=200,
        fetched_at=CAPTURED_AT,
        headers={"content-type": "text/html; charset=utf-8"},
        media_type="text/html",
    )
    items = [post.item for post in page.posts]
    for item in items:
        item.capture_sha256s = [capture.sha256]
    ingest(ws, TOPWAR_SOURCE, PollResult([capture], items), now=CAPTURED_AT)
    tombstone = ParsedItem(external_id=DELETED_POST, deleted=True)
    ingest(ws, TOPWAR_SOURCE, PollResult([], [tombstone]), now=DELETED_AT)
    from sourcewatch.store.tables import ITEM

    with ws.engine.connect() as conn:
        return conn.execute(
            ITEM.select().with_only_columns(ITEM.c.id).where(ITEM.c.external_id == DELETED_POST)
        ).scalar_one()
