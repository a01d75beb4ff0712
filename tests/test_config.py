"""Settings: defaults, the TOML file, SOURCEWATCH_* overrides, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.config import ConfigError, load_settings

REPO = Path(__file__).resolve().parents[1]


def test_built_in_defaults_apply_without_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.config_file is None
    assert settings.data_dir == Path("storage")
    assert settings.resolved_database_url == "sqlite:///storage/sourcewatch.db"
    assert settings.sources_file == Path("config/sources.toml")


def test_the_file_then_the_environment_override_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "sw.toml"
    config.write_text('data_dir = "/srv/sw"\n[net]\nmax_redirects = 2\nretries = 7\n')
    monkeypatch.setenv("SOURCEWATCH_NET__RETRIES", "1")
    monkeypatch.setenv("SOURCEWATCH_DATABASE_URL", "postgresql+psycopg://db/sw")
    settings = load_settings(config)
    assert settings.data_dir == Path("/srv/sw")
    assert settings.net.max_redirects == 2 and settings.net.retries == 1
    assert settings.resolved_database_url == "postgresql+psycopg://db/sw"


def test_sourcewatch_config_env_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "other.toml"
    config.write_text('watchlists_dir = "/lists"\n')
    monkeypatch.setenv("SOURCEWATCH_CONFIG", str(config))
    assert load_settings().watchlists_dir == Path("/lists")


def test_secrets_never_show_in_reprs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCEWATCH_X__BEARER_TOKEN", "AAAA-very-secret")
    monkeypatch.setenv("SOURCEWATCH_TELEGRAM__API_HASH", "0123456789abcdef")
    settings = load_settings()
    assert settings.x.bearer_token is not None
    assert settings.x.bearer_token.get_secret_value() == "AAAA-very-secret"
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert "very-secret" not in text and "0123456789abcdef" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("data_dir = \n", "sw.toml"),
        ("no_such_setting = 1\n", "no_such_setting"),
        ("[net]\nretries = 'many'\n", "retries"),
    ],
)
def test_bad_config_files_are_named(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "sw.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_the_shipped_config_file_is_valid_and_documents_every_setting() -> None:
    shipped = REPO / "config" / "sourcewatch.toml"
    settings = load_settings(shipped)
    text = shipped.read_text()
    for name, field in type(settings).model_fields.items():
        if name == "config_file":
            continue
        assert name in text, f"{name} is not documented in config/sourcewatch.toml"
        sub = field.default_factory() if field.default_factory else None
        for sub_name in getattr(type(sub), "model_fields", {}):
            assert sub_name in text, f"{name}.{sub_name} is not documented"


def test_environment_names_nest_with_a_double_underscore_and_lists_are_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("sourcewatch_scheduler__tick_seconds", "0.5")  # any case
    monkeypatch.setenv("SOURCEWATCH_ALERTS", '[{"name": "ops", "url": "json://127.0.0.1/"}]')
    monkeypatch.setenv("SOURCEWATCH_TEST_SOMETHING", "not a setting, left alone")
    settings = load_settings()
    assert settings.scheduler.tick_seconds == 0.5
    assert [alert.name for alert in settings.alerts] == ["ops"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "SOURCEWATCH_NET__RETRYS",
            "2",
            r"SOURCEWATCH_NET__RETRYS: \[net\] has no setting 'retrys'",
        ),
        ("SOURCEWATCH_ALERTS", "[{oops", "SOURCEWATCH_ALERTS: expected JSON"),
        ("SOURCEWATCH_LOG_LEVEL__X", "1", "log_level is not a section"),
        ("SOURCEWATCH_NET__RETRIES", "many", "net.retries"),
    ],
)
def test_bad_environment_settings_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()
