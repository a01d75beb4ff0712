"""Settings: defaults, the TOML file, SOURCEWATCH_* overrides, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.config import Settings, load_settings
from sourcewatch.configsource import ConfigError, locate_config

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
        if field.exclude:  # config_file, config_reason, origins: set by load_settings
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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[net]\nretrys = 3\n",
            r"sw.toml: \[net\] has no setting 'retrys'; did you mean 'retries'\?",
        ),
        ("[scheduler]\ntick = 1\n", r"sw.toml: \[scheduler\] has no setting 'tick'"),
        ("datadir = 'x'\n", r"sw.toml: the top level has no setting 'datadir'; did you mean"),
        (
            "[[alerts]]\nname = 'a'\nurl = 'json://x'\nmin_prio = 1\n",
            r"sw.toml: \[\[alerts\]\] #1 has no setting 'min_prio'",
        ),
    ],
)
def test_a_misspelt_key_in_any_section_names_file_section_and_key(
    tmp_path: Path, content: str, message: str
) -> None:
    config = tmp_path / "sw.toml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_config_search_order_ends_in_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert locate_config(None)[0] is None
    assert "searched config/sourcewatch.toml" in locate_config(None)[1]
    user = xdg / "sourcewatch" / "sourcewatch.toml"
    user.parent.mkdir(parents=True)
    user.write_text('data_dir = "/srv/sw"\n')
    assert locate_config(None) == (user, "the user config file")
    local = tmp_path / "config" / "sourcewatch.toml"
    local.parent.mkdir()
    local.write_text("")
    assert locate_config(None)[0] == Path("config/sourcewatch.toml")
    monkeypatch.setenv("SOURCEWATCH_CONFIG", str(user))
    assert locate_config(None) == (user, "$SOURCEWATCH_CONFIG")
    assert locate_config(local) == (local, "--config")


def test_relative_paths_in_a_config_file_follow_the_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = tmp_path / "ws"
    (workspace / "config").mkdir(parents=True)
    config = workspace / "config" / "sourcewatch.toml"
    config.write_text('data_dir = "storage"\nsources_file = "config/sources.toml"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(config)
    assert settings.data_dir == workspace / "storage"
    assert settings.sources_file == workspace / "config" / "sources.toml"
    assert settings.origins["data_dir"] == f"set in {config}"
    monkeypatch.setenv("SOURCEWATCH_DATA_DIR", "rel")
    assert load_settings(config).data_dir == Path("rel")


def test_the_parse_byte_budget_is_a_typed_scheduler_setting(tmp_path: Path) -> None:
    config = tmp_path / "sw.toml"
    config.write_text("[scheduler]\nparse_budget_bytes = 8388608\nparse_recycle_bytes = 0\n")
    settings = load_settings(config)
    assert settings.scheduler.parse_budget_bytes == 8 * 1024 * 1024
    assert settings.scheduler.parse_recycle_bytes == 0
    assert Settings().scheduler.parse_budget_bytes == 32 * 1024 * 1024
    bad_lines = ["parse_budget_byte = 1\n", "parse_budget_bytes = 'x'\n"]
    bad_lines.append("parse_budget_bytes = 0\n")
    for bad in bad_lines:
        config.write_text("[scheduler]\n" + bad)
        with pytest.raises(ConfigError, match="parse_budget_byte"):
            load_settings(config)
