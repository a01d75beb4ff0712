"""The telegram collector (web backend) against a real HTTP server on loopback.

The extra pages are built from the real t.me/s/topwar_official page: its post blocks are
split across pages (and one copied and renumbered as a "new" post), never invented.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Response

from sourcewatch.collectors.base import CollectContext, CollectorError, ItemRef, SourceState
from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.collectors.registry import get_collector, get_format
from sourcewatch.config import MediaSettings, NetSettings, Settings, TelegramSettings
from sourcewatch.net import Http
from sourcewatch.records import PollResult
from sourcewatch.sources.config import SourceConfig
from sourcewatch.text.sanitize import terminal_safe

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOPWAR = (FIXTURES / "any2feed_topwar_official_channel_page.html").read_bytes()
NEWEST = [71000, 71006, 71007, 71008]
MIDDLE = [70996, 70997, 70998, 70999]
OLDEST = [70989, 70990, 70992, 70995]


def build_page(ids: list[int], *, new_post: int | None = None, text: str | None = None) -> bytes:
    """The real page with only the post blocks ``ids`` (plus a renumbered copy of the last)."""
    doc = lxml.html.document_fromstring(TOPWAR)
    wraps = {_wrap_id(w): w for w in doc.find_class("tgme_widget_message_wrap") if _wrap_id(w)}
    for post_id, wrap in wraps.items():
        if post_id not in ids:
            wrap.drop_tree()
    if new_post is not None:
        last = wraps[ids[-1]]
        clone = copy.deepcopy(last)
        _renumber(clone, ids[-1], new_post)
        last.addnext(clone)
    if text is not None:
        _set_text(wraps[ids[-1]], text)
    for more in doc.find_class("tme_messages_more"):
        more.set("data-before", str(min(ids)))
        more.set("href", f"/s/topwar_official?before={min(ids)}")
    return lxml.html.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>")


def embed_page(post_id: int, *, text: str | None = None, edited: bool = False) -> bytes:
    """The single-post widget of ``post_id`` as the embed endpoint serves it."""
    doc = lxml.html.document_fromstring(TOPWAR)
    wrap = next(w for w in doc.find_class("tgme_widget_message_wrap") if _wrap_id(w) == post_id)
    if text is not None:
        _set_text(wrap, text)
    if edited:
        (meta,) = wrap.find_class("tgme_widget_message_meta")
        meta.text = "edited "
    body = lxml.html.tostring(wrap, encoding="utf-8")
    return b"<!DOCTYPE html><html><head></head><body>" + body + b"</body></html>"


POST_NOT_FOUND = (
    b'<!DOCTYPE html><html><body><div class="tgme_widget_message_error">Post not found</div>'
    b"</body></html>"
)


def _wrap_id(wrap: Any) -> int | None:
    posts = wrap.xpath(".//*[@data-post]")
    return int(posts[0].get("data-post").split("/")[1]) if posts else None


def _renumber(wrap: Any, old: int, new: int) -> None:
    for node in wrap.iter():
        for attribute in ("data-post", "href"):
            value = node.get(attribute)
            if value and value.endswith(f"/{old}"):
                node.set(attribute, value[: -len(str(old))] + str(new))


def _set_text(wrap: Any, text: str) -> None:
    node = wrap.find_class("tgme_widget_message_text")[0]
    for child in list(node):
        node.remove(child)
    node.text = text


def settings_for(**telegram: Any) -> Settings:
    return Settings(
        net=NetSettings(per_host_interval=0.0, retries=0, backoff_base=0.0),
        telegram=TelegramSettings(**telegram),
        media=MediaSettings(max_bytes=1024 * 1024),
    )


def topwar_source(server: HTTPServer, **options: Any) -> SourceConfig:
    return SourceConfig(
        name="topwar",
        kind="telegram",
        target="https://t.me/topwar_official",
        base_url=server.url_for("/").rstrip("/"),
        options={"download_media": False, **options},
    )


def fresh(items: list[Any]) -> list[Any]:
    """The posts a poll found new (the known ones it saw again are ``text_only``)."""
    return [item for item in items if not item.text_only]


def poll(source: SourceConfig, settings: Settings, cursor: dict[str, Any] | None = None) -> Any:
    async def run() -> PollResult:
        async with Http(settings.net) as http:
            ctx = CollectContext(settings, http)
            return await get_collector("telegram").poll(source, SourceState(cursor or {}), ctx)

    return asyncio.run(run())


def reread(source: SourceConfig, settings: Settings, refs: list[ItemRef]) -> PollResult:
    async def run() -> PollResult:
        async with Http(settings.net) as http:
            ctx = CollectContext(settings, http)
            return await get_collector("telegram").reread(source, refs, ctx)

    return asyncio.run(run())


def serve_pages(server: HTTPServer, pages: dict[str, bytes]) -> None:
    for query, body in pages.items():
        server.expect_request("/s/topwar_official", query_string=query).respond_with_data(
            body, content_type="text/html; charset=utf-8"
        )


@pytest.fixture
def server(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver
    httpserver.clear()


def test_first_poll_backfills_three_pages(server: HTTPServer) -> None:
    serve_pages(
        server,
        {
            "": build_page(NEWEST),
            "before=71000": build_page(MIDDLE),
            "before=70996": build_page(OLDEST),
        },
    )
    result = poll(topwar_source(server), settings_for(backfill_pages=3))

    assert [int(i.external_id) for i in result.items] == sorted(OLDEST + MIDDLE + NEWEST)
    assert len(result.captures) == 3
    assert result.cursor == {"last_id": 71008}
    shas = {c.sha256 for c in result.captures}
    assert all(len(item.capture_sha256s) == 1 and item.capture_sha256s[0] in shas
               for item in result.items)  # fmt: skip
    assert "before=70989" not in str(server.log)  # the back-fill depth is respected


def test_second_poll_then_reread_finds_new_edited_and_deleted(server: HTTPServer) -> None:
    settings = settings_for()
    serve_pages(server, {"": build_page(NEWEST)})
    first = poll(topwar_source(server), settings, {"last_id": 70999})
    stored = {item.external_id: item for item in first.items}
    assert sorted(stored) == ["71000", "71006", "71007", "71008"]
    server.clear()

    serve_pages(server, {"": build_page(NEWEST, new_post=71009)})
    second = poll(topwar_source(server), settings, first.cursor)
    assert [i.external_id for i in fresh(second.items)] == ["71009"]
    assert all(i.text_only for i in second.items if i.external_id != "71009")
    assert second.cursor == {"last_id": 71009}

    server.expect_request(
        "/topwar_official/71007", query_string="embed=1&mode=tme"
    ).respond_with_data(
        embed_page(71007, text="Исправленный текст", edited=True), content_type="text/html"
    )
    server.expect_request(
        "/topwar_official/71006", query_string="embed=1&mode=tme"
    ).respond_with_data(POST_NOT_FOUND, content_type="text/html")
    server.expect_request(
        "/topwar_official/71008", query_string="embed=1&mode=tme"
    ).respond_with_data(embed_page(71008), content_type="text/html")
    refs = [
        ItemRef(i, stored[i].url, stored[i].content_hash(), stored[i].published_at)
        for i in ("71006", "71007", "71008")
    ]
    checked = reread(topwar_source(server), settings, refs)

    changed = {item.external_id: item for item in checked.items}
    assert sorted(changed) == ["71006", "71007"]  # 71008 is unchanged
    assert changed["71007"].text == "Исправленный текст" and changed["71007"].edited
    assert changed["71006"].deleted and changed["71006"].extra["deleted_reason"] == "Post not found"
    assert len(checked.captures) == 3


def test_unchanged_page_is_the_same_capture(server: HTTPServer) -> None:
    serve_pages(server, {"": build_page(NEWEST)})
    settings = settings_for()
    one = poll(topwar_source(server), settings, {"last_id": 71008})
    two = poll(topwar_source(server), settings, {"last_id": 71008})

    assert fresh(one.items) == [] and fresh(two.items) == []
    assert one.captures[0].sha256 == two.captures[0].sha256
    assert one.cursor == {"last_id": 71008}


def test_a_burst_deeper_than_max_pages_is_kept_as_a_gap(server: HTTPServer) -> None:
    serve_pages(server, {"": build_page(NEWEST), "before=71000": build_page(MIDDLE)})
    settings = settings_for()
    source = topwar_source(server, max_pages=1)
    first = poll(source, settings, {"last_id": 70990})
    assert [i.external_id for i in first.items] == ["71000", "71006", "71007", "71008"]
    assert first.cursor == {"last_id": 71008, "gaps": [[70990, 71000]]}

    second = poll(topwar_source(server, max_pages=2), settings, first.cursor)
    assert [i.external_id for i in fresh(second.items)] == ["70996", "70997", "70998", "70999"]
    assert second.cursor == {"last_id": 71008, "gaps": [[70990, 70996]]}


def test_channel_without_public_preview_is_an_error(server: HTTPServer) -> None:
    server.expect_request("/s/topwar_official").respond_with_response(
        Response(status=302, headers={"Location": "/topwar_official"})
    )
    server.expect_request("/topwar_official").respond_with_data("<html>join</html>")

    with pytest.raises(CollectorError, match="no public web preview"):
        poll(topwar_source(server), settings_for())


def test_mirror_with_a_path_prefix_is_polled_not_called_a_redirect(server: HTTPServer) -> None:
    server.expect_request("/tg/s/topwar_official").respond_with_data(
        TOPWAR, content_type="text/html; charset=utf-8"
    )
    source = topwar_source(server).model_copy(update={"base_url": server.url_for("/tg")})
    result = poll(source, settings_for(), {"last_id": 70989})

    assert [int(i.external_id) for i in result.items][-1] == 71008


def test_mirror_redirect_out_of_its_preview_path_is_still_an_error(server: HTTPServer) -> None:
    server.expect_request("/tg/s/topwar_official").respond_with_response(
        Response(status=302, headers={"Location": "/tg/topwar_official"})
    )
    server.expect_request("/tg/topwar_official").respond_with_data("<html>join</html>")
    source = topwar_source(server).model_copy(update={"base_url": server.url_for("/tg")})
    with pytest.raises(CollectorError, match="no public web preview"):
        poll(source, settings_for())


def test_no_messages_found_page_is_an_error_not_an_empty_channel(server: HTTPServer) -> None:
    doc = TOPWAR.decode()
    start = doc.index('<div class="tgme_widget_message_wrap')
    end = doc.index("</section>")
    no_messages = (
        doc[:start]
        + '<div class="tgme_widget_message_wrap js-widget_message_wrap">'
        + '<div class="tgme_widget_message_centered"><div class="tme_no_messages_found">'
        + "No posts found</div></div></div>"
        + doc[end:]
    )
    serve_pages(server, {"": no_messages.encode()})

    with pytest.raises(CollectorError, match="no messages found"):
        poll(topwar_source(server), settings_for())


def test_truncated_page_is_an_error(server: HTTPServer) -> None:
    serve_pages(server, {"": TOPWAR[: len(TOPWAR) * 2 // 3]})
    with pytest.raises(CollectorError, match="truncated"):
        poll(topwar_source(server), settings_for())


def test_a_5_mb_page_parses_and_a_smaller_cap_refuses_it(server: HTTPServer) -> None:
    big_text = "Длинный пост. " * (5 * 1024 * 1024 // 24)
    page = build_page(NEWEST, text=big_text)
    assert len(page) > 5 * 1024 * 1024
    serve_pages(server, {"": page})

    result = poll(topwar_source(server), settings_for(), {"last_id": 70999})
    assert result.items[-1].text == big_text.strip()

    capped = settings_for()
    capped.net.max_body_bytes = 1024 * 1024
    with pytest.raises(CollectorError, match="cap"):
        poll(topwar_source(server), capped, {"last_id": 70999})


def test_terminal_escape_sequences_are_kept_as_data(server: HTTPServer) -> None:
    hostile = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b[1;31mALERT\x1b[0m"
    page = build_page(NEWEST, text="PLACEHOLDER").replace(b"PLACEHOLDER", hostile.encode())
    serve_pages(server, {"": page})

    result = poll(topwar_source(server), settings_for(), {"last_id": 71007})
    (item,) = fresh(result.items)
    assert item.text == hostile
    assert terminal_safe(item.text) == "ALERT"


def test_media_downloaded_up_to_the_cap(server: HTTPServer) -> None:
    cdn = server.url_for("/cdn").encode()
    page = build_page(NEWEST).replace(b"https://cdn4.telegram-cdn.org", cdn)
    serve_pages(server, {"": page})
    photo = b"\xff\xd8\xff\xe0 a jpeg" * 100
    server.expect_request(re.compile(r"^/cdn/file/.*\.jpg$")).respond_with_data(
        photo, content_type="image/jpeg"
    )
    server.expect_request(re.compile(r"^/cdn/file/.*\.mp4$")).respond_with_data(
        b"\0" * (2 * 1024 * 1024), content_type="video/mp4"
    )
    source = topwar_source(server, download_media=True)
    result = poll(source, settings_for(), {"last_id": 70999})

    by_id = {item.external_id: item for item in result.items}
    album = by_id["71000"].media
    assert len(album) == 6 and all(m.sha256 == album[0].sha256 for m in album)
    media_captures = [c for c in result.captures if c.kind == "media"]
    assert {c.sha256 for c in media_captures} == {album[0].sha256}
    video = by_id["71008"].media[0]
    assert video.sha256 is None and "media.max_bytes" in (video.note or "")
    assert "Media is too big" in (by_id["71006"].media[0].note or "")


def test_unknown_backend_is_a_clear_error(server: HTTPServer) -> None:
    source = topwar_source(server).model_copy(update={"backend": "carrier-pigeon"})
    with pytest.raises(CollectorError, match="unknown telegram backend 'carrier-pigeon'"):
        poll(source, settings_for())


def test_import_formats_share_the_parsers() -> None:
    html_ctx = ImportContext(source=None, url=None, filename="page.html")
    items = get_format("telegram-html")(TOPWAR, html_ctx)
    assert len(items) == 12 and items[0].url == "https://t.me/topwar_official/70989"

    dump = (FIXTURES / "telethon_chp_chechnya_channel_messages.json").read_bytes()
    source = SourceConfig(
        name="chp", kind="telegram", target="chp_chechnya", options={"channel_id": 1088459257}
    )
    json_ctx = ImportContext(source=source, url=None, filename="dump.json")
    items = get_format("telethon-json")(dump, json_ctx)
    assert [i.external_id for i in items] == ["2011", "2012", "2015", "2016"]
    assert items[0].url == "https://t.me/chp_chechnya/2011"


def test_import_refuses_another_channel_and_broken_files() -> None:
    source = SourceConfig(name="rybar", kind="telegram", target="rybar")
    ctx = ImportContext(source=source, url=None, filename="page.html")
    with pytest.raises(ImportFileError, match="posts of @topwar_official"):
        get_format("telegram-html")(TOPWAR, ctx)
    with pytest.raises(ImportFileError, match=r"page\.html: page truncated"):
        get_format("telegram-html")(TOPWAR[:50_000], ctx)
    with pytest.raises(ImportFileError, match="not JSON"):
        get_format("telethon-json")(b"[{", ctx)
    with pytest.raises(ImportFileError, match="element 0 is not a Telethon message"):
        get_format("telethon-json")(b'[{"_": "User", "id": 1}]', ctx)


UKRAINE_DUMP = FIXTURES / "telethon_ditirodt_Ukraine_channel_messages.json"


def test_telethon_dump_of_another_channel_is_refused() -> None:
    """Like a t.me/s page of another channel: the ids would collide with the source's."""
    dump = UKRAINE_DUMP.read_bytes()  # channel id 1746611944
    chp = SourceConfig(
        name="chp", kind="telegram", target="chp_chechnya", options={"channel_id": 1088459257}
    )
    ctx = ImportContext(source=chp, url=None, filename="dump.json")
    with pytest.raises(ImportFileError, match=r"channel id 1746611944, but source 'chp' watches"):
        get_format("telethon-json")(dump, ctx)


