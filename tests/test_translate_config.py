"""``[translate]``: nothing configured by default, misspelt or misplaced keys refused, the
LibreTranslate key a secret, the DeepL key never a setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.config import load_settings
from sourcewatch.configsource import ConfigError
from sourcewatch.text.redact import redact


def test_no_engine_and_no_background_translation_by_default() -> None:
    settings = load_settings()
    assert settings.translate.engines == []
    assert settings.translate.background_languages == []
    assert settings.translate.third_party_areas == settings.translate.third_party_sources == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[translate]\nengine = ['deepl']\n", r"\[translate\] has no setting 'engine'.*'engines'"),
        ("[translate.deepl]\napi_key = 'k'\n", r"\[deepl\] has no setting 'api_key'"),
        ("[translate]\nengines = ['google']\n", "engines"),
        ("[translate]\nengines = ['deepl', 'deepl']\n", "lists an engine twice"),
        ("[translate]\ntarget = 'English'\n", "target"),
        ("[translate.deepl]\nenglish_variant = 'EN'\n", "english_variant"),
    ],
)
def test_bad_translate_settings_are_refused(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "sw.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_the_libretranslate_key_is_a_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOURCEWATCH_TRANSLATE__LIBRETRANSLATE__API_KEY", "lt-secret-4242-abcd")
    monkeypatch.setenv("SOURCEWATCH_TRANSLATE__ENGINES", '["libretranslate"]')
    settings = load_settings()
    assert settings.translate.engines == ["libretranslate"]
    assert "lt-secret-4242-abcd" not in repr(settings)
    assert redact("server said lt-secret-4242-abcd") == "server said ***"
