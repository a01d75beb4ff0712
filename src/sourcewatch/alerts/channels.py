"""The configured channels: triggers, and the secret-bearing URL expanded only to send.

A channel URL may reference environment variables (``${SOURCEWATCH_ALERT_TOKEN}``);
they are read at send time, so the config file holds no secret, and the expanded URL
never leaves :func:`expand_url`'s caller. Error texts pass through :func:`redact`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sourcewatch.config import AlertSettings
from sourcewatch.errors import SourcewatchError

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_MIN_SECRET = 4  # shorter values would redact ordinary words


class AlertConfigError(SourcewatchError):
    """An ``[[alerts]]`` channel that cannot be used (unknown name, missing variable)."""


@dataclass(frozen=True)
class Candidate:
    """What the triggers look at: one outbox row."""

    source: str
    priority: int
    areas: Sequence[str]
    entities: Sequence[str]
    rules: Sequence[str]


def wants(alert: AlertSettings, entry: Candidate) -> bool:
    """Whether ``entry`` trips ``alert``'s triggers (all that are set must hold)."""
    if entry.priority < alert.min_priority:
        return False
    if alert.areas and not set(alert.areas) & set(entry.areas):
        return False
    if alert.sources and entry.source not in alert.sources:
        return False
    if alert.entities or alert.rules:
        hit = set(alert.entities) & set(entry.entities) or set(alert.rules) & set(entry.rules)
        if not hit:
            return False
    return True


def find_alert(alerts: Iterable[AlertSettings], name: str) -> AlertSettings:
    known = list(alerts)
    for alert in known:
        if alert.name == name:
            return alert
    names = ", ".join(a.name for a in known) or "none configured"
    raise AlertConfigError(f"no alert channel named {name!r} (channels: {names})")


def referenced_variables(url: str) -> list[str]:
    return _ENV_REF.findall(url)


def expand_url(alert: AlertSettings, environ: Mapping[str, str] | None = None) -> str:
    """The channel URL with its ``${VAR}`` references filled in from the environment."""
    env = os.environ if environ is None else environ
    missing = [name for name in referenced_variables(alert.url) if not env.get(name)]
    if missing:
        raise AlertConfigError(
            f"alert {alert.name!r}: environment variable(s) {', '.join(missing)} not set"
        )
    return _ENV_REF.sub(lambda m: env[m.group(1)], alert.url)


def secrets_of(alert: AlertSettings, environ: Mapping[str, str] | None = None) -> list[str]:
    """The values an error message must never show: the expanded variables, and any
    password or query part written literally in the URL."""
    env = os.environ if environ is None else environ
    values = [env.get(name, "") for name in referenced_variables(alert.url)]
    userinfo = re.match(r"^[^:]+://([^@/]+)@", alert.url)
    if userinfo and ":" in userinfo.group(1):
        values.append(userinfo.group(1).split(":", 1)[1])
    return [v for v in values if len(v) >= _MIN_SECRET and "${" not in v]


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def service_of(alert: AlertSettings) -> str:
    """The Apprise service (URL scheme), which is all the CLI shows of a channel's URL."""
    match = _SCHEME.match(alert.url)
    return match.group(1).lower() if match else "?"
