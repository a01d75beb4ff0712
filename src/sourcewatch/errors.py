"""The base of every error that is the user's to fix (bad config, input, source).

The CLI turns these into a one-line message and exit code 2 instead of a traceback;
anything else is a bug and keeps its traceback.
"""


class SourcewatchError(Exception):
    pass
