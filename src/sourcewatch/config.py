"""Settings: built-in defaults, then ``config/sourcewatch.toml``, then ``SOURCEWATCH_*``.

Every setting is a field below. Nested sections map to env vars with a double
underscore: ``[net] max_body_bytes`` is ``SOURCEWATCH_NET__MAX_BODY_BYTES``.
Secrets (Telegram api_hash and session, the X bearer token) are read from the
environment or from files outside the repo, and are ``SecretStr`` so they never
print in logs or reprs.
"""

from __future__ import annotations

import difflib
import json
import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from sourcewatch.configsource import (
    ENV_PREFIX,
    ConfigError,
    environment_entries,
    locate_config,
    origins,
    read_config_file,
    resolve_paths,
    workspace_root,
)
from sourcewatch.coresettings import CORE_DEFAULTS, CORE_SETTINGS, CoreSettings
from sourcewatch.text import redact

MiB = 1024 * 1024


class NetSettings(BaseModel):
    """Policy of the one shared HTTP client (``sourcewatch.net``)."""

    model_config = {"extra": "forbid"}

    user_agent: str = "sourcewatch/0.1 (source monitor; +https://example.invalid/sourcewatch)"
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0  # whole exchange, body included
    max_body_bytes: int = 20 * MiB  # on the wire; the stream is aborted past it
    max_decompressed_bytes: int = 50 * MiB  # after gzip/deflate/brotli
    max_redirects: int = 5
    retries: int = 3  # on connect errors, 5xx and 429
    backoff_base: float = 1.0  # seconds; doubled each retry, with jitter
    backoff_max: float = 60.0
    max_retry_after: float = 300.0  # a longer Retry-After is an error for this poll
    per_host_concurrency: int = 2
    per_host_interval: float = 1.0  # minimum seconds between requests to one host
    proxy: str | None = None  # default proxy; a source's own `proxy` wins
    allow_private_addresses: bool = False  # for snapshot/cite of arbitrary URLs


class MediaSettings(BaseModel):
    model_config = {"extra": "forbid"}

    max_bytes: int = 50 * MiB  # larger media are recorded by URL and size, not fetched


class TelegramSettings(BaseModel):
    model_config = {"extra": "forbid"}

    web_base_url: str = "https://t.me"
    backfill_pages: int = 3  # pages of ~20 posts read backwards on a channel's first poll
    recheck_window_hours: float = 48.0
    api_id: int | None = None
    api_hash: SecretStr | None = None
    session: SecretStr | None = None  # a Telethon StringSession
    session_file: Path | None = None  # or a session file outside the repo
    flood_wait_cap_seconds: float = 300.0


class XSettings(BaseModel):
    model_config = {"extra": "forbid"}

    api_base_url: str = "https://api.x.com"
    syndication_base_url: str = "https://cdn.syndication.twimg.com"
    oembed_base_url: str = "https://publish.twitter.com"
    bearer_token: SecretStr | None = None
    daily_read_budget: int = 10_000  # posts read per source per day
    page_size: int = Field(default=100, ge=10, le=100)  # max_results per API page
    max_pages_per_poll: int = Field(default=10, ge=1)  # the rest waits for the next poll
    first_poll_posts: int = Field(default=100, ge=10)  # a new source reads only the newest N
    download_media: bool = True  # archive photos/videos (up to media.max_bytes each)


