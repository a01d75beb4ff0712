"""Command-line interface: thin modules that parse, call a service, render.

Each module registers its commands on ``app`` when imported; ``cli.app.COMMANDS`` says
which module has which command, so a command's module is imported only when it runs.
"""

from __future__ import annotations

from sourcewatch.cli.app import app
from sourcewatch.cli.common import storage_errors


def main() -> None:
    with storage_errors():
        app()
