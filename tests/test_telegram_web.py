"""The t.me web-preview parser, on real recorded pages (see fixtures/telegram/SOURCES.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sourcewatch.collectors.telegram.text import parse_count, parse_size
from sourcewatch.collectors.telegram.webpage import TelegramPageError, parse_page
from sourcewatch.text.sanitize import terminal_safe

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOPWAR = (FIXTURES / "any2feed_topwar_official_channel_page.html").read_bytes()
FIGHTER = (FIXTURES / "any2feed_fighter_bomber_11226_edited_linkpreview.html").read_bytes()
GOBLIN = (FIXTURES / "any2feed_oper_goblin_22358_forwarded.html").read_bytes()

TOPWAR_IDS = [70989, 70990, 70992, 70995, 70996, 70997, 70998, 70999, 71000, 71006, 71007, 71008]


def test_channel_page_has_every_post_with_its_id_and_utc_time() -> None:
    page = parse_page(TOPWAR)

    assert [post.post_id for post in page.posts] == TOPWAR_IDS
    assert page.channel == "topwar_official"
    assert page.channel_title == "Военное обозрение"
    assert page.before == 70989
    first = page.posts[0].item
    assert first.external_id == "70989"
    assert first.url == "https://t.me/topwar_official/70989"
    assert first.published_at == datetime(2023, 2, 28, 7, 47, 53, tzinfo=UTC)
    assert all(post.item.published_at.tzinfo is UTC for post in page.posts)
    assert all(not post.item.edited for post in page.posts)
    assert first.extra["views"] == 37200


def test_forwarded_posts_name_the_original_post() -> None:
    page = parse_page(TOPWAR)

    forwarded = {p.post_id: p.item.forwarded_from for p in page.posts if p.item.forwarded_from}
    assert len(forwarded) == 5
    assert forwarded[70998] == "https://t.me/Belarus_VPO/34301"
    assert forwarded[71007] == "https://t.me/dimsmirnov175/44655"
    by_id = {p.post_id: p.item for p in page.posts}
    assert by_id[70998].extra["forwarded_from_name"] == "БелВПО"


def test_album_members_are_covered_ids_not_gaps() -> None:
    page = parse_page(TOPWAR)
    by_id = {post.post_id: post for post in page.posts}

    assert by_id[70992].covered_ids == (70992, 70993, 70994)
    assert by_id[71000].covered_ids == tuple(range(71000, 71006))
    assert by_id[71000].item.extra["album"] == list(range(71000, 71006))
    kinds = [m.kind for m in by_id[70992].item.media]
    assert kinds == ["photo", "photo", "video"]
    assert by_id[70992].item.media[1].url == "https://t.me/topwar_official/70993?single"
    # Every album member has a downloadable file URL (photos and the video).
    assert sorted(by_id[70992].files) == [0, 1, 2]
    assert page.max_id == 71008


def test_text_keeps_links_and_line_breaks() -> None:
    by_id = {p.post_id: p.item for p in parse_page(TOPWAR).posts}

    text = by_id[70996].text
    assert "на расстояние 180 метров (https://t.me/infantmilitario/93419), пока" in text
    assert text.endswith("@yaremshooter")  # a mention already says where it goes
    assert "\n\nКроме этого" in text
    assert "  " not in text  # the recorded page's indentation is not text
    assert by_id[70995].text.startswith('План "Ковер" отменен')
    album_text = by_id[70992].text
    assert album_text.startswith("Сегодня ночью") and album_text.count("Сегодня ночью") == 1


def test_too_big_video_and_link_preview() -> None:
    by_id = {p.post_id: p for p in parse_page(TOPWAR).posts}

    too_big = by_id[71006].item.media[0]
    assert too_big.kind == "video"
    assert too_big.url == "https://t.me/topwar_official/71006"
    assert "Media is too big" in (too_big.note or "")
    assert by_id[71006].files == {}
    assert by_id[71008].files[0].startswith("https://cdn4.telegram-cdn.org/file/")
    preview = by_id[70996].item.media[0]
    assert (preview.kind, preview.url, preview.name) == (
        "link_preview",
        "http://t.me/infantmilitario/93419",
        "Милитарист",
    )


def test_edited_single_message_uses_the_utc_datetime_not_the_local_clock() -> None:
    page = parse_page(FIGHTER)

    (post,) = page.posts
    item = post.item
    assert item.external_id == "11226"
    assert item.edited is True
    assert item.published_at == datetime(2023, 3, 1, 7, 37, 2, tzinfo=UTC)  # shown as 10:37
    assert item.extra["views"] == 69400
    assert item.text == "Жениться вам, барин, пора! 😁\n\nhttps://t.me/shalnyak/5410"
    assert item.forwarded_from is None
    assert [m.kind for m in item.media] == ["link_preview"]


def test_forwarded_single_message_with_photo() -> None:
    (post,) = parse_page(GOBLIN).posts
    item = post.item

    assert item.external_id == "22358"
    assert item.forwarded_from == "https://t.me/dimsmirnov175/44604"
    assert item.extra["forwarded_from_name"] == "Пул N3"
    assert item.extra["views"] == 214400
    assert item.edited is False
    assert item.published_at == datetime(2023, 2, 27, 7, 20, 50, tzinfo=UTC)
    assert [m.kind for m in item.media] == ["photo"]
    assert (
        item.text == "Британская разведка выяснила, почему Ким Чен Ын начал выводить дочку в свет"
    )


@pytest.mark.parametrize(
    ("shown", "count"),
    [("214.4K", 214400), ("69.4K", 69400), ("1.2M", 1200000), ("37", 37), ("", None), ("x", None)],
)
def test_view_counts(shown: str, count: int | None) -> None:
    assert parse_count(shown) == count


def test_document_sizes() -> None:
    assert parse_size("2.3 MB") == int(2.3 * 1024 * 1024)
    assert parse_size("812 KB") == 812 * 1024
    assert parse_size("unknown") is None


def test_terminal_escapes_stay_in_the_data_and_are_stripped_for_display() -> None:
    hostile = GOBLIN.replace(
        "Британская разведка".encode(), b"\x1b[2J\x1b]0;pwned\x07\x1b[31mRED\x1b[0m"
    )
    (post,) = parse_page(hostile).posts

    assert "\x1b[2J" in post.item.text  # archived as it was said
    assert terminal_safe(post.item.text).startswith("RED выяснила")


def test_truncated_page_is_an_error_not_fewer_posts() -> None:
    with pytest.raises(TelegramPageError, match="truncated"):
        parse_page(TOPWAR[: len(TOPWAR) // 2])


def test_post_without_time_is_an_error() -> None:
    broken = FIGHTER.replace(b'datetime="2023-03-01T07:37:02+00:00"', b"")
    with pytest.raises(TelegramPageError, match="fighter_bomber/11226 has no time"):
        parse_page(broken)


def test_bad_data_post_and_naive_time_are_errors() -> None:
    with pytest.raises(TelegramPageError, match="bad data-post"):
        parse_page(FIGHTER.replace(b'data-post="fighter_bomber/11226"', b'data-post="x/../1"'))
    with pytest.raises(TelegramPageError, match="no zone"):
        parse_page(FIGHTER.replace(b"2023-03-01T07:37:02+00:00", b"2023-03-01T07:37:02"))


def test_mis_encoded_bytes_do_not_break_the_parse() -> None:
    latin = GOBLIN.replace("Британская".encode(), "Британская".encode("cp1251"))
    (post,) = parse_page(latin).posts
    assert "\ufffd" in post.item.text and post.item.external_id == "22358"


def test_embed_error_and_no_messages_pages() -> None:
    error = parse_page(b'<div class="tgme_widget_message_error">Post not found</div>')
    assert error.posts == [] and error.error == "Post not found"
    empty = parse_page(
        b'<html><body><section class="tgme_channel_history"><div class="tgme_widget_message_wrap">'
        b'<div class="tme_no_messages_found">No posts found</div></div></section></body></html>'
    )
    assert empty.no_messages and empty.posts == []


def test_javascript_links_lose_their_href() -> None:
    hostile = FIGHTER.replace(
        b'href="https://t.me/shalnyak/5410" target="_blank"', b'href="javascript:alert(1)"'
    )
    (post,) = parse_page(hostile).posts
    assert "javascript" not in post.item.text


def test_empty_body_is_not_a_page() -> None:
    with pytest.raises(TelegramPageError, match="not an HTML page"):
        parse_page(b"")
