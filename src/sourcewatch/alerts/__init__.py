"""Alerts: queue entries that trip an ``[[alerts]]`` channel's triggers reach the analyst
through Apprise, once per (alert, item, revision), from an outbox written with the entry.

Modules: ``outbox`` (the write in the ingest transaction), ``channels`` (config, triggers,
secrets), ``message`` (what a message says), ``send`` (Apprise), ``delivery`` (the
daemon's job: fan-out, leases, rate limit, digests, retries), ``status`` (for the CLI).
"""
