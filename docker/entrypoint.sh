#!/bin/sh
# Container entrypoint (run under tini, which reaps zombies and forwards signals).
# `init` is idempotent: it creates the data dir, migrates the database and loads
# the watch list. `exec` then replaces this shell with the daemon, so SIGTERM from
# `docker stop` reaches sourcewatch itself, which finishes its polls and exits 0.
set -eu
sourcewatch init
exec sourcewatch run "$@"