def test_telethon_dump_for_a_source_of_unknown_channel_id_is_refused_with_the_fix() -> None:
    dump = UKRAINE_DUMP.read_bytes()
    source = SourceConfig(name="ua", kind="telegram", target="uahelpinfo")
    ctx = ImportContext(source=source, url=None, filename="dump.json")
    with pytest.raises(ImportFileError, match=r"set options\.channel_id = 1746611944"):
        get_format("telethon-json")(dump, ctx)
    known = source.model_copy(update={"options": {"channel_id": 1746611944}})
    items = get_format("telethon-json")(dump, ImportContext(known, None, "dump.json"))
    assert len(items) == 44  # 45 messages, one a service message


def test_telethon_dump_mixing_channels_is_refused() -> None:
    mixed = json.loads(UKRAINE_DUMP.read_bytes())[:2]
    chechnya = json.loads((FIXTURES / "telethon_chp_chechnya_channel_messages.json").read_bytes())
    data = json.dumps(mixed + chechnya[:1]).encode()
    ctx = ImportContext(source=None, url=None, filename="dump.json")
    with pytest.raises(ImportFileError, match=r"messages of 2 channels"):
        get_format("telethon-json")(data, ctx)


def test_telethon_dump_is_checked_against_the_id_a_poll_resolved(
    workspace: Any, tmp_path: Path
) -> None:
    from sourcewatch.ingest.imports import import_file
    from sourcewatch.ingest.writer import ingest

    source = SourceConfig(name="chp", kind="telegram", target="chp_chechnya", backend="telethon")
    entity = {"channel_id": 1088459257, "access_hash": 42}
    ingest(workspace, source, PollResult(cursor={"last_id": 1, "entity": entity}))
    path = tmp_path / "dump.json"
    path.write_bytes(UKRAINE_DUMP.read_bytes())
    with pytest.raises(ImportFileError, match=r"watches channel id 1088459257"):
        import_file(workspace, path, source, "telethon-json")
    path.write_bytes((FIXTURES / "telethon_chp_chechnya_channel_messages.json").read_bytes())
    assert import_file(workspace, path, source, "telethon-json").new == 4


