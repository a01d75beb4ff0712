"""The daemon: leases that divide sources among replicas, backoff, the tick loop,
maintenance jobs, heartbeats, logs and metrics. ``daemon.Daemon`` ties them together."""
