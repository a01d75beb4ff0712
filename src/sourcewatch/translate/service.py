"""Translating items: pick the engine the policy allows, skip what is already translated,
send the texts, store the result. One path for ``sourcewatch translate``, ``show
--translate``, the triage key and the daemon's background job.

The database is reached through short calls on a thread (``asyncio.to_thread``), never
while a request to a translation server is waiting: a slow server holds no lock and no
transaction, so ingest never waits for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sourcewatch.config import Settings
from sourcewatch.errors import SourcewatchError
from sourcewatch.records import utcnow
from sourcewatch.store.tables import ITEM, ITEM_REVISION, SOURCE, TRIAGE, TRIAGE_ITEM
from sourcewatch.translate.engine import Engine, Language, TranslateError
from sourcewatch.translate.http import service_http
from sourcewatch.translate.policy import ItemScope, NotAllowed, choose_engine
from sourcewatch.translate.registry import build_engine
from sourcewatch.translate.store import (
    NewTranslation,
    StoredTranslation,
    find_translation,
    latest_translation,
    save_translation,
)

TRANSLATED, ALREADY, NO_ENGINE, FAILED, NOTHING = (
    "translated",
    "already translated",
    "no engine allowed",
    "failed",
    "nothing to translate",
)


class NoEngineConfigured(SourcewatchError):
    """``[translate] engines`` is empty: nothing may leave the machine."""


@dataclass(frozen=True)
class Candidate:
    """An item's current revision, as a translation request needs it."""

    item_id: int
    revision_id: int
    revision: int
    title: str | None
    text: str
    language: str | None
    scope: ItemScope


@dataclass
class Outcome:
    item_id: int
    status: str
    translation: StoredTranslation | None = None
    engine: str | None = None
    error: TranslateError | None = None
    original: Candidate | None = None  # the revision that was (to be) translated

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "status": self.status,
            "engine": self.engine,
            "error": str(self.error) if self.error else None,
            "translation": self.translation.to_json() if self.translation else None,
        }


# What candidate_of reads, and the join to the revision it reads it from: every query
# that builds a Candidate (here, and the daemon's background job) selects these.
CANDIDATE_COLUMNS = (
    ITEM.c.id,
    ITEM.c.language,
    ITEM_REVISION.c.id.label("revision_id"),
    ITEM_REVISION.c.revision,
    ITEM_REVISION.c.title,
    ITEM_REVISION.c.text,
    SOURCE.c.name,
    SOURCE.c.areas,
    TRIAGE.c.areas.label("entry_areas"),
)
CURRENT_REVISION = sa.and_(
    ITEM_REVISION.c.item_id == ITEM.c.id, ITEM_REVISION.c.revision == ITEM.c.revision
)


def candidates(conn: sa.Connection, item_ids: Sequence[int]) -> dict[int, Candidate]:
    """Item id -> its current revision, language, source and areas (source's and the
    triage entry's). Items that do not exist are absent."""
    rows = conn.execute(
        sa.select(*CANDIDATE_COLUMNS)
        .join(ITEM_REVISION, CURRENT_REVISION)
        .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
        .outerjoin(TRIAGE_ITEM, TRIAGE_ITEM.c.item_id == ITEM.c.id)
        .outerjoin(TRIAGE, TRIAGE.c.id == TRIAGE_ITEM.c.triage_id)
        .where(ITEM.c.id.in_(list(item_ids) or [-1]))
    )
    return {row.id: candidate_of(row) for row in rows}


def candidate_of(row: Any) -> Candidate:
    areas = tuple(dict.fromkeys([*(row.areas or []), *(row.entry_areas or [])]))
    return Candidate(
        item_id=row.id,
        revision_id=row.revision_id,
        revision=row.revision,
        title=row.title,
        text=row.text or "",
        language=row.language,
        scope=ItemScope(row.name, areas),
    )


