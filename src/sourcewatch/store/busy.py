"""A busy database is not a broken one.

While a long write holds SQLite's write lock (a large import, the daemon's batch), or
PostgreSQL's row locks, another writer waits up to its timeout and then fails with an
``OperationalError``. That error used to be reported as "database not reachable, not
initialised … run `sourcewatch init`" with the usage exit code: wrong advice. These
errors mean "try again in a moment"; :func:`is_busy` tells them from the rest.
"""

from __future__ import annotations

import sqlalchemy as sa

# SQLite's messages for SQLITE_BUSY / SQLITE_LOCKED
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# PostgreSQL SQLSTATEs: lock_not_available, deadlock_detected, serialization_failure,
# query_canceled (statement_timeout / lock_timeout)
_PG_BUSY = frozenset({"55P03", "40P01", "40001", "57014"})


def is_busy(exc: BaseException) -> bool:
    """True when ``exc`` says another transaction holds what this one needed."""
    if not isinstance(exc, sa.exc.OperationalError | sa.exc.DBAPIError):
        return False
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _PG_BUSY:
        return True
    message = str(orig or exc).lower()
    return any(text in message for text in _SQLITE_BUSY)
