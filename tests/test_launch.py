"""The ``sourcewatch`` command starts with the garbage collector off and runs the
command with it on, start-up's objects frozen out of its way."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

import sourcewatch.cli
from sourcewatch.cli.app import package_version
from sourcewatch.launch import main


@pytest.fixture
def unfreeze() -> Iterator[None]:
    """The test process's own objects go back to the collector afterwards."""
    yield
    gc.unfreeze()
    gc.enable()


def test_the_command_runs_with_the_collector_on_and_start_up_frozen(
    monkeypatch: pytest.MonkeyPatch, unfreeze: None
) -> None:
    seen: dict[str, object] = {}

    def command() -> None:
        seen["collecting"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(sourcewatch.cli, "main", command)
    gc.unfreeze()
    main()
    assert seen["collecting"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 0


def test_the_collector_is_back_on_when_start_up_fails(
    monkeypatch: pytest.MonkeyPatch, unfreeze: None
) -> None:
    monkeypatch.setitem(sys.modules, "sourcewatch.cli", None)  # the import fails
    with pytest.raises(ImportError):
        main()
    assert gc.isenabled()


def test_python_m_sourcewatch_starts_the_same_way() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sourcewatch", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == f"sourcewatch {package_version()}\n"
