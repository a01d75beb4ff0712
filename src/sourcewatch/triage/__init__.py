"""The triage queue: what analysts work from.

``enqueue`` (called by ingest) applies the queue rules; the other modules are the
queue operations the CLI calls: ``queue`` (list), ``detail`` (show), ``marking``
(mark, history), ``claims`` (the interactive loop's leases), ``export``, ``loop``.
"""

from sourcewatch.triage.enqueue import ItemHit, enqueue, priority_for

__all__ = ["ItemHit", "enqueue", "priority_for"]
