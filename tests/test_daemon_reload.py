"""Watchlist edits take effect in the running daemon without a restart; broken ones do not.

The daemon runs ``WatchlistsWatcher.check`` every few seconds (the ``watchlists`` job);
these tests call it directly, so they wait for nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from sourcewatch.config import load_settings
from sourcewatch.daemon.reload import WatchlistsWatcher
from sourcewatch.workspace import Workspace


def write(directory: Path, aliases: str) -> None:
    (directory / "w.toml").write_text(
        f'[[entities]]\nid = "x"\nname = "Xanadu"\naliases = {aliases}\n'
    )


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    (tmp_path / "watchlists").mkdir()
    write(tmp_path / "watchlists", '["Shangri-La"]')
    settings = load_settings(
        data_dir=tmp_path / "data",
        watchlists_dir=tmp_path / "watchlists",
        sources_file=tmp_path / "sources.toml",
    )
    with Workspace.open(settings) as workspace:
        yield workspace


def test_an_edited_file_rebuilds_the_matcher(ws: Workspace) -> None:
    watcher = WatchlistsWatcher(ws)
    first = ws.matcher()
    watcher.start()
    assert not first.match("Welcome to El Dorado")
    assert watcher.check() is False  # nothing changed: the same matcher
    assert ws.matcher() is first

    write(ws.settings.watchlists_dir, '["Shangri-La", "El Dorado"]')
    assert watcher.check() is True
    assert ws.matcher() is not first
    assert ws.matcher().match("Welcome to El Dorado").entity_ids == ["x"]
    assert ws.matcher().version != first.version
    assert watcher.check() is False  # checked again, unchanged: not rebuilt twice


def test_a_broken_edit_keeps_the_last_valid_matcher_until_fixed(
    ws: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    watcher = WatchlistsWatcher(ws)
    first = ws.matcher()
    watcher.start()
    write(ws.settings.watchlists_dir, '["IS"]')  # too short and too common an alias
    with caplog.at_level(logging.ERROR, logger="sourcewatch"):
        assert watcher.check() is False
    assert ws.matcher() is first
    assert watcher.error is not None and "alias 'IS'" in watcher.error.problems[0]
    assert any("watchlists are invalid" in r.getMessage() for r in caplog.records)

    write(ws.settings.watchlists_dir, '["El Dorado"]')
    assert watcher.check() is True
    assert ws.matcher().match("El Dorado") and watcher.error is None


def test_an_unreadable_directory_is_logged_and_changes_nothing(
    ws: Workspace, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    watcher = WatchlistsWatcher(ws)
    first = ws.matcher()
    watcher.start()

    def unreadable(directory: Path) -> str:
        raise PermissionError(13, "Permission denied", str(directory))

    monkeypatch.setattr("sourcewatch.daemon.reload.watchlists_version", unreadable)
    with caplog.at_level(logging.WARNING, logger="sourcewatch"):
        assert watcher.check() is False
    assert ws.matcher() is first
    assert any("cannot read the watchlists" in r.getMessage() for r in caplog.records)
