"""The base of every error that is the user's to fix (bad config, input, source).

The CLI turns these into a one-line message and exit code 2 instead of a traceback;
anything else (a plain ``ValueError`` included) is a bug and keeps its traceback, so a
real bug is never reported to an analyst as "bad usage".
"""


class SourcewatchError(Exception):
    """Something the user can fix; the message says what and, where it can, how.

    ``exit_code`` is what the CLI exits with: 2 (bad usage, config or input) unless a
    subclass says otherwise.
    """

    exit_code: int = 2


class InvalidInput(SourcewatchError, ValueError):
    """A value the user gave (an option, a filter, a duration) is not acceptable.

    Also a ``ValueError`` so that pydantic validators and callers that check a value
    with ``except ValueError`` keep working.
    """


class MissingExtra(SourcewatchError):
    """The settings need an optional dependency that is not installed."""

    def __init__(self, extra: str, why: str) -> None:
        super().__init__(
            f"{why}: install the {extra!r} extra, e.g. "
            f".venv/bin/pip install 'sourcewatch[{extra}]' (or -e '.[{extra}]' in a clone)"
        )
        self.extra = extra
