"""sourcewatch search on both backends: normalization as in matching, every revision,
filters, ranking, snippets, the index kept in the ingest transaction, verify, reindex."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from search_support import (
    AFPAK,
    ARMY_AR,
    KIDAL_RU,
    SAHEL,
    T0,
    TOPWAR,
    WATCHLISTS,
    fill,
    poll,
    topwar_items,
)
from sourcewatch.config import Settings
from sourcewatch.errors import InvalidInput
from sourcewatch.records import ParsedItem
from sourcewatch.search import engine, facets, prefilter
from sourcewatch.search.engine import SearchFilter
from sourcewatch.search.index import missing_documents, reindex
from sourcewatch.search.service import SearchRequest, count, search
from sourcewatch.store.db import read_connection
from sourcewatch.store.tables import SEARCH_DOC, SOURCE
from sourcewatch.store.verify import verify_archive
from sourcewatch.workspace import Workspace


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"watchlists_dir": WATCHLISTS})


@pytest.fixture
def ids(workspace: Workspace) -> dict[str, int]:
    return fill(workspace)


def found(ws: Workspace, query: str, where: SearchFilter | None = None, **kw: object) -> list:
    request = SearchRequest(query, where or SearchFilter(), **kw)  # type: ignore[arg-type]
    with read_connection(ws.engine) as conn:
        return search(conn, request, ws.matcher().entities).hits


def item_ids(ws: Workspace, query: str, where: SearchFilter | None = None, **kw: object) -> set:
    return {hit.item_id for hit in found(ws, query, where, limit=500, **kw)}


def test_russian_case_endings_as_in_matching(workspace: Workspace, ids: dict) -> None:
    assert item_ids(workspace, "Кидаль") == {ids["kidal-ru"]}
    # Петербург finds Петербурга, Санкт-Петербурге, Санкт-Петербургом (real topwar posts)
    assert item_ids(workspace, "Петербург") == {ids["70989"], ids["70990"], ids["70995"]}
    # ё/е: Чёрная is found as черная
    assert ids["71006"] in item_ids(workspace, "черная мамба")


def test_arabic_clitics_and_article_as_in_matching(workspace: Workspace, ids: dict) -> None:
    assert item_ids(workspace, '"الجيش المالي"') == {ids["army-ar"], ids["ar-017"]}
    # حاجز للجيش (ar-001): the lam + article form
    assert ids["ar-001"] in item_ids(workspace, "الجيش")
    # diacritics in the text (تبنّوا) and none in the query
    assert ids["ar-001"] in item_ids(workspace, "تبنوا")


def test_persian_pashto_and_french(workspace: Workspace, ids: dict) -> None:
    assert ids["fa-001"] in item_ids(workspace, "بدخشان")
    assert ids["ps-001"] in item_ids(workspace, "بدخشان")
    # Pashto ې and Arabic ي are one letter: عدلیې and عدليې
    assert {ids["ps-002"], ids["ps-003"]} <= item_ids(workspace, "عدليې")
    # French elision and accents: "L'attaque a été revendiquée"
    assert ids["fr-001"] in item_ids(workspace, "attaque AND revendiquee")


def test_english_operators_phrase_near_and_not(workspace: Workspace, ids: dict) -> None:
    state = item_ids(workspace, '"State of the Union"')
    assert len(state) >= 4
    assert item_ids(workspace, '"State of the Union" NOT Trump') < state
    assert item_ids(workspace, "Mosul") and item_ids(workspace, "Mosul NEAR/3 residents")
    assert not item_ids(workspace, "Mosul NEAR/0 return")


def test_entity_ids_reuse_the_watchlists(workspace: Workspace, ids: dict) -> None:
    assert ids["70996"] in item_ids(workspace, "@wagner")  # ЧВК «Вагнер», a real post
    with pytest.raises(InvalidInput, match=r"unknown entity @nosuch; known: .*@wagner"):
        found(workspace, "@nosuch")


def test_filters(workspace: Workspace, ids: dict) -> None:
    everything = item_ids(workspace, "بدخشان")
    assert item_ids(workspace, "بدخشان", SearchFilter(langs=("ps",))) == {
        i for i in everything if i in {ids[k] for k in ids if k.startswith("ps-")}
    }
    assert item_ids(workspace, "بدخشان", SearchFilter(kinds=("telegram",))) == set()
    assert item_ids(workspace, "بدخشان", SearchFilter(sources=("afpak-posts",))) == everything
    assert item_ids(workspace, "بدخشان", SearchFilter(areas=("af-pak",))) == everything
    assert item_ids(workspace, "بدخشان", SearchFilter(until=T0)) == set()
    # an area is its sources or a queue entry's area: ar-001 (sahel-posts) was queued
    # under iraq-syria by the watchlists
    assert ids["ar-001"] in item_ids(workspace, "داعش", SearchFilter(areas=("iraq-syria",)))
    assert ids["ar-001"] not in item_ids(workspace, "داعش", SearchFilter(areas=("ukraine",)))
    assert item_ids(
        workspace, "Кидаль OR Петербург", SearchFilter(since=T0 + timedelta(days=3))
    ) == {ids["kidal-ru"]}
    with read_connection(workspace.engine) as conn:
        with pytest.raises(
            InvalidInput, match=r"--source: unknown value 'nope'; known: .*tg-topwar"
        ):
            search(conn, SearchRequest("x", SearchFilter(sources=("nope",))), {})
        with pytest.raises(InvalidInput, match=r"--area: unknown value 'mars'; known: .*af-pak"):
            search(conn, SearchRequest("x", SearchFilter(areas=("mars",))), {})


def test_ranking_newest_snippet_and_offsets(workspace: Workspace, ids: dict) -> None:
    hits = found(workspace, "Петербург", limit=10, newest=True)
    assert [h.at for h in hits] == sorted((h.at for h in hits), reverse=True)
    [hit] = found(workspace, "Кидаль", limit=5)
    assert hit.source == "sahel-posts" and hit.url == "https://t.me/sahel/kidal-ru"
    assert [KIDAL_RU[a:b] for a, b in hit.offsets] == ["Кидаль", "Кидале"]
    snippet = hit.snippet
    assert snippet is not None
    assert [snippet.text[a:b] for a, b in snippet.spans] == ["Кидаль", "Кидале"]
    [arabic] = found(
        workspace, '"الجيش المالي"', SearchFilter(sources=("sahel-posts",)), limit=1, newest=True
    )
    assert [ARMY_AR[a:b] for a, b in arabic.offsets] == ["للجيش المالي"]
    # link-preview names are searched too
    assert item_ids(workspace, "communiqué") == {ids["army-ar"]}


def test_an_edit_that_removes_the_words_is_still_found(workspace: Workspace, ids: dict) -> None:
    edited = ParsedItem(
        external_id="kidal-ru",
        text="Колонна стоит на месте.",
        lang="ru",
        published_at=T0 + timedelta(days=3),
        url="https://t.me/sahel/kidal-ru",
    )
    poll(workspace, SAHEL, b"edited", [edited], T0 + timedelta(days=4))
    [hit] = found(workspace, "Кидаль")
    assert (hit.item_id, hit.revision, hit.current_revision, hit.revisions) == (
        ids["kidal-ru"],
        1,
        2,
        [1],
    )
    assert hit.to_json()["edited_away"] is True
    assert item_ids(workspace, "Колонна стоит", SearchFilter(edited=True)) == {ids["kidal-ru"]}
    assert item_ids(workspace, "Кидаль", SearchFilter(edited=True)) == {ids["kidal-ru"]}


def test_filters_follow_an_edit_that_changes_the_language_and_time(
    workspace: Workspace, ids: dict
) -> None:
    # The index narrows by source, language and month (search/facets): an edit that
    # moves the item must move its earlier revisions' facets too.
    edited = ParsedItem(
        external_id="kidal-ru",
        text="Колонна стоит на месте.",
        lang="uk",
        published_at=T0 + timedelta(days=40),
        url="https://t.me/sahel/kidal-ru",
    )
    poll(workspace, SAHEL, b"edited", [edited], T0 + timedelta(days=41))
    october = SearchFilter(since=T0 + timedelta(days=15), until=T0 + timedelta(days=42))
    assert item_ids(workspace, "Кидаль", october) == {ids["kidal-ru"]}
    assert item_ids(workspace, "Кидаль", SearchFilter(langs=("uk",))) == {ids["kidal-ru"]}
    assert item_ids(workspace, "Кидаль", SearchFilter(langs=("ru",))) == set()
    september = SearchFilter(since=T0, until=T0 + timedelta(days=5))
    assert item_ids(workspace, "Кидаль", september) == set()
    assert verify_archive(workspace, quick=True).ok


def test_verify_notices_a_document_with_stale_facets(workspace: Workspace, ids: dict) -> None:
    with workspace.engine.begin() as conn:
        conn.execute(
            sa.update(SEARCH_DOC)
            .where(SEARCH_DOC.c.item_id == ids["kidal-ru"])
            .values(facets=facets.document_facets(1, T0, "fr"))
        )
    report = verify_archive(workspace, quick=True)
    assert any(
        "stale filter facets" in p and f"item {ids['kidal-ru']}" in p for p in report.problems
    )
    with workspace.engine.begin() as conn:
        reindex(conn)
    assert verify_archive(workspace, quick=True).ok


def test_verify_notices_a_document_with_a_stale_time(workspace: Workspace, ids: dict) -> None:
    with workspace.engine.begin() as conn:
        conn.execute(
            sa.update(SEARCH_DOC)
            .where(SEARCH_DOC.c.item_id == ids["kidal-ru"])
            .values(at=T0 - timedelta(days=400))
        )
    report = verify_archive(workspace, quick=True)
    assert any(
        "stale filter facets or time" in p and f"item {ids['kidal-ru']}" in p
        for p in report.problems
    )
    with workspace.engine.begin() as conn:
        reindex(conn)
    assert verify_archive(workspace, quick=True).ok


def test_every_clitic_form_is_found_by_the_bare_word(workspace: Workspace) -> None:
    # PostgreSQL finds these through the clitic stems it indexes (prefilter.stemmed),
    # SQLite through one prefix pattern per clitic: the same hits.
    posts = [
        ParsedItem(external_id=f"clitic-{n}", text=f"خبر عن {clitic}طالبان في المنطقة")
        for n, clitic in enumerate(sorted(prefilter.CLITICS))
    ]
    poll(workspace, AFPAK, b"clitics", posts, T0)
    hits = found(workspace, "طالبان", limit=500)
    assert len(hits) == len(prefilter.CLITICS)
    with read_connection(workspace.engine) as conn:
        recent = SearchFilter(since=T0 - timedelta(days=1), sources=("afpak-posts",))
        hits = search(conn, SearchRequest("طالبان", recent, 500), {}).hits
    assert len(hits) == len(prefilter.CLITICS)


def test_a_text_cannot_pose_as_a_facet(workspace: Workspace, ids: dict) -> None:
    with read_connection(workspace.engine) as conn:
        sahel = conn.execute(
            sa.select(SOURCE.c.id).where(SOURCE.c.name == "sahel-posts")
        ).scalar_one()
    posing = f"بدخشان {facets.source_token(sahel)} {facets.language_token('ru')}"
    poll(workspace, AFPAK, b"posing", [ParsedItem(external_id="posing", text=posing)], T0)
    assert item_ids(workspace, "بدخشان", SearchFilter(sources=("sahel-posts",))) == set()
    assert item_ids(workspace, "بدخشان", SearchFilter(langs=("ru",))) == set()


def test_a_deletion_is_filterable(workspace: Workspace, ids: dict) -> None:
    gone = ParsedItem(external_id="army-ar", deleted=True)
    poll(workspace, SAHEL, b"deleted", [gone], T0 + timedelta(days=5))
    [hit] = found(workspace, '"الجيش المالي"', SearchFilter(deleted=True))
    assert hit.item_id == ids["army-ar"] and hit.deleted
    assert item_ids(workspace, "الجيش", SearchFilter(deleted=True)) == {ids["army-ar"]}


def test_count_and_histograms(workspace: Workspace, ids: dict) -> None:
    with read_connection(workspace.engine) as conn:
        total, by_source = count(conn, SearchRequest("بدخشان OR Петербург"), {}, "source")
        assert total == sum(n for _, n in by_source)
        assert dict(by_source)["tg-topwar"] == 3
        _, by_day = count(conn, SearchRequest("Петербург"), {}, "day")
        assert by_day == [("2023-02-28", 3)]


def test_the_index_is_written_with_the_item_and_verify_notices_a_gap(
    workspace: Workspace, ids: dict
) -> None:
    assert missing_documents(read_connection(workspace.engine))[0] == 0
    assert verify_archive(workspace, quick=True).ok
    with workspace.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            doc = conn.execute(
                sa.select(SEARCH_DOC).where(SEARCH_DOC.c.item_id == ids["kidal-ru"])
            ).one()
            conn.exec_driver_sql(
                "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', ?, ?)",
                (doc.id, doc.tokens),
            )
        conn.execute(sa.delete(SEARCH_DOC).where(SEARCH_DOC.c.item_id == ids["kidal-ru"]))
    report = verify_archive(workspace, quick=True)
    assert any("not indexed" in p and f"item {ids['kidal-ru']}" in p for p in report.problems)
    assert found(workspace, "Кидаль") == []
    with workspace.engine.begin() as conn:
        assert reindex(conn) >= len(ids)
    assert verify_archive(workspace, quick=True).ok
    assert item_ids(workspace, "Кидаль") == {ids["kidal-ru"]}


def test_reingesting_the_same_page_adds_no_documents(workspace: Workspace, ids: dict) -> None:
    with workspace.engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(SEARCH_DOC)).scalar_one()
    poll(workspace, TOPWAR, b"topwar page", topwar_items(), T0)
    with workspace.engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(SEARCH_DOC)).scalar_one()
    assert after == before


def test_hostile_query_text_is_only_words(workspace: Workspace, ids: dict) -> None:
    # FTS5 and tsquery syntax inside a query are words, never operators
    assert item_ids(workspace, "NEAR( OR* 'a' ) ^x") == set()
    assert item_ids(workspace, '"a\\\' | !b"') == set()


def test_afpak_constant_used() -> None:
    assert AFPAK.kind == "x"


def test_a_huge_hostile_text_is_stored_and_indexed_up_to_the_cap(workspace: Workspace) -> None:
    # 200,000 distinct Arabic-script words and one 5,000-letter "word": PostgreSQL would
    # refuse such a tsvector; the item is stored, not quarantined, and still found.
    words = " ".join(f"ك{n:06d}س" for n in range(200_000))
    text = "طالبان " + "x" * 5000 + " " + words
    poll(workspace, AFPAK, b"huge", [ParsedItem(external_id="huge", text=text)], T0)
    with read_connection(workspace.engine) as conn:
        [tokens] = conn.execute(sa.select(SEARCH_DOC.c.tokens)).scalars()
    assert len(tokens) <= 300_000 and "x" * 300 not in tokens
    assert len(found(workspace, "طالبان")) == 1


def test_results_do_not_depend_on_the_candidate_batch_size(
    workspace: Workspace, ids: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = ("Trump OR Петербург OR بدخشان", '"State of the Union" NOT Trump')
    expected = [item_ids(workspace, q) for q in queries]
    ranked = [h.item_id for h in found(workspace, queries[0], limit=500)]
    monkeypatch.setattr("sourcewatch.search.engine._BATCH", 3)
    monkeypatch.setattr("sourcewatch.search.engine._VERIFY_GROUP", 2)
    assert [item_ids(workspace, q) for q in queries] == expected
    assert [h.item_id for h in found(workspace, queries[0], limit=500)] == ranked
    assert len(found(workspace, queries[0], limit=4)) == 4


def _translate(ws: Workspace, item_id: int, text: str) -> None:
    """Store a machine translation of the item's current revision, as translate/ does."""
    from sourcewatch.store.tables import ITEM, ITEM_REVISION
    from sourcewatch.translate.store import NewTranslation, save_translation

    with ws.engine.begin() as conn:
        revision_id = conn.execute(
            sa.select(ITEM_REVISION.c.id)
            .join(ITEM, ITEM.c.id == ITEM_REVISION.c.item_id)
            .where(ITEM.c.id == item_id, ITEM_REVISION.c.revision == ITEM.c.revision)
        ).scalar_one()
        new = NewTranslation(
            item_id, revision_id, "libretranslate", None, "ar", "en", None, text, False
        )
        save_translation(conn, new, T0)


