"""The DeepL API (``POST /v2/translate``, ``GET /v2/languages``): a third party.

The key comes from an environment variable only (``[translate.deepl] api_key_env``) and
travels in the ``Authorization: DeepL-Auth-Key ...`` header, never in a URL or body.
``text`` is a list of up to 50 texts; the answer's ``translations`` keep their order,
each with ``detected_source_language`` (upper case). Errors are ``{"message": "..."}``:
400 bad request, 403 authorization failed (wrong key, or a free key at the pro URL),
413 too large, 429 too many requests, 456 quota exceeded, 5xx (529: high load).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, ClassVar

from sourcewatch.config import TranslateSettings
from sourcewatch.net import Http
from sourcewatch.text import redact
from sourcewatch.translate.engine import Language, TranslateError, Translation, in_batches
from sourcewatch.translate.http import get_json, post_json

MODEL = "deepl-api-v2"


class DeepL:
    name: ClassVar[str] = "deepl"
    third_party: ClassVar[bool] = True

    def __init__(self, settings: TranslateSettings, http: Http) -> None:
        own = settings.deepl
        key = os.environ.get(own.api_key_env, "").strip()
        if not key:
            raise TranslateError(
                self.name,
                f"no API key: set the environment variable {own.api_key_env}",
                retryable=False,
            )
        redact.register([key])
        self.headers = {"Authorization": f"DeepL-Auth-Key {key}"}
        self.base = own.url.rstrip("/")
        self.http = http
        self.english = own.english_variant
        self.batch = own.max_texts_per_request

    def target_code(self, language: str) -> str:
        """DeepL's code for a target: upper case, with a variant for English (its bare
        ``EN`` target is deprecated) and Portuguese."""
        code = language.upper()
        return {"EN": self.english, "PT": "PT-PT"}.get(code, code)

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
        payload: dict[str, Any] = {"text": texts, "target_lang": self.target_code(target_language)}
        if source_language:
            payload["source_lang"] = source_language.split("-")[0].upper()
        try:
            data = await post_json(
                self.http,
                self.name,
                f"{self.base}/v2/translate",
                payload,
                headers=self.headers,
                error_key="message",
            )
        except TranslateError as exc:
            raise self._with_hint(exc) from None
        translations = data.get("translations") if isinstance(data, dict) else None
        if not isinstance(translations, list) or len(translations) != len(texts):
            raise TranslateError(
                self.name,
                "/v2/translate answered without one translation per text",
                retryable=False,
            )
        result = []
        for entry in translations:
            if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
                raise TranslateError(self.name, "a translation without text", retryable=False)
            detected = entry.get("detected_source_language")
            model = entry.get("model_type_used")
            result.append(
                Translation(
                    entry["text"],
                    str(detected).lower() if detected else source_language,
                    f"{MODEL} {model}" if model else MODEL,
                )
            )
        return result

    def _with_hint(self, exc: TranslateError) -> TranslateError:
        """A 403 from the wrong endpoint for the key's plan, said plainly: Free keys end in
        ``:fx`` and work only at api-free.deepl.com, Pro keys only at api.deepl.com."""
        if exc.status != 403:
            return exc
        free_key = self.headers["Authorization"].endswith(":fx")
        free_url = "api-free." in self.base
        if free_key == free_url:
            return exc
        plan, url = (
            ("Free", "https://api-free.deepl.com") if free_key else ("Pro", "https://api.deepl.com")
        )
        return TranslateError(
            self.name,
            f"{exc.args[0].removeprefix(self.name + ': ')} (a {plan} key: set "
            f'[translate.deepl] url = "{url}")',
            retryable=False,
            status=403,
        )

    async def languages(self) -> list[Language]:
        sources = await get_json(
            self.http,
            self.name,
            f"{self.base}/v2/languages?type=source",
            headers=self.headers,
            error_key="message",
        )
        targets = await get_json(
            self.http,
            self.name,
            f"{self.base}/v2/languages?type=target",
            headers=self.headers,
            error_key="message",
        )
        if not isinstance(sources, list) or not isinstance(targets, list):
            raise TranslateError(self.name, "/v2/languages did not answer a list", retryable=False)
        reach = tuple(
            str(t["language"]).lower() for t in targets if isinstance(t, dict) and t.get("language")
        )
        return [
            Language(str(s["language"]).lower(), str(s.get("name", "")), reach)
            for s in sources
            if isinstance(s, dict) and s.get("language")
        ]
