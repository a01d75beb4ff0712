"""Command-line interface: thin modules that parse, call a service, render.

Each module registers its commands on ``app``; importing them here wires the CLI.
"""

from __future__ import annotations

from sourcewatch.cli import core  # noqa: F401  (registers init, verify, import, sources)
from sourcewatch.cli.app import app


def main() -> None:
    app()
