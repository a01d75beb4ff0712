"""``sourcewatch where``: which config, data dir, database, sources and watchlists a
command run from here would use, and why."""

from __future__ import annotations

from sourcewatch.cli.app import app
from sourcewatch.cli.common import ConfigOption, JsonOption, console, print_json, settings_for


@app.command()
def where(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Show the config file, data dir, database, sources file and watchlists in use, and
    why each (option, environment variable, config file or built-in default).

    Looks only: creates nothing. Config search order: --config, $SOURCEWATCH_CONFIG,
    ./config/sourcewatch.toml, ~/.config/sourcewatch/sourcewatch.toml ($XDG_CONFIG_HOME).
    """
    from sourcewatch.workspace import describe_workspace

    entries = describe_workspace(settings_for(config))
    if json:
        for entry in entries:
            print_json(entry.to_json())
        return
    for entry in entries:
        missing = "  (does not exist)" if entry.exists is False else ""
        console.print(f"{entry.what:<13}{entry.path}{missing}", markup=False)
        console.print(f"{'':<13}why: {entry.why}", markup=False)