def test_in_translation_finds_what_only_the_translation_says(
    workspace: Workspace, ids: dict
) -> None:
    _translate(
        workspace, ids["army-ar"], "A checkpoint of the Malian army was attacked near Kidal."
    )
    assert ids["army-ar"] not in item_ids(workspace, '"malian army"')  # the original is Arabic
    hits = found(workspace, '"malian army"', within="translation", limit=50)
    assert [hit.item_id for hit in hits] == [ids["army-ar"]]
    hit = hits[0]
    assert hit.matched_in == "translation (libretranslate, en)"
    assert hit.snippet is not None and "Malian army" in hit.snippet.text
    assert hit.to_json()["matched_in"].startswith("translation")
    # --in any: the originals first, then what only a translation matched
    both = [hit.item_id for hit in found(workspace, "Kidal OR Кидаль", within="any", limit=50)]
    assert both[-1] == ids["army-ar"] and ids["kidal-ru"] in both
    # filters apply to translated items too
    assert (
        found(workspace, '"malian army"', SearchFilter(langs=("ru",)), within="translation") == []
    )
    with read_connection(workspace.engine) as conn:
        total, _ = count(
            conn,
            SearchRequest('"malian army"', within="translation"),
            workspace.matcher().entities,
            None,
        )
    assert total == 1


