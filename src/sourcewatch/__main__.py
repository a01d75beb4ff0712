"""``python -m sourcewatch`` runs the CLI, started as the ``sourcewatch`` command is."""

from sourcewatch.launch import main

main()