class Translator:
    """Translates candidates with the engines ``settings.translate`` allows, built once
    per translator over one HTTP client (use as an async context manager)."""

    def __init__(self, settings: Settings, engine: sa.Engine) -> None:
        self.settings = settings
        self.policy = settings.translate
        self.db = engine
        self.http = service_http(settings.net, settings.translate)
        self._engines: dict[str, Engine] = {}

    async def __aenter__(self) -> Translator:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.http.aclose()

    def engine(self, name: str) -> Engine:
        if name not in self._engines:
            self._engines[name] = build_engine(name, self.policy, self.http)
        return self._engines[name]

    async def translate(
        self, candidate: Candidate, *, target: str | None = None, wanted: str | None = None
    ) -> Outcome:
        """Translate one candidate (title and text) unless already done; store it."""
        outcome = await self._translate(candidate, target, wanted)
        outcome.original = candidate
        return outcome

    async def _translate(
        self, candidate: Candidate, target: str | None, wanted: str | None
    ) -> Outcome:
        target = (target or self.policy.target).lower()
        name = choose_engine(self.policy, candidate.scope, wanted)
        if name is None:
            return Outcome(candidate.item_id, NO_ENGINE)
        existing = await asyncio.to_thread(self._existing, candidate.revision_id, target, name)
        if existing is not None:
            return Outcome(candidate.item_id, ALREADY, existing, name)
        if not candidate.text.strip() and not (candidate.title or "").strip():
            return Outcome(candidate.item_id, NOTHING, engine=name)
        try:
            new = await self._request(self.engine(name), candidate, target)
        except TranslateError as exc:
            return Outcome(candidate.item_id, FAILED, engine=name, error=exc)
        stored = await asyncio.to_thread(self._store, new)
        return Outcome(candidate.item_id, TRANSLATED if stored[0] else ALREADY, stored[1], name)

    async def _request(self, engine: Engine, candidate: Candidate, target: str) -> NewTranslation:
        limit = self.policy.max_chars_per_item
        text = candidate.text[:limit]
        texts = [candidate.title, text] if candidate.title else [text]
        source = candidate.language if candidate.language else None
        results = await engine.translate(texts, source, target)
        body = results[-1]
        return NewTranslation(
            item_id=candidate.item_id,
            revision_id=candidate.revision_id,
            engine=engine.name,
            model=body.model,
            source_language=body.source_language,
            target_language=target,
            title=results[0].text if candidate.title else None,
            text=body.text,
            truncated=len(candidate.text) > limit,
        )

    def _existing(self, revision_id: int, target: str, engine: str) -> StoredTranslation | None:
        with self.db.connect() as conn:
            return find_translation(conn, revision_id, target, engine)

    def _store(self, new: NewTranslation) -> tuple[bool, StoredTranslation | None]:
        with self.db.begin() as conn:
            stored = save_translation(conn, new, utcnow())
            return stored, find_translation(conn, new.revision_id, new.target_language, new.engine)


async def translate_items(
    settings: Settings,
    engine: sa.Engine,
    item_ids: Sequence[int],
    *,
    target: str | None = None,
    wanted: str | None = None,
) -> list[Outcome]:
    """On demand (``sourcewatch translate``, ``show --translate``, triage's ``t``): each
    item's current revision, in the order given. An item that does not exist is a
    ``failed`` outcome naming it; NoEngineConfigured when no engine is configured."""
    if not settings.translate.engines:
        raise NoEngineConfigured(
            "no translation engine is configured: set [translate] engines (see "
            "docs/reference/translate.md); nothing is sent anywhere until you do"
        )

    def load() -> dict[int, Candidate]:
        with engine.connect() as conn:
            return candidates(conn, item_ids)

    found = await asyncio.to_thread(load)
    outcomes = []
    async with Translator(settings, engine) as translator:
        for item_id in item_ids:
            candidate = found.get(item_id)
            if candidate is None:
                missing = TranslateError("translate", f"no item {item_id}", retryable=False)
                outcomes.append(Outcome(item_id, FAILED, error=missing))
                continue
            outcomes.append(await translator.translate(candidate, target=target, wanted=wanted))
    return outcomes


def translate_now(
    settings: Settings,
    engine: sa.Engine,
    item_ids: Sequence[int],
    *,
    target: str | None = None,
    wanted: str | None = None,
) -> list[Outcome]:
    """:func:`translate_items` for a command (runs its own event loop)."""
    return asyncio.run(translate_items(settings, engine, item_ids, target=target, wanted=wanted))


def translation_for_show(
    settings: Settings,
    engine: sa.Engine,
    item_id: int,
    *,
    target: str | None = None,
    wanted: str | None = None,
) -> tuple[StoredTranslation | None, Outcome | None]:
    """For ``show --translate`` and triage's ``t``: translate the item now if an engine
    is configured (never twice: a stored translation is reused), then the newest stored
    translation of its current revision to ``target``, and what the attempt did (None
    when no engine is configured: a translation stored earlier is still shown)."""
    target = (target or settings.translate.target).lower()
    outcome = None
    if settings.translate.engines:
        outcome = translate_now(settings, engine, [item_id], target=target, wanted=wanted)[0]
    with engine.connect() as conn:
        return latest_translation(conn, item_id, target), outcome


def engine_languages(settings: Settings, wanted: str | None = None) -> tuple[str, list[Language]]:
    """``translate --languages``: the languages the configured engine (``wanted``, else the
    first) translates from and to. Sends no item text, only the request for the list."""
    if not settings.translate.engines:
        raise NoEngineConfigured(
            "no translation engine is configured: set [translate] engines first"
        )
    name = wanted or settings.translate.engines[0]
    if name not in settings.translate.engines:
        configured = ", ".join(settings.translate.engines)
        raise NotAllowed(f"engine {name!r} is not configured (configured: {configured})")

    async def ask() -> list[Language]:
        async with service_http(settings.net, settings.translate) as http:
            return await build_engine(name, settings.translate, http).languages()

    return name, asyncio.run(ask())
