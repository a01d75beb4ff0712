"""Sending one message to one channel, through Apprise (every service, no own clients).

Apprise reports failure as ``False`` plus log lines; those lines become the error,
with the channel's secrets replaced by ``***`` before anything stores or logs them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sourcewatch.alerts.channels import (
    AlertConfigError,
    expand_url,
    redact,
    secrets_of,
    service_of,
)
from sourcewatch.alerts.message import Message
from sourcewatch.config import AlertSettings
from sourcewatch.errors import SourcewatchError

MAX_ERROR_CHARS = 500


class AlertSendError(SourcewatchError):
    """A channel did not accept a message; the text is safe to log (secrets redacted)."""


Sender = Callable[[AlertSettings, Message], None]


def _quiet_apprise() -> None:
    """Apprise's own log lines may quote a channel URL: they are captured per send and
    redacted into the error, never passed to the application's handlers."""
    logger = logging.getLogger("apprise")
    if logger.propagate:
        logger.propagate = False
        logger.addHandler(logging.NullHandler())


def send_apprise(alert: AlertSettings, message: Message) -> None:
    """Deliver ``message`` on ``alert``'s channel or raise :class:`AlertSendError`."""
    import apprise  # heavy (loads every service plugin): only when a message goes out

    try:
        url = expand_url(alert)
    except AlertConfigError as exc:
        raise AlertSendError(str(exc)) from None
    secrets = secrets_of(alert)
    _quiet_apprise()
    # apprise's LogCapture.__init__ has no annotations (its package says py.typed).
    with apprise.LogCapture(  # type: ignore[no-untyped-call]
        level=logging.WARNING, fmt="%(message)s"
    ) as captured:
        notifier = apprise.Apprise()
        if not notifier.add(url):
            raise AlertSendError(
                f"alert {alert.name!r}: Apprise does not understand the channel URL "
                f"(service {service_of(alert)!r})"
            )
        delivered = notifier.notify(
            title=message.title, body=message.body, body_format=apprise.NotifyFormat.TEXT
        )
        details = captured.getvalue()
    if not delivered:
        reason = " ".join(details.split()) or "no reason given"
        text = redact(f"alert {alert.name!r}: delivery failed: {reason}", secrets)
        raise AlertSendError(text[:MAX_ERROR_CHARS])
