"""Core settings (data dir, database, watch list, watchlists, analyst) read without
pydantic give what the full ``Settings`` gives for the same file and environment, and
the same error for a bad value."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sourcewatch.config import Settings, load_settings
from sourcewatch.configsource import ConfigError
from sourcewatch.coresettings import (
    CORE_DEFAULTS,
    CORE_SETTINGS,
    OTHER_SETTINGS,
    CoreSettings,
    load_core_settings,
)

REPO = Path(__file__).resolve().parents[1]

# What a config file holds, as a user writes it: each is the repository's commented
# config/sourcewatch.toml, sections and all, with these top-level lines in place of its
# own (except "none": no file, and "bare": only this line).
FILES: dict[str, str | None] = {
    "none": None,
    "bare": 'data_dir = "data"\n',
    "repository": "",
    "paths": (
        'data_dir = "/srv/sw/data"\nwatchlists_dir = "~/lists"\nanalyst = "rana"\n'
        'database_url = "postgresql+psycopg://db/sw"\n'
    ),
    "timeout": "sqlite_busy_timeout_ms = 5000\n",
    "timeout as text": 'sqlite_busy_timeout_ms = "5000"\n',
    "timeout as float": "sqlite_busy_timeout_ms = 5000.0\n",
    "timeout as bool": "sqlite_busy_timeout_ms = true\n",
    "timeout not a number": 'sqlite_busy_timeout_ms = "soon"\n',
    "data dir a number": "data_dir = 5\n",
    "data dir empty": 'data_dir = ""\n',
    "analyst a list": 'analyst = ["a"]\n',
    "misspelt": 'data_dri = "x"\n',
    "excluded name": 'config_reason = "x"\n',
}
ENVS: dict[str, dict[str, str]] = {
    "none": {},
    "paths": {
        "SOURCEWATCH_DATA_DIR": "env-data",
        "SOURCEWATCH_SOURCES_FILE": "/etc/sw/sources.toml",
        "SOURCEWATCH_ANALYST": "omar",
    },
    "lower-case name": {"sourcewatch_database_url": "sqlite:////tmp/other.db"},
    "timeout": {"SOURCEWATCH_SQLITE_BUSY_TIMEOUT_MS": "0012"},
    "timeout padded": {"SOURCEWATCH_SQLITE_BUSY_TIMEOUT_MS": " 7_000 "},
    "timeout not a number": {"SOURCEWATCH_SQLITE_BUSY_TIMEOUT_MS": "12ms"},
    "empty data dir": {"SOURCEWATCH_DATA_DIR": ""},
    "not a section": {"SOURCEWATCH_DATA_DIR__X": "1"},
    "other settings": {"SOURCEWATCH_NET__RETRIES": "2", "SOURCEWATCH_TEST_X": "y"},
}


# The cases full Settings refuse (pydantic takes "5000.0", true and " 7_000 " for an
# int, and "" for a path): a bad file value unless the environment gives that setting
# (the file's value is then never judged), a key no setting has, a bad variable.
BAD_FILES: dict[str, str | None] = {
    "timeout not a number": "SOURCEWATCH_SQLITE_BUSY_TIMEOUT_MS",
    "data dir a number": "SOURCEWATCH_DATA_DIR",
    "analyst a list": "SOURCEWATCH_ANALYST",
    "misspelt": None,
    "excluded name": None,
}
BAD_ENVS = {"timeout not a number", "not a section"}


def _refused(file: str, env: str) -> bool:
    if env in BAD_ENVS:
        return True
    if file not in BAD_FILES:
        return False
    overridden_by = BAD_FILES[file]
    return overridden_by is None or overridden_by not in ENVS[env]


def _write(workspace: Path, name: str) -> None:
    text = FILES[name]
    if text is None:
        return
    if name != "bare":
        repository = (REPO / "config" / "sourcewatch.toml").read_text()
        for key in re.findall(r"^(\w+) =", text, flags=re.MULTILINE):
            repository = re.sub(rf"^{key} =.*$", "", repository, flags=re.MULTILINE)
        text += repository
    (workspace / "config").mkdir()
    (workspace / "config" / "sourcewatch.toml").write_text(text)


def _full(config: Path | None) -> CoreSettings | str:
    try:
        return load_settings(config).core
    except ConfigError as exc:
        return f"ConfigError: {exc}"


def _core(config: Path | None) -> CoreSettings | str:
    try:
        return load_core_settings(config)
    except ConfigError as exc:
        return f"ConfigError: {exc}"


@pytest.mark.parametrize(("file", "env"), list(itertools.product(FILES, ENVS)))
def test_the_same_answer_as_the_full_settings(
    file: str, env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, file)
    monkeypatch.chdir(tmp_path)
    for name, value in ENVS[env].items():
        monkeypatch.setenv(name, value)
    core, full = _core(None), _full(None)
    assert core == full
    assert isinstance(core, str) == _refused(file, env), core
    if isinstance(core, CoreSettings) and isinstance(full, CoreSettings):
        assert (core.config_file, core.config_reason) == (full.config_file, full.config_reason)
        assert core.origins == full.origins
        assert core.resolved_database_url == full.resolved_database_url


def test_a_named_file_is_read_the_same_and_must_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "paths")
    monkeypatch.chdir(tmp_path / "config")
    config = Path("sourcewatch.toml")
    assert load_core_settings(config) == load_settings(config).core
    assert load_core_settings(config).config_reason == "--config"
    monkeypatch.setenv("SOURCEWATCH_CONFIG", str(tmp_path / "config" / "sourcewatch.toml"))
    assert load_core_settings().data_dir == Path("/srv/sw/data")
    with pytest.raises(ConfigError, match="does not exist"):
        load_core_settings(tmp_path / "missing.toml")


def test_a_bad_value_is_the_full_settings_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "timeout not a number")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="sqlite_busy_timeout_ms"):
        load_core_settings()


def test_a_misspelt_key_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "misspelt")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="did you mean 'data_dir'"):
        load_core_settings()


def test_sections_are_left_to_the_commands_that_read_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sw.toml").write_text('data_dir = "d"\n[net]\nretries = "many"\n')
    core = load_core_settings(tmp_path / "sw.toml")
    assert core.data_dir == tmp_path / "d"
    with pytest.raises(ConfigError, match="retries"):
        core.full()


def test_the_full_settings_load_from_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "paths")
    config = tmp_path / "config" / "sourcewatch.toml"
    full = load_core_settings(config).full()
    assert full.config_file == config
    assert full.core == load_settings(config).core
    assert full.net.retries == 3


def test_defaults_are_the_full_settings_defaults() -> None:
    assert Settings().core == CORE_DEFAULTS
    for name in CORE_SETTINGS:
        assert Settings.model_fields[name].default == getattr(CORE_DEFAULTS, name), name


def test_every_top_level_setting_is_core_or_other() -> None:
    named = {name for name, field in Settings.model_fields.items() if not field.exclude}
    assert set(CORE_SETTINGS) | set(OTHER_SETTINGS) == named
    assert not set(CORE_SETTINGS) & set(OTHER_SETTINGS)


def _modules_after(code: str, cwd: Path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return set(out.stdout.split())


def test_plain_values_are_read_without_building_the_settings(tmp_path: Path) -> None:
    _write(tmp_path, "repository")
    load = "from sourcewatch.coresettings import load_core_settings\nload_core_settings()"
    assert "sourcewatch.config" not in _modules_after(load, tmp_path)
    shutil.rmtree(tmp_path / "config")
    _write(tmp_path, "timeout as float")  # 5000.0 for an int: pydantic's to judge
    assert "sourcewatch.config" in _modules_after(load, tmp_path)
