"""The container files, checked without a Docker engine: the entrypoint really runs,
and every path and SOURCEWATCH_* name in Dockerfile/compose.yaml means something."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from sourcewatch.config import Settings

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = (REPO / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "compose.yaml").read_text())
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
# Read by locate_config, not a field: the one SOURCEWATCH_ name that is not a setting.
NOT_FIELDS = {"SOURCEWATCH_CONFIG"}


def setting_for(env_name: str) -> Any:
    """The Settings field an environment variable sets (nested with ``__``), or fail."""
    path = env_name.removeprefix("SOURCEWATCH_").lower().split("__")
    model: type[BaseModel] = Settings
    field = None
    for part in path:
        assert part in model.model_fields, f"{env_name}: no setting {part!r}"
        field = model.model_fields[part]
        annotation = field.annotation
        model = annotation if isinstance(annotation, type) else model
    return field


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for block in re.findall(r"^ENV (.+?)(?<!\\)$", DOCKERFILE, re.M | re.S):
        for name, value in re.findall(r"(\w+)=(\S+)", block):
            env[name] = value
    return env


def test_the_entrypoint_initialises_then_runs_the_daemon_once(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text("")  # an empty watch list
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "sourcewatch").exists(), "the sourcewatch console script is installed"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOURCEWATCH_")},
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "SOURCEWATCH_DATA_DIR": str(tmp_path / "data"),
        "SOURCEWATCH_SOURCES_FILE": str(tmp_path / "sources.toml"),
        "SOURCEWATCH_CONFIG": str(REPO / "config" / "sourcewatch.toml"),
        "SOURCEWATCH_WATCHLISTS_DIR": str(REPO / "watchlists"),
    }
    result = subprocess.run(
        [shutil.which("sh") or "/bin/sh", str(ENTRYPOINT), "--once"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "migrations" in result.stdout  # sourcewatch init ran
    assert "0 source(s) polled" in result.stdout  # then sourcewatch run --once
    assert (tmp_path / "data" / "sourcewatch.db").exists()


def test_the_entrypoint_execs_the_daemon_so_signals_reach_it() -> None:
    lines = [ln.strip() for ln in ENTRYPOINT.read_text().splitlines()]
    assert lines[0] == "#!/bin/sh" and "set -eu" in lines
    assert lines[-1] == 'exec sourcewatch run "$@"'
    assert os.access(ENTRYPOINT, os.X_OK)


def test_dockerfile_base_user_volume_healthcheck_and_pid1() -> None:
    assert re.search(r"^FROM python:3\.11-slim\b", DOCKERFILE, re.M)
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1] not in ("root", "0")
    assert 'VOLUME ["/data"]' in DOCKERFILE
    assert re.search(r'CMD \["sourcewatch", "health"\]', DOCKERFILE)
    assert 'pip install ".[postgres,web]"' in DOCKERFILE  # the daemon, and serve
    entry = re.search(r"^ENTRYPOINT (\[.*\])", DOCKERFILE, re.M)
    assert entry is not None
    argv = yaml.safe_load(entry.group(1))
    assert argv[:2] == ["/usr/bin/tini", "--"]
    copied = re.search(r"^COPY docker/entrypoint\.sh (\S+)", DOCKERFILE, re.M)
    assert copied is not None and argv[2] == copied.group(1)


def test_dockerfile_copies_only_what_exists() -> None:
    for sources in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.M):
        for name in sources.split():
            assert (REPO / name).exists(), f"COPY {name}: not in the repository"


def test_dockerfile_settings_are_real_settings_and_paths_match() -> None:
    env = dockerfile_env()
    assert env["SOURCEWATCH_DATA_DIR"] == "/data"
    for name in env:
        if name.startswith("SOURCEWATCH_") and name not in NOT_FIELDS:
            setting_for(name)
    # Files the image points the settings at were copied to those places.
    copies = dict(
        (dest.rstrip("/"), src) for src, dest in re.findall(r"^COPY (\S+) (\S+)$", DOCKERFILE, re.M)
    )
    workdir = re.findall(r"^WORKDIR (\S+)", DOCKERFILE, re.M)[-1]
    for name in ("SOURCEWATCH_CONFIG", "SOURCEWATCH_SOURCES_FILE", "SOURCEWATCH_WATCHLISTS_DIR"):
        path = Path(env[name])
        relative = path.relative_to(workdir)
        top = f"./{relative.parts[0]}"
        assert top in copies, f"{name}={path} but {top} is not copied into {workdir}"
        assert (REPO / relative).exists(), f"{name}: {relative} missing from the repository"


@pytest.mark.parametrize("service", ["sourcewatch-1", "sourcewatch-2"])
def test_compose_runs_replicas_on_postgres_with_real_settings(service: str) -> None:
    services = COMPOSE["services"]
    replica = services[service]
    assert replica["build"] == "."
    env = replica["environment"]
    for name in env:
        setting_for(name)
    assert env["SOURCEWATCH_DATA_DIR"] == "/data"
    assert any(v.endswith(":/data") for v in replica["volumes"])
    url = env["SOURCEWATCH_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
    assert "postgres" in replica["depends_on"]
    database = url.rsplit("/", 1)[1]
    assert services["postgres"]["environment"]["POSTGRES_DB"] == database
    # Docker's stop timeout must leave the daemon its grace period.
    grace = float(env["SOURCEWATCH_SCHEDULER__GRACE_SECONDS"])
    assert float(replica["stop_grace_period"].rstrip("s")) > grace


def test_compose_starts_the_second_replica_after_the_first_migrated() -> None:
    depends = COMPOSE["services"]["sourcewatch-2"]["depends_on"]
    assert depends["sourcewatch-1"]["condition"] == "service_healthy"


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = (REPO / ".dockerignore").read_text().split()
    for name in (".git", ".venv", "storage"):
        assert name in ignored


DOCKER_DEFAULT_STOP_SECONDS = 10.0


def test_the_image_stops_within_dockers_default_timeout() -> None:
    """`docker stop` kills after 10 s unless --stop-timeout says otherwise: the image's
    grace period must end before that (the daemon took 11.8 s with grace 20)."""
    grace = float(dockerfile_env()["SOURCEWATCH_SCHEDULER__GRACE_SECONDS"])
    assert grace + 1 < DOCKER_DEFAULT_STOP_SECONDS


def test_telegram_login_has_a_default_session_path_in_the_image() -> None:
    """HOME is the WORKDIR (the source tree, where a session is refused): the user config
    dir must be elsewhere, on the data volume so the session survives the container."""
    env = dockerfile_env()
    workdir = Path(re.findall(r"^WORKDIR (\S+)", DOCKERFILE, re.M)[-1])
    config_home = Path(env["XDG_CONFIG_HOME"])
    assert workdir not in (config_home, *config_home.parents)
    assert Path(env["SOURCEWATCH_DATA_DIR"]) in config_home.parents


BASE_IMAGE = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)[0]


def _podman_with_base_image() -> str | None:
    """Why the image cannot be built here, or None when it can: podman installed and the
    base image already present (there is no registry to pull it from offline)."""
    podman = shutil.which("podman")
    if podman is None:
        return "podman is not installed"
    found = subprocess.run([podman, "image", "exists", BASE_IMAGE], capture_output=True, timeout=60)
    if found.returncode != 0:
        return f"base image {BASE_IMAGE} is not in podman's local storage (no registry here)"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_podman_with_base_image() is not None, reason=str(_podman_with_base_image()))
def test_the_image_builds_and_runs_init_health_and_run_once(tmp_path: Path) -> None:
    tag = "localhost/sourcewatch-test:latest"
    build = subprocess.run(
        ["podman", "build", "-t", tag, str(REPO)], capture_output=True, text=True, timeout=1800
    )
    assert build.returncode == 0, build.stderr[-3000:]
    volume = tmp_path / "data"
    volume.mkdir(mode=0o777)
    volume.chmod(0o777)

    def inside(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["podman", "run", "--rm", "--network=none", "-v", f"{volume}:/data",
             "--entrypoint", "sourcewatch", tag, *args],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    init = inside("init")
    assert init.returncode == 0, init.stderr
    assert "schema" in init.stdout
    health = inside("health")  # no daemon beats yet: unhealthy, but it answers
    assert health.returncode == 1 and "heartbeat" in health.stderr
    once = inside("run", "--once")
    assert once.returncode in (0, 1), once.stderr  # offline: sources fail, none crash
    assert "source(s) polled" in once.stdout


def test_compose_serves_the_web_view_only_behind_the_tls_proxy() -> None:
    services = COMPOSE["services"]
    web, proxy = services["web"], services["proxy"]
    command = web["command"]
    assert command[:2] == ["sourcewatch", "serve"] and "--behind-proxy" in command
    assert "ports" not in web  # reachable from the proxy alone
    for name in web["environment"]:
        setting_for(name)
    assert (
        web["environment"]["SOURCEWATCH_DATABASE_URL"]
        == (services["sourcewatch-1"]["environment"]["SOURCEWATCH_DATABASE_URL"])
    )
    assert "443:443" in proxy["ports"]
    caddyfile = REPO / proxy["volumes"][0].split(":")[0]
    assert "reverse_proxy web:8080" in caddyfile.read_text()
    assert ".[postgres,web]" in DOCKERFILE  # the image has the web extra
