"""``python -m sourcewatch`` runs the CLI."""

from sourcewatch.cli import main

main()
