"""The ``sourcewatch`` console command: the CLI started as a short-lived process.

Importing the CLI and its libraries allocates a few hundred thousand objects that live
until the process ends (modules, classes, SQLAlchemy's and typer's tables). With the
cyclic garbage collector on, those allocations trigger collections that walk the
growing heap again and again and find nothing to free: about 40 ms of a cold
``sourcewatch queue`` (bench/results/speed-ii.md §10). So the collector is off while
they are imported, and what they made is then frozen (``gc.freeze``: moved where no
later collection walks it) before the collector is turned back on for the command's
own work, as the ``gc`` documentation advises for a pre-fork server's start-up.

This lives outside ``sourcewatch.cli`` because importing anything in that package
imports the CLI first. Tests import ``sourcewatch.cli`` and never run this.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Run the CLI (``sourcewatch.cli.main``) with the collector off during start-up."""
    gc.disable()
    try:
        import sqlalchemy  # noqa: F401  (imported by every command's error handling)

        from sourcewatch.cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    cli_main()
