# sourcewatch daemon image: docker build -t sourcewatch . && docker run -v sw-data:/data sourcewatch
# (podman build / podman run work the same way)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tini as PID 1: forwards SIGTERM/SIGINT/SIGHUP to the daemon and reaps children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sourcewatch

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install ".[postgres,web]"

COPY config ./config
COPY watchlists ./watchlists
COPY docker/entrypoint.sh /usr/local/bin/sourcewatch-entrypoint

# Settings (see config/sourcewatch.toml): everything mutable lives on the /data volume.
ENV SOURCEWATCH_CONFIG=/app/config/sourcewatch.toml \
    SOURCEWATCH_DATA_DIR=/data \
    SOURCEWATCH_SOURCES_FILE=/app/config/sources.toml \
    SOURCEWATCH_WATCHLISTS_DIR=/app/watchlists \
    SOURCEWATCH_SCHEDULER__METRICS_HOST=0.0.0.0 \
    SOURCEWATCH_SCHEDULER__GRACE_SECONDS=8 \
    XDG_CONFIG_HOME=/data/config

# GRACE_SECONDS=8: `docker stop` waits 10 s before SIGKILL, so in-flight polls get 8 s and
# the daemon exits before the kill. For a longer grace, raise both together:
#   docker run --stop-timeout 30 -e SOURCEWATCH_SCHEDULER__GRACE_SECONDS=20 ...
# XDG_CONFIG_HOME on the volume: `sourcewatch telegram login` stores its session in
# /data/config/sourcewatch/ (HOME is /app, the source tree, where a session is refused).

RUN mkdir -p /data && chown sourcewatch:sourcewatch /data
VOLUME ["/data"]
USER sourcewatch

# Prometheus /metrics when SOURCEWATCH_SCHEDULER__METRICS_PORT=9464 (or --metrics-port 9464).
EXPOSE 9464

# Healthy only while this container's daemon beats and the database answers.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["sourcewatch", "health"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/sourcewatch-entrypoint"]
CMD []