class SchedulerSettings(BaseModel):
    """The daemon (``sourcewatch run``): ticks, leases, backoff, maintenance, health."""

    model_config = {"extra": "forbid"}

    tick_seconds: float = Field(default=2.0, gt=0)  # how often due sources are claimed
    # Polls fetching at once per replica (per host: net settings); as many more may wait
    # for the database with their results.
    max_concurrent_polls: int = Field(default=50, ge=1)
    # A claimed source's lease: renewed while its poll runs, when it would end within
    # grace_seconds + 2 ticks.
    lease_seconds: float = Field(default=120.0, gt=0)
    poll_timeout_seconds: float = Field(default=900.0, gt=0)  # a longer poll is abandoned
    grace_seconds: float = Field(default=20.0, ge=0)  # on SIGTERM, for in-flight polls
    jitter_fraction: float = Field(default=0.1, ge=0, le=0.5)  # +-share of the interval
    backoff_cap_seconds: float = Field(default=6 * 3600.0, gt=0)  # longest failure backoff
    ingest_retry_seconds: float = Field(default=60.0, ge=0)  # retry a failed DB write so long
    recheck_window_hours: float = Field(default=48.0, ge=0)  # items younger are re-checked
    recheck_every_seconds: float = Field(default=3600.0, gt=0)  # per source
    verify_every_hours: float = Field(default=24.0, gt=0)  # `verify --quick`
    citations_every_hours: float = Field(default=168.0, gt=0)  # re-check of cited URLs
    heartbeat_seconds: float = Field(default=10.0, gt=0)
    heartbeat_stale_seconds: float = Field(default=60.0, gt=0)  # `health` fails past this
    metrics_port: int | None = Field(default=None, ge=1, le=65535)  # None: no /metrics
    metrics_host: str = "127.0.0.1"
    alerts_every_seconds: float = Field(default=5.0, gt=0)  # outbox delivery run
    parse_processes: int = Field(default=1, ge=0, le=32)  # 0: parse on threads in-process
    # Bytes of feed and article bodies held at once across all polls, from before the
    # first byte is read (by Content-Length) to the end of the parse (a larger body goes
    # alone); polls over it wait their turn (collectors/bytebudget.py).
    parse_budget_bytes: int = Field(default=32 * MiB, ge=1 * MiB)
    # A body that waits longer for room is not read: its poll fails with a "deferred"
    # error and is retried (an article stays pending). Under net.total_timeout.
    parse_budget_wait_seconds: float = Field(default=60.0, gt=0)
    # A parse worker that parsed a body this large is replaced afterwards, so the memory it
    # grew to goes back to the system; 0: never.
    parse_recycle_bytes: int = Field(default=4 * MiB, ge=0)
    # The daemon and its parse workers give every freed block of this size or more back
    # to the system at once (glibc M_MMAP_THRESHOLD, sourcewatch/malloc.py); 0: glibc's
    # default, which keeps the high-water mark of large bodies and trees.
    malloc_mmap_threshold_bytes: int = Field(default=128 * 1024, ge=0, le=32 * MiB)
    # This replica's stable name (default: the host name): a restarted replica takes back
    # the leases of its previous life at once (daemon/identity.py).
    replica_name: str | None = Field(default=None, min_length=1, max_length=150)

    @model_validator(mode="after")
    def _leases_outlive_ticks_and_grace(self) -> SchedulerSettings:
        # Leases are renewed by ticks but not during the shutdown grace period: a lease
        # shorter than either would let another replica take a source still being polled.
        if self.lease_seconds <= max(2 * self.tick_seconds, self.grace_seconds):
            raise ValueError(
                f"scheduler.lease_seconds ({self.lease_seconds:g}) must be longer than both "
                f"2 x tick_seconds ({2 * self.tick_seconds:g}) and grace_seconds "
                f"({self.grace_seconds:g})"
            )
        return self


class AlertSettings(BaseModel):
    """One ``[[alerts]]`` channel: where to send (an Apprise URL), when, and how often.

    Triggers that are set must all hold; a list holds when any of its values does, and
    ``entities`` and ``rules`` together are one trigger (either list may match).
    """

    model_config = {"extra": "forbid"}

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
    url: str = Field(min_length=1)  # Apprise URL; ${ENV_VAR} references expand at send time
    mode: Literal["immediate", "digest"] = "immediate"
    digest_every_hours: float = Field(default=24.0, gt=0)
    min_priority: int = Field(default=0, ge=0)
    areas: list[str] = Field(default_factory=list)
    entities: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    max_per_minute: int = Field(default=10, ge=1)  # messages, a digest counts as one
    flood_threshold: int = Field(default=20, ge=1)  # more entries waiting: one digest instead


class EvidenceSettings(BaseModel):
    """WARC files of every fetch, evidence bundles and RFC 3161 timestamps (opt-in)."""

    model_config = {"extra": "forbid"}

    warc_max_bytes: int = Field(default=1024 * MiB, gt=0)  # a WARC file is rolled over past it
    tsa_url: str | None = None  # RFC 3161 Time-Stamp Authority; None: nothing is ever sent
    tsa_ca_file: Path | None = None  # PEM CA (chain) the TSA's tokens are verified against
    tsa_timeout_seconds: float = Field(default=30.0, gt=0)
    timestamp_every_hours: float = Field(default=24.0, gt=0)  # capture-log head (daemon)
    # Save Page Now endpoint, used only by `snapshot --submit-wayback` (never by default).
    wayback_save_url: str = "https://web.archive.org/save/"

    @model_validator(mode="after")
    def _tokens_are_verified(self) -> EvidenceSettings:
        # A token that cannot be checked against the TSA's chain proves nothing.
        if self.tsa_url and self.tsa_ca_file is None:
            raise ValueError("evidence.tsa_url needs evidence.tsa_ca_file to verify its tokens")
        return self


