"""A self-hosted LibreTranslate server: ``POST /translate``, ``GET /languages``,
``POST /detect`` (JSON bodies; the optional ``api_key`` travels in the body, as the API
wants it).

``/translate`` takes ``q`` as a list and answers ``translatedText`` as a list in the same
order; with ``source: "auto"`` each text's ``detectedLanguage`` comes back too. Errors
are ``{"error": "..."}`` with 400 (bad request, unsupported language, over the server's
character limit; also a missing API key), 403 (banned or invalid key), 429 (slow down)
and 500 (the model failed). Its API does not say which version or models it runs, so
the recorded model is ``[translate.libretranslate] model``, else the server's URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from sourcewatch.config import TranslateSettings
from sourcewatch.net import Http
from sourcewatch.text import redact
from sourcewatch.translate.engine import Language, TranslateError, Translation, in_batches
from sourcewatch.translate.http import get_json, post_json

AUTO = "auto"


class LibreTranslate:
    name: ClassVar[str] = "libretranslate"
    third_party: ClassVar[bool] = False

    def __init__(self, settings: TranslateSettings, http: Http) -> None:
        own = settings.libretranslate
        self.base = own.url.rstrip("/")
        self.http = http
        self.api_key = own.api_key.get_secret_value() if own.api_key else None
        if self.api_key:
            redact.register([self.api_key])
        self.model = own.model or _without_credentials(self.base)
        self.batch = own.max_texts_per_request

    def _with_key(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {**payload, "api_key": self.api_key} if self.api_key else payload

    async def translate(
        self, texts: Sequence[str], source_language: str | None, target_language: str
    ) -> list[Translation]:
        return await in_batches(
            texts,
            self.batch,
            lambda batch: self._translate(batch, source_language, target_language),
        )

    async def _translate(
        self, texts: list[str], source_language: str | None, target_language: str
    ) -> list[Translation]:
        source = source_language or AUTO
        payload = {"q": texts, "source": source, "target": target_language, "format": "text"}
        data = await post_json(
            self.http,
            self.name,
            f"{self.base}/translate",
            self._with_key(payload),
            error_key="error",
        )
        translated = data.get("translatedText") if isinstance(data, dict) else None
        if not isinstance(translated, list) or len(translated) != len(texts):
            raise TranslateError(
                self.name,
                "/translate answered without one translatedText per text",
                retryable=False,
            )
        detected = data.get("detectedLanguage") if source == AUTO else None
        languages = _detected(detected, len(texts)) if source == AUTO else [source] * len(texts)
        return [
            Translation(str(text), language, self.model)
            for text, language in zip(translated, languages, strict=True)
        ]

    async def languages(self) -> list[Language]:
        data = await get_json(self.http, self.name, f"{self.base}/languages", error_key="error")
        if not isinstance(data, list):
            raise TranslateError(self.name, "/languages did not answer a list", retryable=False)
        return [
            Language(str(entry["code"]), str(entry.get("name", "")), _codes(entry.get("targets")))
            for entry in data
            if isinstance(entry, dict) and entry.get("code")
        ]

    async def detect(self, text: str) -> tuple[str, float] | None:
        """The server's best guess at ``text``'s language and its confidence (0-100)."""
        data = await post_json(
            self.http,
            self.name,
            f"{self.base}/detect",
            self._with_key({"q": text}),
            error_key="error",
        )
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            return None
        best = data[0]
        confidence = best.get("confidence")
        number = float(confidence) if isinstance(confidence, int | float) else 0.0
        return str(best.get("language", "")), number


def _detected(detected: Any, count: int) -> list[str | None]:
    """``detectedLanguage`` per text: a list for a list of texts (one object for one)."""
    entries = detected if isinstance(detected, list) else [detected] * count
    found: list[str | None] = []
    for entry in entries[:count]:
        language = entry.get("language") if isinstance(entry, dict) else None
        found.append(str(language).lower() if language else None)
    return found + [None] * (count - len(found))


def _codes(value: Any) -> tuple[str, ...]:
    return tuple(str(code) for code in value) if isinstance(value, list) else ()


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, host + port, parts.path, "", ""))