def test_an_edit_shown_by_a_poll_page_is_a_revision_outside_the_recheck_window(
    server: HTTPServer, workspace: Any
) -> None:
    """A post from 2023 edited today: the poll page shows it with new text and the
    "edited" mark; no re-check would look at it (the window is 48 hours)."""
    from sourcewatch.polling.pipeline import poll_source

    workspace.settings.net.per_host_interval = 0.0
    workspace.settings.telegram.backfill_pages = 1
    source = topwar_source(server, download_media=True)
    cdn = server.url_for("/cdn").encode()
    serve_pages(server, {"": build_page(NEWEST).replace(b"https://cdn4.telegram-cdn.org", cdn)})
    server.expect_request(re.compile(r"^/cdn/file/")).respond_with_data(b"media bytes")

    async def run() -> Any:
        async with Http(workspace.settings.net) as http:
            return await poll_source(workspace, source, http)

    assert asyncio.run(run()).new == 4
    with workspace.engine.connect() as conn:
        media_before = conn.execute(
            sa.text("SELECT media FROM item WHERE external_id = '71000'")
        ).scalar()
    server.clear()
    edited = build_page(NEWEST, text="Исправленный текст")  # 71008, the newest, edited
    doc = lxml.html.document_fromstring(edited)
    for meta in doc.find_class("tgme_widget_message_meta"):
        if "71008" in lxml.html.tostring(meta, encoding="unicode"):
            meta.text = "edited "
    serve_pages(server, {"": lxml.html.tostring(doc, encoding="utf-8")})
    second = asyncio.run(run())
    third = asyncio.run(run())

    assert (second.new, second.edited, second.unchanged) == (0, 1, 3)
    assert (third.new, third.edited) == (0, 0)
    with workspace.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT r.revision, r.text FROM item_revision r JOIN item i ON i.id = r.item_id "
                "WHERE i.external_id = '71008' ORDER BY r.revision"
            )
        ).all()
        media_after = conn.execute(
            sa.text("SELECT media FROM item WHERE external_id = '71000'")
        ).scalar()
    assert [r[0] for r in rows] == [1, 2] and rows[1][1] == "Исправленный текст"
    assert media_after == media_before  # the album's archived photos are kept
    photos = json.loads(media_after) if isinstance(media_after, str) else media_after
    assert photos and all(m.get("sha256") for m in photos if m["kind"] == "photo")