class LibreTranslateSettings(BaseModel):
    """A self-hosted LibreTranslate server (``translate/libretranslate``): text sent to it
    stays on machines the team runs."""

    model_config = {"extra": "forbid"}

    url: str = "http://127.0.0.1:5000"  # the server's base URL (/translate, /languages, /detect)
    api_key: SecretStr | None = None  # only if the server runs with --api-keys
    model: str | None = None  # what to record as the model (its API does not say); default: url
    max_texts_per_request: int = Field(default=25, ge=1, le=1000)  # a server's --batch-limit


class DeepLSettings(BaseModel):
    """The DeepL API (``translate/deepl``): a third party. Text goes to it only for the
    areas and sources listed in ``[translate] third_party_areas`` / ``third_party_sources``."""

    model_config = {"extra": "forbid"}

    # Free-plan keys (ending in ":fx") use https://api-free.deepl.com.
    url: str = "https://api.deepl.com"
    # The key is read from this environment variable only, never from a file in the repo.
    api_key_env: str = Field(default="DEEPL_AUTH_KEY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    english_variant: Literal["EN-GB", "EN-US"] = "EN-GB"  # DeepL wants a variant for "en"
    max_texts_per_request: int = Field(default=50, ge=1, le=50)  # the API's limit


class TranslateSettings(BaseModel):
    """``[translate]``: nothing is translated, and no text leaves the machine, unless an
    engine is configured here. An item goes to the first engine listed that may see it."""

    model_config = {"extra": "forbid"}

    engines: list[Literal["libretranslate", "deepl"]] = Field(default_factory=list)
    target: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
    # Languages (item.language codes) the daemon translates in the background for queued
    # items; empty: no background translation (on-demand only).
    background_languages: list[str] = Field(default_factory=list)
    # Third-party engines (deepl) are used only for items in one of these areas or from one
    # of these sources; both empty: never (OPSEC: an analyst must choose this).
    third_party_areas: list[str] = Field(default_factory=list)
    third_party_sources: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(default=30.0, gt=0)  # one request, body included
    max_response_bytes: int = Field(default=4 * MiB, gt=0)
    max_chars_per_item: int = Field(default=20_000, ge=100)  # longer texts are cut (and said so)
    min_interval_seconds: float = Field(default=0.5, ge=0)  # between requests to one server
    batch_size: int = Field(default=20, ge=1, le=500)  # revisions per background run
    every_seconds: float = Field(default=30.0, gt=0)  # background run interval
    backoff_base_seconds: float = Field(default=30.0, gt=0)  # after a failed run, doubled
    backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    libretranslate: LibreTranslateSettings = Field(default_factory=LibreTranslateSettings)
    deepl: DeepLSettings = Field(default_factory=DeepLSettings)

    @field_validator("engines")
    @classmethod
    def _engines_once(cls, engines: list[str]) -> list[str]:
        if len(set(engines)) != len(engines):
            raise ValueError("translate.engines lists an engine twice")
        return engines


class Settings(BaseModel):
    """Everything configurable. See ``config/sourcewatch.toml`` for the commented file.

    Constructing one directly takes only what it is given; ``load_settings`` layers the
    file and the environment.
    """

    model_config = {"extra": "forbid"}

    # The core settings' defaults are CoreSettings' (coresettings reads them without us).
    data_dir: Path = CORE_DEFAULTS.data_dir
    database_url: str | None = CORE_DEFAULTS.database_url  # None: sqlite in data_dir
    sources_file: Path = CORE_DEFAULTS.sources_file
    watchlists_dir: Path = CORE_DEFAULTS.watchlists_dir
    analyst: str | None = CORE_DEFAULTS.analyst  # who marks triage entries; else the OS user
    log_level: str = "INFO"
    sqlite_busy_timeout_ms: int = CORE_DEFAULTS.sqlite_busy_timeout_ms
    # One item's text (a post, a feed entry, an article) is cut past this many characters,
    # at the parser, and the cut said in the text and in extra["text_cut"]; the raw capture
    # keeps every byte (sourcewatch.text.cut). Bounds memory under hostile sources. At most
    # 8 M: libxml2 gives an empty text for a text node over 10 MB (a silent loss).
    max_item_text_chars: int = Field(default=1_000_000, ge=1_000, le=8_000_000)

    net: NetSettings = Field(default_factory=NetSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    x: XSettings = Field(default_factory=XSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings)
    alerts: list[AlertSettings] = Field(default_factory=list)  # [[alerts]] channels
    translate: TranslateSettings = Field(default_factory=TranslateSettings)

    @field_validator("alerts")
    @classmethod
    def _alert_names_are_unique(cls, alerts: list[AlertSettings]) -> list[AlertSettings]:
        names = [alert.name for alert in alerts]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"[[alerts]] names must be unique; repeated: {', '.join(repeated)}")
        return alerts

    # Set by load_settings(); not settings of their own (``sourcewatch where`` shows them).
    config_file: Path | None = Field(default=None, exclude=True)
    config_reason: str = Field(default="built-in defaults", exclude=True)
    origins: dict[str, str] = Field(default_factory=dict, exclude=True)

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warc"

    @property
    def resolved_database_url(self) -> str:
        return self.core.resolved_database_url

    @property
    def core(self) -> CoreSettings:
        """The settings that locate the workspace, as ``load_core_settings`` reads them."""
        return CoreSettings(
            **{name: getattr(self, name) for name in CORE_SETTINGS},
            config_file=self.config_file,
            config_reason=self.config_reason,
            origins=dict(self.origins),
            requested_config=self.config_file,
        )


def environment_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings named by ``SOURCEWATCH_*`` variables, as nested dicts.

    ``SOURCEWATCH_NET__RETRIES=1`` is ``{"net": {"retries": "1"}}`` (pydantic converts the
    text); a list, dict or section given whole (``SOURCEWATCH_ALERTS='[...]'``) is JSON.
    Names are case-insensitive. A top-level name that is no setting is not ours to judge
    (``SOURCEWATCH_CONFIG`` names the file, tests use ``SOURCEWATCH_TEST_*``), but a
    misspelt key inside a section is an error rather than a silently ignored setting.
    """
    layer: dict[str, Any] = {}
    for key, path, raw in environment_entries(environ):
        model: type[BaseModel] = Settings
        target = layer
        for depth, name in enumerate(path):
            field = model.model_fields.get(name)
            if field is None or field.exclude:
                if depth == 0:
                    break
                raise ConfigError(f"{key}: [{'.'.join(path[:depth])}] has no setting {name!r}")
            if depth == len(path) - 1:
                target[name] = _env_value(key, raw, field.annotation)
                break
            section = _section_model(field.annotation)
            if section is None:
                raise ConfigError(f"{key}: {'.'.join(path[: depth + 1])} is not a section")
            nested = target.setdefault(name, {})
            if not isinstance(nested, dict):
                raise ConfigError(
                    f"{key}: {name} is also given whole by {ENV_PREFIX}{name.upper()}"
                )
            target, model = nested, section
    return layer


def _section_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _is_structured(annotation: Any) -> bool:
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_structured(arg) for arg in get_args(annotation) if arg is not type(None))
    origin = get_origin(annotation) or annotation
    return origin in (list, tuple, dict, set) or _section_model(annotation) is not None


def _env_value(key: str, raw: str, annotation: Any) -> Any:
    if not _is_structured(annotation):
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{key}: expected JSON for this setting: {exc}") from exc


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def check_known_keys(
    data: Mapping[str, Any], model: type[BaseModel], file: Path, section: str = ""
) -> None:
    """Refuse a key no setting has, naming file, section and key: a misspelt
    ``[net] retrys = 3`` would otherwise be silently ignored."""
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None or field.exclude:
            known = [name for name, f in model.model_fields.items() if not f.exclude]
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            where = section or "the top level"
            raise ConfigError(f"{file}: {where} has no setting {key!r}{hint}")
        nested = _section_model(field.annotation)
        if nested is None:
            continue
        if isinstance(value, Mapping):
            check_known_keys(value, nested, file, f"[{key}]")
        elif isinstance(value, list):
            for number, entry in enumerate(value, start=1):
                if isinstance(entry, Mapping):
                    check_known_keys(entry, nested, file, f"[[{key}]] #{number}")


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Load settings for a command: built-in defaults, then the TOML file, then the
    ``SOURCEWATCH_*`` environment, then ``overrides`` (tests use them), each overriding
    the one before key by key. Relative paths in the file are relative to its
    ``workspace_root``; those from the environment, to the current directory."""
    path, reason = locate_config(config_file)
    data: dict[str, Any] = {}
    if path is not None:
        data = read_config_file(path)
        check_known_keys(data, Settings, path)
        data = resolve_paths(data, workspace_root(path))
    env = environment_layer(os.environ)
    where_from = origins(data, env, path)
    where_from.update({key: "given by the caller" for key in overrides if key in where_from})
    data = _deep_merge(_deep_merge(data, env), overrides)
    try:
        settings = Settings.model_validate(data)
    except ValueError as exc:
        where = path if path is not None else "environment"
        raise ConfigError(f"invalid settings ({where}): {exc}") from exc
    settings.config_file = path
    settings.config_reason = reason
    settings.origins = where_from
    redact.register(secret_values(settings))
    return settings


def secret_values(model: BaseModel) -> list[str]:
    """Every ``SecretStr`` value in ``model`` and its nested settings."""
    found: list[str] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, BaseModel):
            found.extend(secret_values(value))
        elif isinstance(value, list | tuple):
            found.extend(
                v for item in value if isinstance(item, BaseModel) for v in secret_values(item)
            )
    return found
