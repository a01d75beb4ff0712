"""Running a search: index candidates, the matcher's verdict, hits with snippets.

The word index (FTS5 / tsvector) proposes documents in rank order (BM25 on SQLite,
ts_rank on PostgreSQL) or newest first; each is read back as the text the matcher
sees and kept only if the query, compiled as a one-rule matcher, fires on it. So a hit
on SQLite is a hit on PostgreSQL, and a hit is what ``match`` would call a hit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY

from sourcewatch.matching.matcher import Matcher
from sourcewatch.matching.watchlist import Entity, Rule, Watchlists
from sourcewatch.records import iso_utc
from sourcewatch.search import facets, prefilter
from sourcewatch.search.index import revision_texts
from sourcewatch.search.query import SearchQuery
from sourcewatch.search.snippet import Snippet, make_snippet
from sourcewatch.store.sql import chunked
from sourcewatch.store.tables import (
    ITEM,
    ITEM_REVISION,
    MATCH,
    SEARCH_DOC,
    SOURCE,
    TRIAGE,
    TRIAGE_FACET,
    TRIAGE_ITEM,
)

RULE_ID = "search"
_WORDS: Any = sa.literal_column("search_doc.words")  # generated column (migration 0012)
_BATCH = 400  # candidates fetched from the index at a time
_VERIFY_GROUP = 40  # candidates read back and verified at a time
# BM25 over the words only: the facets column (weight 0) narrows, it does not score.
_BM25 = "bm25(search_fts, 1.0, 0.0)"


@dataclass(frozen=True)
class SearchFilter:
    """Which items a search looks at; empty tuples mean any."""

    sources: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # source kinds (telegram, x, feed, web, wordpress)
    since: datetime | None = None
    until: datetime | None = None
    deleted: bool = False  # only items deleted at the source
    edited: bool = False  # only items with more than one revision

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "areas": list(self.areas),
            "entities": list(self.entities),
            "langs": list(self.langs),
            "tags": list(self.tags),
            "statuses": list(self.statuses),
            "kinds": list(self.kinds),
            "since": iso_utc(self.since),
            "until": iso_utc(self.until),
            "deleted": self.deleted,
            "edited": self.edited,
        }


@dataclass
class Hit:
    item_id: int
    source: str
    kind: str
    url: str | None
    title: str | None
    at: datetime  # published, else collected
    revision: int  # the best-ranked revision that matched
    current_revision: int
    revisions: list[int]  # every revision that matched
    deleted: bool
    score: float
    snippet: Snippet | None = None
    offsets: list[tuple[int, int]] = field(default_factory=list)  # in the revision's text
    # "original", or "translation (engine, language)" for a hit in a stored translation
    # (search/translations): then the snippet and offsets are in the translation's text.
    matched_in: str = "original"

    def to_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "source": self.source,
            "kind": self.kind,
            "url": self.url,
            "title": self.title,
            "time": iso_utc(self.at),
            "revision": self.revision,
            "current_revision": self.current_revision,
            "matched_revisions": self.revisions,
            "edited_away": self.revision != self.current_revision
            and self.current_revision not in self.revisions,
            "deleted": self.deleted,
            "score": round(self.score, 4),
            "snippet": self.snippet.text if self.snippet else "",
            "snippet_offsets": [list(s) for s in self.snippet.spans] if self.snippet else [],
            "match_offsets": [list(o) for o in self.offsets],
            "matched_in": self.matched_in,
        }


def query_matcher(query: SearchQuery, entities: dict[str, Entity]) -> Matcher:
    """The query as a watchlist with one rule (the entities only when it names some:
    an ambiguous alias needs the other entities of its area, as in matching)."""
    rule = Rule(RULE_ID, query.rule, query.node, 1, (), "search")
    used = entities if query.entities else {}
    return Matcher(Watchlists(directory=Path("."), entities=dict(used), rules=[rule]))


class Searcher:
    """One query over one connection."""

    def __init__(
        self, conn: sa.Connection, query: SearchQuery, entities: dict[str, Entity]
    ) -> None:
        self.conn = conn
        self.query = query
        self.matcher = query_matcher(query, entities)
        self.spec = prefilter.build(query.node, entities)
        self.postgres = conn.dialect.name == "postgresql"
        self._force_index = False  # see _candidates and _execute
        self._facets: facets.Constraint = ()  # the filter's facet tokens (_candidates)
        self._areas: tuple[str, ...] = ()  # PostgreSQL: --area, narrowed in the index too

    def hits(self, where: SearchFilter, *, limit: int, newest: bool = False) -> list[Hit]:
        """The best ``limit`` items (or the newest), each with its snippet."""
        found: dict[int, Hit] = {}
        texts: dict[int, str] = {}  # the text of each hit's best revision, for its snippet
        for batch in self._candidates(where, newest=newest):
            for row, text in self._verified(batch):
                hit = found.get(row.item_id)
                if hit is None:
                    found[row.item_id] = hit_from_row(row)
                    texts[row.item_id] = text
                    if len(found) >= limit:
                        break
                elif row.revision not in found[row.item_id].revisions:
                    found[row.item_id].revisions.append(row.revision)
            if len(found) >= limit:
                break
        hits = list(found.values())
        self._complete_revisions([hit for hit in hits if hit.current_revision > 1])
        for hit in hits:
            self.add_snippet(hit, texts[hit.item_id])
        return hits

    def matching_items(self, where: SearchFilter) -> list[Any]:
        """Every item that matches (one row each: item id, source, areas, time)."""
        seen: dict[int, Any] = {}
        for batch in self._candidates(where, newest=True):
            for row, _ in self._verified(batch):
                seen.setdefault(row.item_id, row)
        return list(seen.values())

    # -- candidates from the word index ---------------------------------------------------

    def _candidates(self, where: SearchFilter, *, newest: bool) -> Iterator[Sequence[Any]]:
        if self.spec == prefilter.NEVER:
            return
        self._facets = facet_constraint(self.conn, where)
        self._areas = where.areas if self.postgres else ()
        if any(not group for group in self._facets):  # no source of these kinds, ...
            return
        clauses = filter_clauses(self.conn, where)
        # Not with the filters that are subqueries (area, entity, status, tag): without
        # sequential scans PostgreSQL then read the whole item table by its index.
        self._force_index = not (where.areas or where.entities or where.statuses or where.tags)
        if self.postgres and documents_decide(where):
            yield from self._pg_ranked_alone(where, clauses, newest=newest)
            return
        # Ranked in the index alone when the index answers the whole filter (none, or
        # only facets that are exact: source, kind, language); PostgreSQL: above.
        alone = not self.postgres and not newest and (not clauses or facets_decide(where))
        query, score, scored = self._candidate_query(clauses, newest=newest, alone=alone)
        if alone:
            yield from self._best_first(query, score, scored)
            return
        # The first batch with LIMIT (a bounded top-N sort: usually all a page needs);
        # the rest, if wanted, from one query read in batches (a server-side cursor on
        # PostgreSQL), so the ranking is not recomputed per batch.
        first = self._execute(query.limit(_BATCH)).all()
        if not first:
            return
        yield first
        if len(first) < _BATCH:
            return
        yield from self._streamed(query.offset(_BATCH))

    def _best_first(
        self, query: sa.Select[Any], score: Any, scored: Any
    ) -> Iterator[Sequence[Any]]:
        """Best first without filters: only the documents scoring at least the
        ``_BATCH``-th best score are joined to their item (all of them, so ties keep
        their order), not every candidate; the rest, below that score, only if needed.
        The score is still computed once per candidate (ranking needs all of them)."""
        kth = (
            sa.select(score).select_from(scored).order_by(score.desc()).offset(_BATCH - 1).limit(1)
        ).scalar_subquery()
        first = self._execute(query.where(score >= sa.func.coalesce(kth, score))).all()
        if not first:
            return
        yield first
        if len(first) < _BATCH:  # no _BATCH-th document: these were all
            return
        yield from self._streamed(query.where(score < first[-1].score))

    def _pg_ranked_alone(
        self, where: SearchFilter, clauses: list[Any], *, newest: bool
    ) -> Iterator[Sequence[Any]]:
        """PostgreSQL, when the documents decide the filter (facets, and the time each
        document copies from its item): candidates ranked in search_doc alone (score,
        then the document's time), and only the best ``_BATCH`` joined to their item;
        the rest, if wanted, in one more query. Joining every candidate to its item
        first cost one item row read per candidate (bench/results/search.md)."""
        first = self._execute(self._pg_ranked(where, clauses, newest, limit=_BATCH)).all()
        if not first:
            return
        yield first
        if len(first) < _BATCH:
            return
        yield from self._streamed(self._pg_ranked(where, clauses, newest, offset=_BATCH))

    def _pg_ranked(
        self,
        where: SearchFilter,
        clauses: list[Any],
        newest: bool,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> sa.Select[Any]:
        """The candidates ranked (or newest first) within search_doc, ``offset`` and
        ``limit`` applied there (a subquery, which PostgreSQL does not flatten), then
        joined to their item and source for the hit columns and the item filter."""
        doc = SEARCH_DOC
        score = self._pg_rank()
        inner = sa.select(doc.c.item_id, doc.c.revision, doc.c.at, score.label("score")).where(
            self._pg_match()
        )
        if where.since is not None:
            inner = inner.where(doc.c.at >= where.since)
        if where.until is not None:
            inner = inner.where(doc.c.at < where.until)
        ranked = inner.order_by(*_order(inner.selected_columns, newest))
        best = ranked.offset(offset).limit(limit).subquery("ranked")
        # The item filter too: the documents only narrow (a stale copy is what verify
        # reports), the item decides, as everywhere.
        query = (
            sa.select(best.c.item_id, best.c.revision, best.c.score, *hit_columns())
            .select_from(best)
            .join(ITEM, ITEM.c.id == best.c.item_id)
            .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
            .where(*clauses)
        )
        return query.order_by(*_order(best.c, newest))

    def _streamed(self, query: sa.Select[Any]) -> Iterator[Sequence[Any]]:
        result = self._execute(query, stream=True)
        try:
            yield from result.partitions()
        finally:
            result.close()

    def _execute(self, query: sa.Select[Any], *, stream: bool = False) -> sa.CursorResult[Any]:
        """Run a candidates query. PostgreSQL is told to use the word index: a query
        with many alternatives (an entity's aliases, Arabic clitic forms: 77 prefixes
        for @wagner) is estimated costlier than reading the whole table, which measured
        2-8 times slower than the GIN index (bench/results/search.md)."""
        # Per statement: Connection.execution_options would change the connection.
        options = {"stream_results": True, "yield_per": _BATCH} if stream else {}
        if not self.postgres or not self._force_index:
            return self.conn.execute(query, execution_options=options)
        self.conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        try:
            return self.conn.execute(query, execution_options=options)
        finally:
            self.conn.exec_driver_sql("RESET enable_seqscan")

    def _candidate_query(
        self, clauses: list[Any], *, newest: bool, alone: bool = False
    ) -> tuple[sa.Select[Any], Any, Any]:
        """The candidates query, its score column and the table that column is in;
        ``alone`` (SQLite): FTS5's match and BM25 computed first, by themselves, when
        the index answers the filter (with other filters, letting the planner start
        from a filtered table is faster)."""
        doc, at = SEARCH_DOC, item_time()
        scored: Any = doc
        score: Any
        if alone:
            # The match and its score first, by themselves (materialized), so that a
            # threshold on the score applies before any join to the item.
            inner: Any = (
                sa.select(
                    sa.literal_column("rowid").label("id"),
                    sa.literal_column(f"-{_BM25}").label("score"),  # higher: better
                )
                .select_from(sa.table("search_fts"))
                .where(self._fts_match())
            )
            fts = inner.cte("ranked").prefix_with("MATERIALIZED")
            score, scored = fts.c.score, fts
            base = sa.select().select_from(fts.join(doc, doc.c.id == fts.c.id))
        elif self.postgres:
            score = self._pg_rank()
            base = sa.select().select_from(doc).where(self._pg_match())
        else:
            table = sa.table("search_fts", sa.column("rowid"))
            score = sa.literal_column(f"-{_BM25}")  # higher is better, as ts_rank
            base = (
                sa.select()
                .select_from(table.join(doc, doc.c.id == table.c.rowid))
                .where(self._fts_match())
            )
        query = (
            base.add_columns(
                doc.c.item_id,
                doc.c.revision,
                score.label("score"),
                *hit_columns(),
            )
            .join(ITEM, ITEM.c.id == doc.c.item_id)
            .join(SOURCE, SOURCE.c.id == ITEM.c.source_id)
            .where(*clauses)
        )
        # Ties broken by item and revision (document ids differ between databases).
        tie = [doc.c.item_id.desc(), doc.c.revision.desc()]
        order = [at.desc(), *tie] if newest else [score.desc(), at.desc(), *tie]
        return query.order_by(*order), score, scored

    def _pg_rank(self) -> Any:
        """ts_rank with every pattern but one per clitic form (the index holds the
        stems): a clitic form still counts as its word, and ts_rank, which tests each
        pattern against each candidate, no longer runs 23 times per word (@wagner: 79
        patterns, now 13; measured 2-3 times faster at 1M, bench/results/search.md)."""
        tsq = sa.cast(sa.bindparam("tsq", prefilter.tsquery(prefilter.stemmed(self.spec))), TSQUERY)
        return sa.func.ts_rank(_WORDS, tsq)

    def _pg_match(self) -> Any:
        """Matching with the pruned query over the clitic stems (fewer GIN lookups and
        @@ tests, the same documents or more, which the matcher then drops); ranking
        without pruning (ts_rank scores each pattern: a document naming "Wagner Group"
        scores for both patterns)."""
        text = prefilter.tsquery(prefilter.pruned(prefilter.stemmed(self.spec)))
        narrowed = facets.tsquery(self._facets)
        query = f"{text} & {narrowed}" if narrowed else text
        matched = _ts_match(query, "match_tsq")
        if not self._areas:
            return matched
        # --area: a document of one of the area's sources (its source token), or of an
        # item queued under the area. The queued items are read first: as ids, the
        # (item, revision) index finds their documents; none leaves the GIN query alone.
        sources = area_sources(self.conn, self._areas)
        queued = sorted(set(self.conn.execute(queued_in_areas(self._areas)).scalars()))
        in_queue = sa.and_(SEARCH_DOC.c.item_id.in_(queued), matched)
        if not sources:
            return in_queue if queued else sa.false()
        in_sources = facets.tsquery((tuple(facets.source_token(i) for i in sources),))
        by_source = _ts_match(f"{query} & {in_sources}", "area_tsq")
        return sa.or_(by_source, in_queue) if queued else by_source

    def _fts_match(self) -> Any:
        text = prefilter.fts5(self.spec)
        narrowed = facets.fts5(self._facets)
        query = f"{text} AND {narrowed}" if narrowed else text
        return sa.text("search_fts MATCH :fts").bindparams(fts=query)

    # -- the matcher decides ---------------------------------------------------------------

    def _verified(self, rows: Sequence[Any]) -> Iterator[tuple[Any, str]]:
        """The rows the query really matches, read back in small groups so that a
        caller that has enough hits stops early."""
        for group in chunked(rows, _VERIFY_GROUP):
            texts = revision_texts(self.conn, [(row.item_id, row.revision) for row in group])
            for row in group:
                text = texts.get((row.item_id, row.revision))
                if text is not None and RULE_ID in self.matcher.match(text).rules:
                    yield row, text

    def _complete_revisions(self, hits: list[Hit]) -> None:
        """Every revision of each hit that matches (the index ranks them separately)."""
        if not hits:
            return
        rev = ITEM_REVISION
        keys = self.conn.execute(
            sa.select(rev.c.item_id, rev.c.revision).where(
                rev.c.item_id.in_([hit.item_id for hit in hits])
            )
        ).all()
        texts = revision_texts(self.conn, [(k.item_id, k.revision) for k in keys])
        by_id = {hit.item_id: hit for hit in hits}
        for (item_id, revision), text in texts.items():
            matched = RULE_ID in self.matcher.match(text).rules
            if matched and revision not in by_id[item_id].revisions:
                by_id[item_id].revisions.append(revision)
        for hit in hits:
            hit.revisions.sort()

    def add_snippet(self, hit: Hit, text: str) -> None:
        """The hit's snippet and match offsets, from ``text`` (the revision it matched)."""
        _, spans = self.matcher.locate(text)
        wanted = {(t.kind, t.value) for t in self.query.node.terms()}
        found = sorted({span for term, found in spans.items() if term in wanted for span in found})
        hit.offsets = found
        hit.snippet = make_snippet(text, found)


def hit_from_row(row: Any) -> Hit:
    """A hit from a candidate row (item, source and revision columns, and a score)."""
    return Hit(
        item_id=row.item_id,
        source=row.source,
        kind=row.kind,
        url=row.url,
        title=row.item_title,
        at=row.at,
        revision=row.revision,
        current_revision=row.current_revision,
        revisions=[row.revision],
        deleted=row.deleted_at is not None,
        score=float(row.score or 0.0),
    )


def item_time() -> Any:
    """An item's time for filters, ordering and hits: published, else collected."""
    return sa.func.coalesce(ITEM.c.published_at, ITEM.c.collected_at)


def hit_columns() -> tuple[Any, ...]:
    """The item and source columns :func:`hit_from_row` reads (a query adds ``item_id``,
    ``revision`` and ``score`` of its own)."""
    return (
        ITEM.c.revision.label("current_revision"),
        ITEM.c.url,
        ITEM.c.title.label("item_title"),
        ITEM.c.deleted_at,
        item_time().label("at"),
        SOURCE.c.name.label("source"),
        SOURCE.c.kind,
        SOURCE.c.areas,
    )


def _ts_match(query: str, name: str) -> Any:
    tsq = sa.cast(sa.bindparam(name, query), TSQUERY)
    return _WORDS.op("@@", return_type=sa.Boolean)(tsq)


def _order(columns: Any, newest: bool) -> list[Any]:
    """Best first (ties: newest first) or newest first, over columns named score, at,
    item_id and revision (ties broken by item and revision: document ids differ
    between databases)."""
    tie = [columns.at.desc(), columns.item_id.desc(), columns.revision.desc()]
    return tie if newest else [columns.score.desc(), *tie]


def documents_decide(where: SearchFilter) -> bool:
    """Whether the search documents alone decide ``where`` on PostgreSQL: its facets
    (source, kind, language with a token, an area's sources), its time range (each
    document's copy of its item's time) and the items queued under an area, and
    nothing else."""
    others = (where.entities, where.tags, where.statuses)
    if any(others) or where.deleted or where.edited:
        return False
    return all(facets.language_token(lang) is not None for lang in where.langs)


def facets_decide(where: SearchFilter) -> bool:
    """Whether the facet tokens alone decide ``where`` (a document with them passes the
    item filter): source, kind and a language with a token, and nothing else."""
    others = (where.areas, where.entities, where.tags, where.statuses)
    if any(others) or where.since or where.until or where.deleted or where.edited:
        return False
    return all(facets.language_token(lang) is not None for lang in where.langs)


def facet_constraint(conn: sa.Connection, where: SearchFilter) -> facets.Constraint:
    """The facet tokens a document needs to pass ``where``'s source, kind, language
    and time filters (search/facets): the index applies them before ranking."""
    source_ids: list[int] | None = None
    if where.sources or where.kinds:
        query = sa.select(SOURCE.c.id)
        if where.sources:
            query = query.where(SOURCE.c.name.in_(where.sources))
        if where.kinds:
            query = query.where(SOURCE.c.kind.in_(where.kinds))
        source_ids = list(conn.execute(query).scalars())
    stored = _stored_times(conn) if where.since or where.until else None
    return facets.constraint(source_ids, where.langs, where.since, where.until, stored)


def _stored_times(conn: sa.Connection) -> tuple[datetime, datetime] | None:
    """The earliest and latest item time (published, else collected) there can be:
    four index lookups (one subquery each: SQLite looks up one min or max by index
    only when it is alone in its query)."""
    bounds = [
        sa.select(func(column)).scalar_subquery()
        for column in (ITEM.c.published_at, ITEM.c.collected_at)
        for func in (sa.func.min, sa.func.max)
    ]
    row = conn.execute(sa.select(*bounds)).one()
    lows = [value for value in (row[0], row[2]) if value is not None]
    highs = [value for value in (row[1], row[3]) if value is not None]
    if not lows or not highs:
        return None
    return min(lows), max(highs)


def filter_clauses(conn: sa.Connection, where: SearchFilter) -> list[Any]:
    """SQL conditions on ITEM (joined with SOURCE) for ``where``."""
    clauses: list[Any] = []
    at = item_time()
    if where.sources:
        clauses.append(SOURCE.c.name.in_(where.sources))
    if where.kinds:
        clauses.append(SOURCE.c.kind.in_(where.kinds))
    if where.langs:
        clauses.append(sa.func.lower(ITEM.c.language).in_(where.langs))
    if where.since is not None:
        clauses.append(at >= where.since)
    if where.until is not None:
        clauses.append(at < where.until)
    if where.deleted:
        clauses.append(ITEM.c.deleted_at.is_not(None))
    if where.edited:
        clauses.append(ITEM.c.revision > 1)
    if where.entities:
        clauses.append(
            ITEM.c.id.in_(sa.select(MATCH.c.item_id).where(MATCH.c.entity_id.in_(where.entities)))
        )
    if where.areas:
        clauses.append(_in_areas(conn, where.areas))
    if where.statuses or where.tags:
        clauses.append(ITEM.c.id.in_(_triaged_items(conn, where)))
    return clauses


def _in_areas(conn: sa.Connection, areas: Sequence[str]) -> Any:
    """Items from a source of these areas, or in a queue entry of these areas."""
    return sa.or_(
        ITEM.c.source_id.in_(area_sources(conn, areas)), ITEM.c.id.in_(queued_in_areas(areas))
    )


def area_sources(conn: sa.Connection, areas: Sequence[str]) -> list[int]:
    """The ids of the sources of these areas."""
    wanted = set(areas)
    return [
        row.id
        for row in conn.execute(sa.select(SOURCE.c.id, SOURCE.c.areas))
        if wanted & {a.lower() for a in row.areas or ()}
    ]


def queued_in_areas(areas: Sequence[str]) -> sa.Select[Any]:
    """The ids of the items in a queue entry of these areas."""
    return (
        sa.select(TRIAGE_ITEM.c.item_id)
        .join(TRIAGE_FACET, TRIAGE_FACET.c.triage_id == TRIAGE_ITEM.c.triage_id)
        .where(TRIAGE_FACET.c.facet == "area", TRIAGE_FACET.c.value.in_(areas))
    )


def _triaged_items(conn: sa.Connection, where: SearchFilter) -> Any:
    query = sa.select(TRIAGE_ITEM.c.item_id).join(TRIAGE, TRIAGE.c.id == TRIAGE_ITEM.c.triage_id)
    if where.statuses:
        query = query.where(TRIAGE.c.status.in_(where.statuses))
    if where.tags:
        wanted = set(where.tags)
        tagged = [
            row.id
            for row in conn.execute(sa.select(TRIAGE.c.id, TRIAGE.c.tags))
            if wanted & set(row.tags or ())
        ]
        query = query.where(TRIAGE.c.id.in_(tagged))
    return query
