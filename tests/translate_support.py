"""Loopback servers that speak the translation APIs, and test data (not a test module).

The contracts are those of the real services, as their code and documentation define
them (no network is used, and these servers are not mocks of our client: they parse what
it sends and refuse what the real service refuses):

- LibreTranslate (libretranslate/app.py, LibreTranslate/LibreTranslate@015291f):
  ``POST /translate`` with a JSON or form body (``q`` a string or a list, ``source``
  a code or ``auto``, ``target``, ``format`` text/html, ``api_key``), answering
  ``{"translatedText": ...}`` in the shape of ``q`` plus ``detectedLanguage`` for
  ``auto`` (``{"confidence": 0-100, "language": code}``, a list for a list);
  ``GET /languages`` -> ``[{"code", "name", "targets"}]``; ``POST /detect`` ->
  ``[{"confidence", "language"}]``. Errors ``{"error": msg}``: 400 missing parameter,
  unsupported language, over --char-limit or --batch-limit, key required; 403 invalid
  key or banned; 429 "Slowdown: ..."; 500 "Cannot translate text: ...".
- DeepL (developers.deepl.com, API v2): ``POST /v2/translate`` JSON ``{"text": [...],
  "target_lang", "source_lang"?}`` with ``Authorization: DeepL-Auth-Key KEY``, answering
  ``{"translations": [{"detected_source_language": "AR", "text": ...}]}``; ``GET
  /v2/languages?type=source|target``. Errors ``{"message": msg}``: 400, 403 (wrong key),
  413, 429 (too many requests), 456 (quota exceeded), 500/503/529.

The "model" is a phrase table: the test texts and their English.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

AR_TEXT = "أعلنت جماعة نصرة الإسلام والمسلمين مسؤوليتها عن الهجوم قرب بوني"
AR_TITLE = "بيان"
RU_TEXT = "Бойцы ЧВК «Вагнер» покинули Гао, сообщают источники в Мали."
FR_TEXT = "Le JNIM a revendiqué l'attaque près de Boni dimanche."
PHRASES = {
    AR_TEXT: "JNIM claimed responsibility for the attack near Boni",
    AR_TITLE: "Statement",
    RU_TEXT: "Wagner PMC fighters have left Gao, sources in Mali report.",
    FR_TEXT: "JNIM claimed the attack near Boni on Sunday.",
}
LANGUAGES = ("ar", "en", "fa", "fr", "ps", "ru")
DEEPL_TARGETS = ("AR", "DE", "EN-GB", "EN-US", "FR", "RU")
DEEPL_SOURCES = ("AR", "DE", "EN", "FR", "RU")
DEEPL_KEY = "0f3c2a9e-5b7d-4c1e-9a2b-7e6d5c4b3a21:fx"


def script_language(text: str) -> str:
    if any("\u0600" <= ch <= "\u06ff" for ch in text):
        return "ar"
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return "ru"
    return "fr" if "é" in text or "l'" in text else "en"


def english(text: str) -> str:
    return PHRASES.get(text, f"[en] {text}")


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        headers=headers or {},
        content_type="application/json",
    )


@dataclass
class Failure:
    """An error the next ``count`` requests get instead of an answer."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    count: int = 1


