"""mypy stays clean: the ``[tool.mypy]`` configuration in pyproject.toml, over src/sourcewatch."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).parents[1]


@pytest.mark.slow
def test_mypy_reports_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # mypy reads pyproject.toml and its `files` from the current dir
    stdout, stderr, status = api.run([])
    assert status == 0, f"mypy found errors:\n{stdout}{stderr}"
