"""LiveMatcher: watchlist edits take effect without a restart; broken edits do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcewatch.matching import WatchlistError
from sourcewatch.matching.live import LiveMatcher


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def write(directory: Path, aliases: str) -> None:
    (directory / "w.toml").write_text(
        f'[[entities]]\nid = "x"\nname = "Xanadu"\naliases = {aliases}\n'
    )


def test_reloads_after_the_interval_when_files_change(tmp_path: Path) -> None:
    write(tmp_path, '["Shangri-La"]')
    clock = Clock()
    live = LiveMatcher(tmp_path, check_interval=5, clock=clock)
    first = live.current()
    assert not first.match("Welcome to El Dorado")

    write(tmp_path, '["Shangri-La", "El Dorado"]')
    clock.now = 4
    assert live.current() is first  # not checked again yet
    clock.now = 6
    assert live.current() is not first
    assert live.current().match("Welcome to El Dorado").entity_ids == ["x"]
    assert live.version != first.version


def test_unchanged_files_keep_the_same_matcher(tmp_path: Path) -> None:
    write(tmp_path, '["Shangri-La"]')
    clock = Clock()
    live = LiveMatcher(tmp_path, check_interval=1, clock=clock)
    first = live.current()
    clock.now = 10
    assert live.current() is first


def test_broken_edit_keeps_the_last_valid_matcher(tmp_path: Path) -> None:
    write(tmp_path, '["Shangri-La"]')
    clock = Clock()
    live = LiveMatcher(tmp_path, check_interval=1, clock=clock)
    first = live.current()
    write(tmp_path, '["IS"]')
    clock.now = 2
    assert live.current() is first
    assert live.error is not None and "alias 'IS'" in live.error.problems[0]
    write(tmp_path, '["El Dorado"]')
    clock.now = 4
    assert live.current().match("El Dorado") and live.error is None


def test_invalid_at_start_raises(tmp_path: Path) -> None:
    write(tmp_path, '["IS"]')
    with pytest.raises(WatchlistError):
        LiveMatcher(tmp_path)
