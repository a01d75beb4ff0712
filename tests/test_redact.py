"""Configured secrets never leave the process: not in a stored error, a log record or
CLI output (issue 19: a server echoing the X bearer token leaked it into last_error)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from pytest_httpserver import HTTPServer

from sourcewatch.cli.common import fail, print_json
from sourcewatch.collectors.base import CollectorError
from sourcewatch.net import Http
from sourcewatch.polling.pipeline import poll_source
from sourcewatch.sources.config import SourceConfig
from sourcewatch.store.tables import SOURCE as SOURCE_TABLE
from sourcewatch.text.redact import MASK, redact, register
from sourcewatch.workspace import Workspace
from x_fake_api import TOKEN, FakeX, make_settings

SOURCE = SourceConfig(name="xdevelopers", kind="x", target="@XDevelopers")


@pytest.fixture
def ws(httpserver: HTTPServer, database_url: str, tmp_path: Path) -> Iterator[Workspace]:
    fake = FakeX(httpserver).install()
    # A misbehaving server (or proxy, or mirror) quotes the request's Authorization.
    echo = json.dumps({"detail": f"Forbidden for 'Authorization: Bearer {TOKEN}'"})
    fake.fail_next(403, echo)
    settings = make_settings(fake).model_copy(
        update={"data_dir": tmp_path / "data", "database_url": database_url}
    )
    workspace = Workspace.open(settings)
    try:
        yield workspace
    finally:
        workspace.close()


def test_an_echoed_bearer_token_is_redacted_before_it_is_stored_or_logged(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    async def run() -> None:
        async with Http(ws.settings.net) as http:
            await poll_source(ws, SOURCE, http)

    caplog.set_level(logging.DEBUG)
    with pytest.raises(CollectorError) as failure:
        asyncio.run(run())
    assert TOKEN in str(failure.value)  # the exception itself is the server's text...
    with ws.engine.connect() as conn:
        stored = conn.execute(sa.select(SOURCE_TABLE.c.last_error)).scalar()
    assert stored and "HTTP 403" in stored  # ...what is stored is not
    assert TOKEN not in stored and MASK in stored
    try:
        raise failure.value
    except CollectorError:
        logging.getLogger("sourcewatch.test").exception("poll failed: %s", failure.value)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in (record.exc_text or "")
    assert any(MASK in r.getMessage() for r in caplog.records)


def test_cli_output_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    register(["s3cr3t-value/with+chars"])
    print_json({"error": "proxy said s3cr3t-value/with+chars and s3cr3t-value%2Fwith%2Bchars"})
    with pytest.raises(typer.Exit):
        fail("upstream: s3cr3t-value/with+chars")
    out, err = capsys.readouterr()
    assert "s3cr3t" not in out and "s3cr3t" not in err
    assert out.count(MASK) == 2 and MASK in err


def test_short_values_are_not_treated_as_secrets() -> None:
    register(["abc", ""])
    assert redact("abc def") == "abc def"
