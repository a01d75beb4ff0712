"""Prometheus metrics of one replica, served on ``/metrics`` when a port is set.

Counters and the latency histogram are this process's; the gauges (queue depth,
sources due, leases) are read from the database on each heartbeat, so every
replica reports the shared picture for its own scrape.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from sourcewatch.daemon.stats import DaemonStats
from sourcewatch.polling.pipeline import PollOutcome


class DaemonMetrics:
    def __init__(self, replica: str) -> None:
        self.replica = replica
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter(
            "sourcewatch_polls",
            "Polls finished, by source kind and outcome",
            ["kind", "outcome"],
            registry=r,
        )
        self.failures = Counter(
            "sourcewatch_poll_failures", "Failed polls, by source", ["source"], registry=r
        )
        self.items = Counter(
            "sourcewatch_items",
            "Items stored, by change (new, edited, deleted)",
            ["change"],
            registry=r,
        )
        self.latency = Histogram(
            "sourcewatch_poll_seconds",
            "Wall time of one poll (fetch and store)",
            ["kind"],
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
            registry=r,
        )
        self.queue_depth = Gauge(
            "sourcewatch_queue_depth", "Triage entries with status new", registry=r
        )
        self.sources_due = Gauge("sourcewatch_sources_due", "Enabled sources now due", registry=r)
        self.sources_failing = Gauge(
            "sourcewatch_sources_failing", "Enabled sources whose last poll failed", registry=r
        )
        self.leases = Gauge("sourcewatch_leases", "Live source leases, all replicas", registry=r)
        self.leases_mine = Gauge(
            "sourcewatch_leases_held", "Source leases held by this replica", registry=r
        )
        self.in_flight = Gauge("sourcewatch_polls_in_flight", "Polls running now", registry=r)

    def observe(self, kind: str, outcome: PollOutcome) -> None:
        self.polls.labels(kind=kind, outcome="ok" if outcome.ok else "failed").inc()
        self.latency.labels(kind=kind).observe(outcome.seconds)
        if not outcome.ok:
            self.failures.labels(source=outcome.source).inc()
        if outcome.report is not None:
            self.items.labels(change="new").inc(outcome.report.new)
            self.items.labels(change="edited").inc(outcome.report.edited)
            self.items.labels(change="deleted").inc(outcome.report.deleted)

    def update_from(self, stats: DaemonStats) -> None:
        self.queue_depth.set(stats.queue_depth)
        self.sources_due.set(stats.due)
        self.sources_failing.set(stats.failing)
        self.leases.set(stats.leased)
        self.leases_mine.set(stats.leases_by_replica.get(self.replica, 0))

    def serve(self, host: str, port: int) -> None:
        """Start the /metrics HTTP server in a daemon thread."""
        start_http_server(port, addr=host, registry=self.registry)