class FakeLibreTranslate:
    """LibreTranslate on a pytest-httpserver. ``api_key``: the server runs with
    --api-keys and this is the one key; ``char_limit``/``batch_limit`` as its options;
    ``fail_next`` queues errors; ``hang`` (an Event that is cleared) holds /translate
    answers until set."""

    def __init__(
        self,
        server: HTTPServer,
        *,
        api_key: str | None = None,
        char_limit: int = -1,
        batch_limit: int = -1,
    ) -> None:
        self.server = server
        self.api_key = api_key
        self.char_limit = char_limit
        self.batch_limit = batch_limit
        self.failures: list[Failure] = []
        self.requests: list[dict[str, Any]] = []  # parsed /translate bodies
        self.hang = threading.Event()
        self.hang.set()
        self.entered = threading.Event()  # a /translate request arrived
        server.expect_request("/translate", method="POST").respond_with_handler(self._translate)
        server.expect_request("/languages", method="GET").respond_with_handler(self._languages)
        server.expect_request("/detect", method="POST").respond_with_handler(self._detect)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def fail_next(self, status: int, message: str, count: int = 1, **headers: str) -> None:
        self.failures.append(Failure(status, message, dict(headers), count))

    def _values(self, request: Request) -> dict[str, Any]:
        if request.is_json:
            data = request.get_json(silent=True)
            if not isinstance(data, dict):
                raise _Abort(400, "Invalid JSON format")
            return data
        return {key: request.values.get(key) for key in request.values}

    def _check_access(self, values: dict[str, Any]) -> None:
        if self.api_key is None:
            return
        key = values.get("api_key")
        if key and key != self.api_key:
            raise _Abort(403, "Invalid API key")
        if not key:
            raise _Abort(400, "Please contact the server operator to get an API key")

    def _failure(self) -> Response | None:
        if not self.failures:
            return None
        failure = self.failures[0]
        failure.count -= 1
        if failure.count <= 0:
            self.failures.pop(0)
        message = f"Slowdown: {failure.message}" if failure.status == 429 else failure.message
        return _json(failure.status, {"error": message}, failure.headers)

    def _translate(self, request: Request) -> Response:
        self.entered.set()
        self.hang.wait(120)
        try:
            values = self._values(request)
            self._check_access(values)
            self.requests.append(values)
            failed = self._failure()
            if failed is not None:
                return failed
            return self._answer(values)
        except _Abort as abort:
            return _json(abort.status, {"error": abort.message})

    def _answer(self, values: dict[str, Any]) -> Response:
        q, source, target = values.get("q"), values.get("source"), values.get("target")
        for name, value in (("q", q), ("source", source), ("target", target)):
            if not value:
                raise _Abort(400, f"Invalid request: missing {name} parameter")
        batch = isinstance(q, list)
        texts = q if batch else [q]
        if batch and self.batch_limit != -1 and len(texts) > self.batch_limit:
            raise _Abort(
                400,
                f"Invalid request: request ({len(texts)}) exceeds text limit ({self.batch_limit})",
            )
        chars = sum(len(t) for t in texts)
        if self.char_limit != -1 and chars > self.char_limit:
            raise _Abort(
                400, f"Invalid request: request ({chars}) exceeds text limit ({self.char_limit})"
            )
        if values.get("format", "text") not in (None, "text", "html"):
            raise _Abort(400, f"{values['format']} format is not supported")
        detected = [
            {"confidence": 90.0, "language": script_language(t)}
            if source == "auto"
            else {"confidence": 100.0, "language": source}
            for t in texts
        ]
        for entry in detected:
            if entry["language"] not in LANGUAGES:
                raise _Abort(400, f"{entry['language']} is not supported")
        if target not in LANGUAGES:
            raise _Abort(400, f"{target} is not supported")
        translated = [english(t) if target == "en" else t for t in texts]
        answer: dict[str, Any] = {"translatedText": translated if batch else translated[0]}
        if source == "auto":
            answer["detectedLanguage"] = detected if batch else detected[0]
        return _json(200, answer)

    def _languages(self, request: Request) -> Response:
        return _json(
            200,
            [
                {"code": code, "name": code.upper(), "targets": [c for c in LANGUAGES if c != code]}
                for code in LANGUAGES
            ],
        )

    def _detect(self, request: Request) -> Response:
        try:
            values = self._values(request)
            self._check_access(values)
        except _Abort as abort:
            return _json(abort.status, {"error": abort.message})
        if not values.get("q"):
            return _json(400, {"error": "Invalid request: missing q parameter"})
        return _json(200, [{"confidence": 90.0, "language": script_language(values["q"])}])


class FakeDeepL:
    """The DeepL API v2 on a pytest-httpserver, with one valid key."""

    def __init__(self, server: HTTPServer, key: str = DEEPL_KEY) -> None:
        self.server = server
        self.key = key
        self.failures: list[Failure] = []
        self.requests: list[dict[str, Any]] = []
        self.authorizations: list[str | None] = []
        server.expect_request("/v2/translate", method="POST").respond_with_handler(self._translate)
        server.expect_request("/v2/languages", method="GET").respond_with_handler(self._languages)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def fail_next(self, status: int, message: str, count: int = 1, **headers: str) -> None:
        self.failures.append(Failure(status, message, dict(headers), count))

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization")
        self.authorizations.append(header)
        return header == f"DeepL-Auth-Key {self.key}"

    def _translate(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json(403, {"message": "Authorization failure, check auth_key"})
        body = request.get_json(silent=True)
        self.requests.append(body if isinstance(body, dict) else {})
        if self.failures:
            failure = self.failures[0]
            failure.count -= 1
            if failure.count <= 0:
                self.failures.pop(0)
            return _json(failure.status, {"message": failure.message}, failure.headers)
        if not isinstance(body, dict) or not isinstance(body.get("text"), list):
            return _json(400, {"message": "Value for 'text' not supported."})
        if len(body["text"]) > 50:
            return _json(413, {"message": "Request Entity Too Large"})
        target = body.get("target_lang")
        if target not in DEEPL_TARGETS:
            return _json(400, {"message": "Value for 'target_lang' not supported."})
        source = body.get("source_lang")
        if source is not None and source not in DEEPL_SOURCES:
            return _json(400, {"message": "Value for 'source_lang' not supported."})
        return _json(
            200,
            {
                "translations": [
                    {
                        "detected_source_language": (source or script_language(t)).upper(),
                        "text": english(t) if target.startswith("EN") else t,
                    }
                    for t in body["text"]
                ]
            },
        )

    def _languages(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json(403, {"message": "Authorization failure, check auth_key"})
        codes = DEEPL_TARGETS if request.args.get("type") == "target" else DEEPL_SOURCES
        return _json(200, [{"language": code, "name": code} for code in codes])


class _Abort(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