def test_poll_ingest_twice_stores_each_post_once(server: HTTPServer, workspace: Any) -> None:
    from sourcewatch.polling.pipeline import poll_source

    serve_pages(
        server,
        {
            "": build_page(NEWEST),
            "before=71000": build_page(MIDDLE),
            "before=70996": build_page(OLDEST),
        },
    )
    workspace.settings.net.per_host_interval = 0.0
    workspace.settings.telegram.backfill_pages = 3
    source = topwar_source(server)

    async def run() -> tuple[Any, Any]:
        async with Http(workspace.settings.net) as http:
            return await poll_source(workspace, source, http), await poll_source(
                workspace, source, http
            )

    first, second = asyncio.run(run())

    assert first.new == 12 and second.new == 0
    with workspace.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT external_id FROM item ORDER BY external_id")).all()
        cursor = conn.execute(sa.text("SELECT cursor FROM source WHERE name = 'topwar'")).scalar()
    assert [r[0] for r in rows] == sorted(str(i) for i in OLDEST + MIDDLE + NEWEST)
    assert "71008" in str(cursor)


def test_recheck_of_an_unchanged_album_with_media_is_not_an_edit(server: HTTPServer) -> None:
    # CDN file URLs change on every fetch; the item's content hash must not.
    cdn = server.url_for("/cdn").encode()
    serve_pages(server, {"": build_page(NEWEST).replace(b"https://cdn4.telegram-cdn.org", cdn)})
    server.expect_request(re.compile(r"^/cdn/file/")).respond_with_data(b"same photo bytes")
    server.expect_request(
        "/topwar_official/71000", query_string="embed=1&mode=tme"
    ).respond_with_data(
        embed_page(71000).replace(b"https://cdn4.telegram-cdn.org", cdn), content_type="text/html"
    )
    source = topwar_source(server, download_media=True)
    settings = settings_for()
    polled = {i.external_id: i for i in poll(source, settings, {"last_id": 70999}).items}
    album = polled["71000"]
    ref = ItemRef("71000", album.url, album.content_hash(), album.published_at)

    assert reread(source, settings, [ref]).items == []


