"""A Workspace opened with the core settings only (no pydantic at start) works on the
same database, and gives every setting, validated, when a caller asks for them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.configsource import ConfigError
from sourcewatch.coresettings import load_core_settings
from sourcewatch.store.tables import SOURCE
from sourcewatch.workspace import Workspace

CREATED = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)


def _config(tmp_path: Path, settings: Settings, extra: str = "") -> Path:
    path = tmp_path / "sw.toml"
    path.write_text(
        f'data_dir = "{settings.data_dir}"\ndatabase_url = "{settings.resolved_database_url}"\n'
        f"{extra}"
    )
    return path


def test_core_settings_open_the_same_database(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    with workspace.engine.begin() as conn:
        conn.execute(
            sa.insert(SOURCE).values(
                name="sahel_watch", kind="telegram", target="x", created_at=CREATED
            )
        )
    core = load_core_settings(_config(tmp_path, settings))
    with Workspace.open(core, migrate_schema=False, create=False) as ws:
        with ws.engine.connect() as conn:
            assert conn.scalar(sa.select(SOURCE.c.name)) == "sahel_watch"
        assert ws.core.resolved_database_url == settings.resolved_database_url
        assert ws.objects.root == settings.objects_dir


def test_every_setting_is_loaded_on_first_use_from_the_same_file(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    core = load_core_settings(_config(tmp_path, settings, "[net]\nretries = 9\n"))
    with Workspace.open(core, migrate_schema=False, create=False) as ws:
        assert ws.settings.net.retries == 9
        assert ws.settings is ws.settings  # loaded once


def test_a_bad_section_is_refused_when_the_settings_are_used(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    core = load_core_settings(_config(tmp_path, settings, '[net]\nretries = "many"\n'))
    ws = Workspace.open(core, migrate_schema=False, create=False)
    with ws, pytest.raises(ConfigError, match="retries"):
        ws.settings  # noqa: B018


def test_full_settings_are_kept_as_given(workspace: Workspace, settings: Settings) -> None:
    assert workspace.settings is settings
    assert workspace.core == settings.core


def test_with_settings_keeps_the_database_and_refuses_another_workspace(
    workspace: Workspace, tmp_path: Path
) -> None:
    policy = workspace.settings.scheduler.model_copy(update={"lease_seconds": 60.0})
    changed = workspace.with_settings(workspace.settings.model_copy(update={"scheduler": policy}))
    assert changed.engine is workspace.engine
    assert changed.settings.scheduler.lease_seconds == 60.0
    assert workspace.settings.scheduler.lease_seconds != 60.0  # the original is unchanged
    elsewhere = workspace.settings.model_copy(update={"data_dir": tmp_path / "other"})
    with pytest.raises(ValueError, match="another workspace"):
        workspace.with_settings(elsewhere)