def test_in_must_name_a_known_place(workspace: Workspace, ids: dict) -> None:
    with pytest.raises(InvalidInput, match="--in: one of original, translation, any"):
        found(workspace, "Кидаль", within="titles")


def test_real_recorded_arabic_report_clitics_and_diacritics(workspace: Workspace) -> None:
    """The Syrian Archive's report on the seventh attack on hospitals (real recorded
    Arabic, tests/fixtures/triage/SOURCES.md): words written with clitics (بالقرب,
    والمصابين) and diacritics (مُفصّل) are found from their bare forms."""
    from search_support import FIXTURES

    report = (FIXTURES / "triage" / "syrianarchive_incident-7_ar.md").read_text("utf-8")
    item = ParsedItem(
        external_id="incident-7",
        text=report,
        lang="ar",
        published_at=T0,
        url="https://syrianarchive.org/ar/datasets/medical-facilities/incident-7",
    )
    poll(workspace, SAHEL, b"syrian archive report", [item], T0)

    def hit(query: str) -> bool:
        return bool(found(workspace, query, limit=5))

    assert hit('"مستشفى الجامعة"')  # the phrase as written
    assert hit("الهجوم AND إدلب")  # السابع الهجوم; إدلب with its hamza
    assert hit("مفصل")  # written مُفصّل, with damma and shadda
    assert hit('"القرب من منطقة"')  # written بالقرب من منطقة
    assert hit("المصابين")  # written والمصابين
    assert hit('"سلاح الجو السوري"')
    assert not hit('"سلاح الجو الأردني"')
    [first] = found(workspace, '"مستشفى الجامعة"', limit=5)
    assert first.snippet is not None and "مستشفى الجامعة" in first.snippet.text