def test_a_page_without_an_older_link_is_the_channels_start(server: HTTPServer) -> None:
    doc = lxml.html.document_fromstring(build_page(OLDEST))
    for more in doc.find_class("tme_messages_more"):
        more.drop_tree()
    for link in doc.xpath("//link[@rel='prev']"):
        link.drop_tree()
    serve_pages(server, {"": lxml.html.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>")})

    result = poll(topwar_source(server), settings_for(backfill_pages=3))
    assert [int(i.external_id) for i in result.items] == OLDEST
    assert len(result.captures) == 1  # nothing older was asked for


def test_paging_that_does_not_move_back_is_an_error(server: HTTPServer) -> None:
    serve_pages(server, {"": build_page(NEWEST), "before=71000": build_page(NEWEST)})
    with pytest.raises(CollectorError, match="paging back stalled"):
        poll(topwar_source(server), settings_for(backfill_pages=3))


def test_recheck_results_ingest_as_revision_and_tombstone(
    server: HTTPServer, workspace: Any
) -> None:
    from sourcewatch.ingest.writer import ingest

    serve_pages(server, {"": build_page(NEWEST)})
    settings = settings_for()
    source = topwar_source(server)
    polled = poll(source, settings, {"last_id": 70999})
    assert ingest(workspace, source, polled).new == 4
    embed = "/topwar_official/{}"
    server.expect_request(embed.format(71007), query_string="embed=1&mode=tme").respond_with_data(
        embed_page(71007, text="Новый текст", edited=True), content_type="text/html"
    )
    server.expect_request(embed.format(71006), query_string="embed=1&mode=tme").respond_with_data(
        POST_NOT_FOUND, content_type="text/html"
    )
    stored = {item.external_id: item for item in polled.items}
    refs = [
        ItemRef(i, stored[i].url, stored[i].content_hash(), stored[i].published_at)
        for i in ("71006", "71007")
    ]

    report = ingest(workspace, source, reread(source, settings, refs))

    assert (report.edited, report.deleted, report.new) == (1, 1, 0)
    with workspace.engine.connect() as conn:
        rows = dict(
            conn.execute(
                sa.text("SELECT external_id, deleted_at IS NOT NULL FROM item WHERE external_id "
                        "IN ('71006', '71007')")
            ).all()
        )  # fmt: skip
        text = conn.execute(sa.text("SELECT text FROM item WHERE external_id = '71007'")).scalar()
    assert rows == {"71006": True, "71007": False}
    assert text == "Новый текст"
