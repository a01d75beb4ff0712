"""Each engine against a loopback server that speaks its API: requests as the service
expects them, answers read back, and every failure (refusals, rate limits, outages, a
server that never answers) classified and reported without the key."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest
from pytest_httpserver import HTTPServer

from sourcewatch.config import NetSettings, TranslateSettings
from sourcewatch.translate.deepl import DeepL
from sourcewatch.translate.engine import Engine, TranslateError
from sourcewatch.translate.http import service_http
from sourcewatch.translate.libretranslate import LibreTranslate
from sourcewatch.translate.registry import ENGINES, build_engine
from translate_support import (
    AR_TEXT,
    AR_TITLE,
    DEEPL_KEY,
    FR_TEXT,
    RU_TEXT,
    FakeDeepL,
    FakeLibreTranslate,
)

T = TypeVar("T")


def run(coroutine: Awaitable[T]) -> T:
    async def go() -> T:
        return await coroutine

    return asyncio.run(go())


def libre(url: str, **options: Any) -> TranslateSettings:
    own = {
        "url": url,
        **{k: v for k, v in options.items() if k in ("api_key", "model", "max_texts_per_request")},
    }
    rest = {k: v for k, v in options.items() if k not in own}
    return TranslateSettings(engines=["libretranslate"], libretranslate=own, **rest)


def deepl(url: str, **options: Any) -> TranslateSettings:
    return TranslateSettings(engines=["deepl"], deepl={"url": url, **options})


async def with_engine(settings: TranslateSettings, name: str, work: Any) -> Any:
    async with service_http(NetSettings(), settings) as http:
        return await work(build_engine(name, settings, http))


# --- LibreTranslate ---------------------------------------------------------------------


def test_libretranslate_sends_a_list_and_reads_one_translation_per_text(
    httpserver: HTTPServer,
) -> None:
    server = FakeLibreTranslate(httpserver)

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TITLE, AR_TEXT], "ar", "en")

    result = run(with_engine(libre(server.url), "libretranslate", work))
    assert [t.text for t in result] == [
        "Statement",
        "JNIM claimed responsibility for the attack near Boni",
    ]
    assert {t.source_language for t in result} == {"ar"}
    assert result[0].model == server.url  # the API says nothing of its models
    assert server.requests == [
        {"q": [AR_TITLE, AR_TEXT], "source": "ar", "target": "en", "format": "text"}
    ]


def test_libretranslate_auto_detects_when_the_language_is_unknown(httpserver: HTTPServer) -> None:
    server = FakeLibreTranslate(httpserver)

    async def work(engine: Engine) -> Any:
        return await engine.translate([RU_TEXT, FR_TEXT], None, "en")

    result = run(with_engine(libre(server.url, model="LT 1.6 argos"), "libretranslate", work))
    assert server.requests[0]["source"] == "auto"
    assert [t.source_language for t in result] == ["ru", "fr"]
    assert result[1].text == "JNIM claimed the attack near Boni on Sunday."
    assert result[0].model == "LT 1.6 argos"


def test_libretranslate_sends_the_api_key_in_the_body_and_a_wrong_one_is_refused(
    httpserver: HTTPServer,
) -> None:
    server = FakeLibreTranslate(httpserver, api_key="lt-key-0123456789")

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    assert run(with_engine(libre(server.url, api_key="lt-key-0123456789"), "libretranslate", work))
    assert server.requests[0]["api_key"] == "lt-key-0123456789"
    with pytest.raises(TranslateError) as refused:
        run(with_engine(libre(server.url, api_key="lt-key-wrong-value"), "libretranslate", work))
    assert refused.value.status == 403 and not refused.value.retryable
    assert "Invalid API key" in str(refused.value)
    with pytest.raises(TranslateError) as missing:
        run(with_engine(libre(server.url), "libretranslate", work))
    assert missing.value.status == 400 and "API key" in str(missing.value)


def test_libretranslate_splits_batches_at_the_servers_batch_limit(httpserver: HTTPServer) -> None:
    server = FakeLibreTranslate(httpserver, batch_limit=2)
    texts = [AR_TEXT, AR_TITLE, AR_TEXT, AR_TITLE, AR_TEXT]

    async def work(engine: Engine) -> Any:
        return await engine.translate(texts, "ar", "en")

    result = run(with_engine(libre(server.url, max_texts_per_request=2), "libretranslate", work))
    assert len(result) == 5 and result[3].text == "Statement"
    assert [len(r["q"]) for r in server.requests] == [2, 2, 1]
    with pytest.raises(TranslateError) as over:  # the server's own limit, if we exceed it
        run(with_engine(libre(server.url, max_texts_per_request=5), "libretranslate", work))
    assert over.value.status == 400 and "exceeds text limit" in str(over.value)


def test_libretranslate_languages_and_detect(httpserver: HTTPServer) -> None:
    server = FakeLibreTranslate(httpserver)

    async def work(engine: Engine) -> Any:
        assert isinstance(engine, LibreTranslate)
        return await engine.languages(), await engine.detect(RU_TEXT)

    languages, detected = run(with_engine(libre(server.url), "libretranslate", work))
    ar = next(lang for lang in languages if lang.code == "ar")
    assert "en" in ar.targets
    assert detected == ("ru", 90.0)


@pytest.mark.parametrize(
    ("status", "retryable"), [(400, False), (403, False), (429, True), (500, True)]
)
def test_libretranslate_errors_are_classified(
    httpserver: HTTPServer, status: int, retryable: bool
) -> None:
    server = FakeLibreTranslate(httpserver)
    server.fail_next(status, "60 per 1 minute" if status == 429 else "Cannot translate text: x")

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    with pytest.raises(TranslateError) as failed:
        run(with_engine(libre(server.url), "libretranslate", work))
    assert failed.value.status == status
    assert failed.value.retryable is retryable
    assert f"HTTP {status}" in str(failed.value)


def test_a_429_says_when_to_come_back(httpserver: HTTPServer) -> None:
    server = FakeLibreTranslate(httpserver)
    server.fail_next(429, "60 per 1 minute", **{"Retry-After": "42"})

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    with pytest.raises(TranslateError) as limited:
        run(with_engine(libre(server.url), "libretranslate", work))
    assert limited.value.retryable and limited.value.retry_after == 42.0
    assert "Slowdown: 60 per 1 minute" in str(limited.value)
    assert len(server.requests) == 1  # no retry inside the request: the caller backs off


def test_a_server_that_is_down_is_a_retryable_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    with pytest.raises(TranslateError) as down:
        run(with_engine(libre(f"http://127.0.0.1:{port}"), "libretranslate", work))
    assert down.value.retryable and down.value.status is None


def test_a_server_that_never_answers_times_out() -> None:
    listener = socket.socket()  # accepts connections (backlog) and never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    try:
        with pytest.raises(TranslateError) as hung:
            settings = libre(f"http://127.0.0.1:{port}", timeout_seconds=0.3)
            run(with_engine(settings, "libretranslate", work))
    finally:
        listener.close()
    assert hung.value.retryable and hung.value.status is None
    assert "0.3s" in str(hung.value) or "timeout" in str(hung.value).lower()


def test_an_answer_past_the_size_cap_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/translate", method="POST").respond_with_data(
        '{"translatedText": ["' + "x" * 50_000 + '"]}', content_type="application/json"
    )

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    settings = libre(httpserver.url_for("").rstrip("/"), max_response_bytes=10_000)
    with pytest.raises(TranslateError) as big:
        run(with_engine(settings, "libretranslate", work))
    assert "10000-byte cap" in str(big.value)


def test_an_answer_without_one_text_per_request_is_an_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/translate", method="POST").respond_with_json(
        {"translatedText": ["only one"]}
    )

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TITLE, AR_TEXT], "ar", "en")

    with pytest.raises(TranslateError, match="one translatedText per text"):
        run(with_engine(libre(httpserver.url_for("").rstrip("/")), "libretranslate", work))


# --- DeepL ------------------------------------------------------------------------------


@pytest.fixture
def deepl_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DEEPL_AUTH_KEY", DEEPL_KEY)
    return DEEPL_KEY


def test_deepl_authenticates_with_its_header_and_reads_the_translations(
    httpserver: HTTPServer, deepl_key: str
) -> None:
    server = FakeDeepL(httpserver)

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TITLE, AR_TEXT], "ar", "en")

    result = run(with_engine(deepl(server.url), "deepl", work))
    assert server.authorizations == [f"DeepL-Auth-Key {deepl_key}"]
    assert server.requests == [
        {"text": [AR_TITLE, AR_TEXT], "target_lang": "EN-GB", "source_lang": "AR"}
    ]
    assert [t.text for t in result][1] == "JNIM claimed responsibility for the attack near Boni"
    assert result[0].source_language == "ar" and result[0].model == "deepl-api-v2"


def test_deepl_detects_the_source_when_unknown_and_uses_the_english_variant(
    httpserver: HTTPServer, deepl_key: str
) -> None:
    server = FakeDeepL(httpserver)

    async def work(engine: Engine) -> Any:
        return await engine.translate([RU_TEXT], None, "en")

    result = run(with_engine(deepl(server.url, english_variant="EN-US"), "deepl", work))
    assert "source_lang" not in server.requests[0]
    assert server.requests[0]["target_lang"] == "EN-US"
    assert result[0].source_language == "ru"


def test_deepl_languages(httpserver: HTTPServer, deepl_key: str) -> None:
    server = FakeDeepL(httpserver)

    async def work(engine: Engine) -> Any:
        return await engine.languages()

    languages = run(with_engine(deepl(server.url), "deepl", work))
    assert {"ar", "ru", "fr"} <= {lang.code for lang in languages}
    assert "en-gb" in languages[0].targets


def test_deepl_without_a_key_in_the_environment_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DEEPL_AUTH_KEY", raising=False)

    async def work(engine: Engine) -> Any:
        raise AssertionError("built without a key")

    with pytest.raises(TranslateError, match="set the environment variable DEEPL_AUTH_KEY"):
        run(with_engine(deepl("http://127.0.0.1:9"), "deepl", work))


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(400, False), (413, False), (429, True), (456, False), (500, True), (503, True), (529, True)],
)
def test_deepl_errors_are_classified(
    httpserver: HTTPServer, deepl_key: str, status: int, retryable: bool
) -> None:
    server = FakeDeepL(httpserver)
    server.fail_next(status, "Quota Exceeded" if status == 456 else "Too many requests")

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    with pytest.raises(TranslateError) as failed:
        run(with_engine(deepl(server.url), "deepl", work))
    assert (failed.value.status, failed.value.retryable) == (status, retryable)


def test_a_wrong_deepl_key_is_refused_and_never_printed_even_when_echoed(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "a1b2c3d4-e5f6-4a5b-8c7d-000000000000:fx"
    monkeypatch.setenv("DEEPL_AUTH_KEY", wrong)
    echo = f"Authorization failure: DeepL-Auth-Key {wrong} is not valid"
    httpserver.expect_request("/v2/translate", method="POST").respond_with_json(
        {"message": echo}, status=403
    )

    async def work(engine: Engine) -> Any:
        logging.getLogger("sourcewatch.test").error("engine said: %s", echo)
        return await engine.translate([AR_TEXT], "ar", "en")

    with caplog.at_level(logging.INFO), pytest.raises(TranslateError) as refused:
        run(with_engine(deepl(httpserver.url_for("").rstrip("/")), "deepl", work))
    assert refused.value.status == 403 and not refused.value.retryable
    assert wrong not in str(refused.value) and "***" in str(refused.value)
    assert wrong not in caplog.text


def test_every_engine_is_registered_with_its_name() -> None:
    assert {"libretranslate": LibreTranslate, "deepl": DeepL} == ENGINES
    assert DeepL.third_party and not LibreTranslate.third_party


def test_a_free_key_at_the_pro_url_is_told_which_url_to_use(
    httpserver: HTTPServer, deepl_key: str
) -> None:
    httpserver.expect_request("/v2/translate", method="POST").respond_with_json(
        {"message": "Wrong endpoint. Use https://api-free.deepl.com"}, status=403
    )

    async def work(engine: Engine) -> Any:
        return await engine.translate([AR_TEXT], "ar", "en")

    with pytest.raises(TranslateError) as wrong:
        run(with_engine(deepl(httpserver.url_for("").rstrip("/")), "deepl", work))
    assert 'url = "https://api-free.deepl.com"' in str(wrong.value)
    assert deepl_key not in str(wrong.value)