BY_SOURCE_AND_LANGUAGE = SearchFilter(sources=("tg-topwar", "guardian-us"), langs=("ru", "en"))


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("Петербург OR Trump OR Russia", SearchFilter()),
        ("@wagner OR @jnim", SearchFilter()),
        ("الجيش", SearchFilter()),
        # filters the facet tokens decide: ranked in the index alone on SQLite too
        ("Петербург OR Trump OR Russia OR Украины", BY_SOURCE_AND_LANGUAGE),
    ],
)
def test_small_candidate_batches_give_the_same_page(
    workspace: Workspace,
    ids: dict,
    query: str,
    where: SearchFilter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page does not depend on how candidates are fetched: the first batch (on
    SQLite, everything scoring at least the batch's last score) and the rest below."""

    def page() -> list[tuple[int, int, float]]:
        return [(h.item_id, h.revision, h.score) for h in found(workspace, query, where, limit=7)]

    expected = page()
    assert len(expected) >= 3
    for batch in (1, 2, 3):
        monkeypatch.setattr(engine, "_BATCH", batch)
        assert page() == expected, batch


GLUED = [
    ParsedItem(external_id="glued-flag", text="🇷🇺Гао взят, колонна ушла на север"),
    ParsedItem(external_id="glued-thumb", text="Кидаль👍🏽 снова под контролем армии"),
]


def test_a_word_glued_to_an_emoji_or_a_flag_is_found(workspace: Workspace) -> None:
    """The matcher reads a word boundary wherever a word character meets a symbol; the
    index does too: as one word, "🇷🇺гао" hid Гао from a search."""
    poll(workspace, TOPWAR, b"glued", GLUED, T0)
    by_id = _ids_by_external(workspace)
    assert item_ids(workspace, "Гао") == {by_id["glued-flag"]}
    assert item_ids(workspace, '"Гао взят"') == {by_id["glued-flag"]}
    assert item_ids(workspace, "🇷🇺Гао") == {by_id["glued-flag"]}
    assert item_ids(workspace, "Кидаль AND армии") == {by_id["glued-thumb"]}


def test_migration_0020_splits_the_words_of_stored_documents(workspace: Workspace) -> None:
    from alembic import command

    from sourcewatch.store.db import alembic_config

    poll(workspace, TOPWAR, b"glued", GLUED, T0)
    command.downgrade(alembic_config(workspace.engine), "0019")
    _rewrite_tokens(workspace, {"🇷🇺 гао": "🇷🇺гао", "кидаль 👍🏽": "кидаль👍🏽"})
    assert item_ids(workspace, "Гао") == set()  # as a database indexed before 0020
    command.upgrade(alembic_config(workspace.engine), "head")
    by_id = _ids_by_external(workspace)
    assert item_ids(workspace, "Гао") == {by_id["glued-flag"]}
    assert item_ids(workspace, "Кидаль") == {by_id["glued-thumb"]}
    assert verify_archive(workspace, quick=True).ok


def _ids_by_external(ws: Workspace) -> dict[str, int]:
    from sourcewatch.store.tables import ITEM

    with ws.engine.connect() as conn:
        return {row.external_id: row.id for row in conn.execute(sa.select(ITEM))}


def _rewrite_tokens(ws: Workspace, old_forms: dict[str, str]) -> None:
    """Give the documents the words a 0019 index stored (glued), FTS5 table included."""
    with ws.engine.begin() as conn:
        docs = conn.execute(sa.select(SEARCH_DOC.c.id, SEARCH_DOC.c.tokens, SEARCH_DOC.c.facets))
        for doc in docs.all():
            glued = doc.tokens
            for split, old in old_forms.items():
                glued = glued.replace(split, old)
            if glued == doc.tokens:
                continue
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(
                    "INSERT INTO search_fts(search_fts, rowid, tokens, facets) "
                    "VALUES ('delete', ?, ?, ?)",
                    (doc.id, doc.tokens, doc.facets),
                )
                conn.exec_driver_sql(
                    "INSERT INTO search_fts(rowid, tokens, facets) VALUES (?, ?, ?)",
                    (doc.id, glued, doc.facets),
                )
            conn.execute(
                sa.update(SEARCH_DOC).where(SEARCH_DOC.c.id == doc.id).values(tokens=glued)
            )


def test_migration_0020_splits_words_as_the_index_does() -> None:
    """The migration's frozen copy and ``split_at_symbols`` give the same words."""
    import importlib.util
    import random

    from sourcewatch.search.document import split_at_symbols
    from sourcewatch.store.db import MIGRATIONS_DIR

    path = MIGRATIONS_DIR / "versions" / "0020_search_split_words.py"
    spec = importlib.util.spec_from_file_location("migration_0020", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    pieces = ["гао", "🇷🇺", "👍🏽", "🔥", "x1", "ि", "الجيش", " "]
    rng = random.Random(20)
    for _ in range(5000):
        text = " ".join("".join(rng.choices(pieces, k=rng.randint(1, 6))).split())
        assert migration._split(text) == split_at_symbols(text), text
