"""RFC 3161 trusted timestamps, opt-in: nothing is sent anywhere unless ``[evidence] tsa_url``
is set.

What is stamped is a SHA-256 digest: the capture-log head's ``entry_hash`` (daily, by
the daemon: every capture up to that entry existed by the TSA's time) or the SHA-256
of a `cite` manifest. Tokens are stored in ``timestamp_token`` and verified against the
TSA's certificate chain (``[evidence] tsa_ca_file``) before they are kept.

The ASN.1 work (query, reply, CMS signature and chain checks) is done by the
``openssl ts`` command (OpenSSL >= 1.1; Debian's ca-certificates already depends on it)
rather than hand-written DER parsing. The TSA request is one POST to the configured
URL through the standard library, capped in size and time: the shared ``net.Http``
client only does GETs, and the TSA is a trusted, configured endpoint, not a source.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from sourcewatch.errors import SourcewatchError
from sourcewatch.evidence.gather import HEAD_SUBJECT, MANIFEST_SUBJECT
from sourcewatch.records import sha256_hex, utcnow
from sourcewatch.store.tables import CAPTURE_LOG, TIMESTAMP_TOKEN
from sourcewatch.workspace import Workspace

_MAX_REPLY_BYTES = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TIME = re.compile(r"^Time stamp: (.+)$", re.MULTILINE)
_STATUS = re.compile(r"^Status: (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class TimestampToken:
    """A stored ``timestamp_token`` row: an RFC 3161 token over ``digest``."""

    id: int
    subject: str
    ref: str
    digest: str
    token: bytes  # DER TimeStampToken (CMS SignedData)
    tsa_url: str
    gen_time: datetime
    created_at: datetime


class TimestampError(SourcewatchError):
    """A TSA could not be reached, refused, or sent a token that does not verify."""


@dataclass(frozen=True)
class TokenCheck:
    ok: bool
    message: str
    gen_time: datetime | None = None


def _openssl(args: list[str], *, what: str) -> str:
    try:
        done = subprocess.run(
            ["openssl", "ts", *args], capture_output=True, text=True, timeout=60, check=False
        )
    except FileNotFoundError:
        raise TimestampError("the `openssl` command is needed for RFC 3161 timestamps") from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise TimestampError(f"{what}: {detail[-1] if detail else 'openssl ts failed'}")
    return done.stdout


def _check_digest(digest: str) -> None:
    if not _HEX64.match(digest):
        raise ValueError(f"not a SHA-256 hex digest: {digest!r}")


def request_token(
    tsa_url: str, digest: str, ca_file: Path, *, timeout: float, user_agent: str
) -> tuple[bytes, datetime]:
    """Ask the TSA to stamp ``digest``; return the verified DER token and its time."""
    _check_digest(digest)
    with tempfile.TemporaryDirectory(prefix="sourcewatch-tsa-") as tmp:
        query, reply, token = (Path(tmp) / name for name in ("q.tsq", "r.tsr", "t.der"))
        _openssl(
            ["-query", "-digest", digest, "-sha256", "-cert", "-out", str(query)],
            what="building the timestamp query",
        )
        request = urllib.request.Request(
            tsa_url,
            data=query.read_bytes(),
            method="POST",
            headers={"Content-Type": "application/timestamp-query", "User-Agent": user_agent},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(_MAX_REPLY_BYTES + 1)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TimestampError(f"TSA {tsa_url}: {getattr(exc, 'reason', exc)}") from None
        if len(body) > _MAX_REPLY_BYTES:
            raise TimestampError(f"TSA {tsa_url}: reply larger than {_MAX_REPLY_BYTES} bytes")
        reply.write_bytes(body)
        text = _openssl(["-reply", "-in", str(reply), "-text"], what=f"TSA {tsa_url} reply")
        status = _STATUS.search(text)
        if status is None or not status.group(1).startswith("Granted"):
            found = status.group(1) if status else "no status"
            raise TimestampError(f"TSA {tsa_url} did not grant the timestamp: {found}")
        # The nonce and the imprint must answer *our* query, and the signature must chain
        # to the configured CA; a token that fails either is never stored.
        _openssl(
            ["-verify", "-in", str(reply), "-queryfile", str(query), "-CAfile", str(ca_file)],
            what=f"TSA {tsa_url} reply does not verify",
        )
        _openssl(
            ["-reply", "-in", str(reply), "-token_out", "-out", str(token)],
            what="extracting the token",
        )
        der = token.read_bytes()
    return der, token_time(der)


def token_time(token: bytes) -> datetime:
    with tempfile.NamedTemporaryFile(suffix=".der") as fh:
        fh.write(token)
        fh.flush()
        text = _openssl(["-reply", "-in", fh.name, "-token_in", "-text"], what="reading a token")
    found = _TIME.search(text)
    if found is None:
        raise TimestampError("the token has no time")
    return _parse_openssl_time(found.group(1))


def _parse_openssl_time(value: str) -> datetime:
    # "Nov 27 00:01:02 2026 GMT" or with fractional seconds "Nov 27 00:01:02.5 2026 GMT"
    value = re.sub(r"\.\d+", "", value.strip())
    return datetime.strptime(value, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)


def verify_token(token: bytes, digest: str, ca_file: Path) -> TokenCheck:
    """Offline: does ``token`` stamp ``digest`` under a certificate chaining to ``ca_file``?"""
    if not _HEX64.match(digest):
        return TokenCheck(False, f"not a SHA-256 hex digest: {digest!r}")
    with tempfile.NamedTemporaryFile(suffix=".der") as fh:
        fh.write(token)
        fh.flush()
        try:
            _openssl(
                [
                    "-verify",
                    "-digest",
                    digest,
                    "-in",
                    fh.name,
                    "-token_in",
                    "-CAfile",
                    str(ca_file),
                ],
                what="token does not verify",
            )
            when = token_time(token)
        except TimestampError as exc:
            return TokenCheck(False, str(exc))
    return TokenCheck(True, f"stamped {when.isoformat()} by a TSA chaining to {ca_file.name}", when)


# --- stored tokens ---------------------------------------------------------------------


def timestamp_digest(ws: Workspace, subject: str, ref: str, digest: str) -> TimestampToken:
    """Stamp ``digest`` with the configured TSA and store the token."""
    evidence = ws.settings.evidence
    if evidence.tsa_url is None or evidence.tsa_ca_file is None:
        raise TimestampError("no TSA configured: set [evidence] tsa_url and tsa_ca_file")
    token, gen_time = request_token(
        evidence.tsa_url,
        digest,
        evidence.tsa_ca_file,
        timeout=evidence.tsa_timeout_seconds,
        user_agent=ws.settings.net.user_agent,
    )
    tsa_url, created_at = evidence.tsa_url, utcnow()
    row = {
        "subject": subject,
        "ref": ref,
        "digest": digest,
        "token": token,
        "tsa_url": tsa_url,
        "gen_time": gen_time,
        "created_at": created_at,
    }
    with ws.engine.begin() as conn:
        token_id: int = conn.execute(
            sa.insert(TIMESTAMP_TOKEN).returning(TIMESTAMP_TOKEN.c.id), row
        ).scalar_one()
    return TimestampToken(token_id, subject, ref, digest, token, tsa_url, gen_time, created_at)


def timestamp_log_head(ws: Workspace) -> TimestampToken | None:
    """The daemon's daily job: stamp the capture-log head, unless it already is (or no
    TSA is configured, or the log is empty: then None)."""
    if ws.settings.evidence.tsa_url is None:
        return None
    with ws.engine.connect() as conn:
        head = conn.execute(
            sa.select(CAPTURE_LOG.c.seq, CAPTURE_LOG.c.entry_hash)
            .order_by(CAPTURE_LOG.c.seq.desc())
            .limit(1)
        ).first()
        if head is None:
            return None
        done = conn.execute(
            sa.select(TIMESTAMP_TOKEN.c.id).where(
                TIMESTAMP_TOKEN.c.subject == HEAD_SUBJECT,
                TIMESTAMP_TOKEN.c.digest == head.entry_hash,
            )
        ).first()
    if done is not None:
        return None
    return timestamp_digest(ws, HEAD_SUBJECT, str(head.seq), head.entry_hash)


def timestamp_manifest(ws: Workspace, manifest: bytes, name: str) -> TimestampToken | None:
    """Stamp a `cite` manifest as written (for the citations module to call); None when
    no TSA is configured."""
    if ws.settings.evidence.tsa_url is None:
        return None
    return timestamp_digest(ws, MANIFEST_SUBJECT, name, sha256_hex(manifest))
