"""Who is working: ``--analyst``, else ``SOURCEWATCH_ANALYST``, else the OS user."""

from __future__ import annotations

import getpass

from sourcewatch.coresettings import CoreSettings


def resolve_analyst(explicit: str | None, settings: CoreSettings) -> str:
    for name in (explicit, settings.analyst):
        if name and name.strip():
            return name.strip()[:100]
    try:
        return getpass.getuser()[:100]
    except (OSError, KeyError):  # no USER/LOGNAME and no passwd entry (some containers)
        return "unknown"
