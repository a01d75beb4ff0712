"""Where translations show: `translate`, `show --translate`, `export` (CSV and JSON
Lines) and alert messages, always with the original; the commands' exit codes."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from alerts_support import WATCHLISTS, poll, received, run_delivery, webhook_alert
from sourcewatch.cli import app
from sourcewatch.config import Settings
from sourcewatch.records import utcnow
from sourcewatch.store.tables import ITEM
from sourcewatch.translate.service import translate_now
from sourcewatch.workspace import Workspace
from translate_support import AR_TEXT, AR_TITLE, DEEPL_KEY, RU_TEXT, FakeLibreTranslate
from triage_support import Post, channel, ingest_posts, with_test_watchlists

runner = CliRunner()
WAGNER_AR = "فاغنر " + AR_TEXT


def env_for(settings: Settings, lt_url: str | None) -> dict[str, str]:
    env = {
        "SOURCEWATCH_DATA_DIR": str(settings.data_dir),
        "SOURCEWATCH_DATABASE_URL": settings.resolved_database_url,
        "SOURCEWATCH_WATCHLISTS_DIR": str(settings.watchlists_dir),
        "SOURCEWATCH_ANALYST": "amira",
        "COLUMNS": "160",
    }
    if lt_url:
        env["SOURCEWATCH_TRANSLATE__ENGINES"] = '["libretranslate"]'
        env["SOURCEWATCH_TRANSLATE__LIBRETRANSLATE__URL"] = lt_url
    return env


@pytest.fixture
def item(settings: Settings) -> int:
    with Workspace.open(with_test_watchlists(settings)) as ws:
        source = channel("sahel_ar", areas=("mali",), language="ar")
        return ingest_posts(ws, source, [Post("1", WAGNER_AR, title=AR_TITLE)])["1"]


def test_translate_prints_the_original_and_the_translation(
    settings: Settings, httpserver: HTTPServer, item: int
) -> None:
    lt = FakeLibreTranslate(httpserver)
    env = env_for(with_test_watchlists(settings), lt.url)
    shown = runner.invoke(app, ["translate", str(item)], env=env)
    again = runner.invoke(app, ["translate", str(item), "--json"], env=env)
    assert shown.exit_code == 0, shown.output
    assert WAGNER_AR in shown.output  # the original, always
    assert f"[en] {WAGNER_AR}" in shown.output
    assert "machine translation (libretranslate" in shown.output
    [row] = [json.loads(line) for line in again.output.splitlines()]
    assert row["status"] == "already translated"
    assert row["translation"]["target_language"] == "en"
    assert len(lt.requests) == 1


def test_translate_exit_codes(settings: Settings, httpserver: HTTPServer, item: int) -> None:
    base = with_test_watchlists(settings)
    unconfigured = runner.invoke(app, ["translate", str(item)], env=env_for(base, None))
    assert unconfigured.exit_code == 2
    assert "no translation engine is configured" in unconfigured.output
    lt = FakeLibreTranslate(httpserver)
    lt.fail_next(500, "Cannot translate text: out of memory")
    failed = runner.invoke(app, ["translate", str(item)], env=env_for(base, lt.url))
    assert failed.exit_code == 1 and "out of memory" in failed.output
    not_opted_in = runner.invoke(
        app,
        ["translate", str(item), "--engine", "deepl"],
        env={**env_for(base, lt.url), "DEEPL_AUTH_KEY": DEEPL_KEY},
    )
    assert not_opted_in.exit_code == 2 and "not configured" in not_opted_in.output
    deepl_only = {
        **env_for(base, None),
        "SOURCEWATCH_TRANSLATE__ENGINES": '["deepl"]',
        "SOURCEWATCH_TRANSLATE__DEEPL__URL": lt.url,  # nothing may reach it anyway
        "DEEPL_AUTH_KEY": DEEPL_KEY,
    }
    unseen = runner.invoke(app, ["translate", str(item)], env=deepl_only)
    assert unseen.exit_code == 1 and "no configured engine may see it" in unseen.output
    assert len(lt.requests) == 1  # only the failed libretranslate request above


def test_show_translate_puts_the_translation_under_the_original(
    settings: Settings, httpserver: HTTPServer, item: int
) -> None:
    lt = FakeLibreTranslate(httpserver)
    base = with_test_watchlists(settings)
    text = runner.invoke(app, ["show", str(item), "--translate"], env=env_for(base, lt.url))
    as_json = runner.invoke(
        app, ["show", str(item), "--translate", "--json"], env=env_for(base, None)
    )
    assert text.exit_code == 0, text.output
    assert text.output.index(WAGNER_AR) < text.output.index("machine translation")
    detail = json.loads(as_json.output)
    assert detail["text"] == WAGNER_AR  # stored translation shown with no engine configured
    assert detail["translation"]["text"] == f"[en] {WAGNER_AR}"
    assert len(lt.requests) == 1


def test_show_translate_still_shows_the_original_when_the_engine_is_down(
    settings: Settings, httpserver: HTTPServer, item: int
) -> None:
    lt = FakeLibreTranslate(httpserver)
    lt.fail_next(503, "restarting")
    base = with_test_watchlists(settings)
    result = runner.invoke(app, ["show", str(item), "--translate"], env=env_for(base, lt.url))
    assert result.exit_code == 0
    assert WAGNER_AR in result.output and "not translated" in result.output


def test_export_rows_carry_the_translation_beside_the_text(
    settings: Settings, httpserver: HTTPServer, item: int
) -> None:
    lt = FakeLibreTranslate(httpserver)
    base = with_test_watchlists(settings)
    env = env_for(base, lt.url)
    assert runner.invoke(app, ["mark", str(item), "--status", "relevant"], env=env).exit_code == 0
    assert runner.invoke(app, ["translate", str(item)], env=env).exit_code == 0
    jsonl = runner.invoke(app, ["export", "--format", "jsonl"], env=env)
    table = runner.invoke(app, ["export", "--format", "csv"], env=env)
    [row] = [json.loads(line) for line in jsonl.output.splitlines()]
    assert row["text"] == WAGNER_AR
    assert row["translation"] == f"Statement\n[en] {WAGNER_AR}"
    assert row["translation_language"] == "ar -> en"
    assert row["translation_engine"] == f"libretranslate ({lt.url})"
    [record] = list(csv.DictReader(io.StringIO(table.output)))
    assert record["text"] == WAGNER_AR and record["translation"] == row["translation"]


def test_an_alert_carries_the_translation_under_the_original(
    settings: Settings, httpserver: HTTPServer
) -> None:
    lt = FakeLibreTranslate(httpserver)
    httpserver.expect_request("/hooks/webhook").respond_with_data("ok")
    base = settings.model_copy(update={"alerts": [webhook_alert(httpserver)]})
    config = base.model_copy(
        update={
            "watchlists_dir": WATCHLISTS,
            "translate": base.translate.model_copy(
                update={
                    "engines": ["libretranslate"],
                    "libretranslate": base.translate.libretranslate.model_copy(
                        update={"url": lt.url}
                    ),
                }
            ),
        }
    )
    with Workspace.open(config) as ws:
        poll(ws, "page-1", ("55", RU_TEXT))
        with ws.engine.connect() as conn:
            item_id = conn.execute(sa.select(ITEM.c.id)).scalar_one()
        [outcome] = translate_now(config, ws.engine, [item_id])
        assert outcome.status == "translated", outcome.error
        run_delivery(ws, utcnow() + timedelta(seconds=1))
    [message] = received(httpserver)
    body = message["message"]
    original = body.index("Бойцы ЧВК")
    translation = body.index("Machine translation (libretranslate, ru to en):")
    assert original < translation
    assert "Wagner PMC fighters have left Gao" in body[translation:]


def test_the_triage_key_t_translates_under_the_original(
    settings: Settings, httpserver: HTTPServer, item: int
) -> None:
    lt = FakeLibreTranslate(httpserver)
    env = env_for(with_test_watchlists(settings), lt.url)
    result = runner.invoke(app, ["triage"], env=env, input="t\nr\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index(WAGNER_AR) < out.index("machine translation (libretranslate")
    assert f"[en] {WAGNER_AR}" in out
    assert f"{item}: relevant" in out  # the loop goes on after the translation
    assert len(lt.requests) == 1


def test_translate_languages_asks_the_engine(settings: Settings, httpserver: HTTPServer) -> None:
    lt = FakeLibreTranslate(httpserver)
    env = env_for(with_test_watchlists(settings), lt.url)
    listed = runner.invoke(app, ["translate", "--languages", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert rows[0]["engine"] == "libretranslate" and rows[0]["code"] == "ar"
    assert "en" in rows[0]["targets"]
    assert lt.requests == []  # no text was sent
    nothing = runner.invoke(app, ["translate"], env=env)
    assert nothing.exit_code == 2
    with socket.socket() as sock:  # a port nobody listens on: the server is down
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    down = runner.invoke(app, ["translate", "--languages"], env=env_for(settings, dead))
    assert down.exit_code == 1 and "libretranslate" in down.output
