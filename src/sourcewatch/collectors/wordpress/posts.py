"""WordPress REST posts (``/wp-json/wp/v2/posts``) -> ParsedItems, shared by the collector
and ``import --format wp-json``. Pure parsing: no fetching here.

The item's external_id is the WordPress post ID in both API and RSS mode (the
RSS ``guid`` is ``?p=ID``), so a site that closes its API mid-life keeps the
same items. Pages, attachments and custom post types get their own id space
(``page:ID``, ``attachment:ID``, ``<type>:ID``).

Only post objects become items. The REST API's other objects (users, categories
and tags, comments, ...) carry an ``id`` too, from other tables: taken as posts,
author 1 overwrote post 1 with an empty item. They are recognised by their shape
(:func:`object_kind`) and refused, naming what they are; the collector reads
authors and terms as metadata only through a post's ``_embedded``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO

from sourcewatch.collectors.attachments import Candidate, is_attachment_link, media_kind
from sourcewatch.collectors.formats import ImportContext, ImportFileError
from sourcewatch.collectors.jsonstream import JsonStreamError, iter_json_array
from sourcewatch.collectors.news.dates import plausible_or_none
from sourcewatch.collectors.news.feedparse import FeedEntry
from sourcewatch.records import MediaRef, ParsedItem, utcnow
from sourcewatch.text.htmltext import html_to_text, links_in

_POST_ID = re.compile(r"[?&](?:p|page_id)=(\d+)\b")


class PostFormatError(Exception):
    """A REST response or post object does not have the shape of WordPress posts."""


@dataclass
class WpPost:
    item: ParsedItem
    modified: str  # modified_gmt as sent: the change marker
    attachments: list[Candidate]


# What a non-post REST object is, for the message that refuses it.
_NOT_POSTS = {
    "user": "a WordPress user (/wp/v2/users)",
    "term": "a WordPress category or tag (/wp/v2/categories, /wp/v2/tags)",
    "comment": "a WordPress comment (/wp/v2/comments)",
    "unknown": "not a WordPress post (no type, title, content or date)",
}


def object_kind(obj: dict[str, Any]) -> str:
    """What a WordPress REST object is: its post type ("post", "page", "attachment" or a
    custom type), or "user", "term", "comment", "unknown".

    By shape, because every object has an ``id``: terms have ``taxonomy``, comments
    ``type: comment`` (or ``post`` with ``author_name``), users ``avatar_urls`` or only
    a name and slug. A post may lack ``type`` (``_fields``, old plugins): then it is a
    post if it has a title, content or date.
    """
    kind = obj.get("type")
    if "taxonomy" in obj:
        return "term"
    if kind == "comment" or ("post" in obj and "author_name" in obj):
        return "comment"
    if isinstance(kind, str) and kind.strip():
        return kind.strip()
    if "avatar_urls" in obj:
        return "user"
    if any(key in obj for key in ("title", "content", "date", "date_gmt")):
        return "post"
    return "user" if "slug" in obj and "name" in obj else "unknown"


def posts_from_json(data: Any) -> list[dict[str, Any]]:
    """The post objects of a REST answer (a list, or one post); PostFormatError otherwise,
    also when any object is not a post (a user, term or comment listing)."""
    if isinstance(data, dict) and "id" in data:
        data = [data]
    if isinstance(data, dict) and "code" in data:
        raise PostFormatError(f"API error {data.get('code')!r}: {data.get('message', '')}"[:300])
    if not isinstance(data, list):
        raise PostFormatError(f"expected a JSON list of posts, got {type(data).__name__}")
    for index, post in enumerate(data):
        check_post(post, index)
    return data


def check_post(post: Any, index: int) -> dict[str, Any]:
    """``post`` if it is a post object; PostFormatError naming it otherwise."""
    if not isinstance(post, dict):
        raise PostFormatError(f"post #{index + 1} is {type(post).__name__}, not an object")
    kind = object_kind(post)
    if kind in _NOT_POSTS:
        raise PostFormatError(
            f"object #{index + 1} (id {post.get('id')!r}) is {_NOT_POSTS[kind]}, "
            "not a post: only posts become items"
        )
    return post


def post_external_id(kind: str, post_id: int) -> str:
    """Posts keep their bare ID (as RSS mode gives it); other post types their own space."""
    return str(post_id) if kind == "post" else f"{kind}:{post_id}"


def parse_post(post: dict[str, Any], index: int = 0) -> WpPost:
    post_id = post.get("id")
    if not isinstance(post_id, int) or isinstance(post_id, bool):
        raise PostFormatError(f"post #{index + 1} has no integer id")
    link = _text(post.get("link"))
    body_html = _rendered(post, "content")
    title = html_to_text(_rendered(post, "title")) or None
    modified = _text(post.get("modified_gmt")) or ""
    # A scheduled post's date is in the future, a draft's is 0000-00-00: no publication date.
    published = plausible_or_none(_gmt(post.get("date_gmt")), utcnow())
    edited_at = _gmt(modified)
    terms = _embedded_terms(post)
    extra: dict[str, Any] = {
        "wp_id": post_id,
        "categories": terms.get("category") or _ids(post.get("categories")),
        "tags": terms.get("post_tag") or _ids(post.get("tags")),
    }
    if isinstance(post.get("author"), int):
        extra["author_id"] = post["author"]
    kind = object_kind(post)
    if kind in _NOT_POSTS:
        raise PostFormatError(f"post #{index + 1} (id {post_id}) is {_NOT_POSTS[kind]}")
    if kind != "post":
        extra["wp_type"] = kind
    item = ParsedItem(
        external_id=post_external_id(kind, post_id),
        url=link,
        author=_embedded_author(post),
        published_at=published,
        text=html_to_text(body_html),
        title=title,
        edited_at=edited_at if edited_at and edited_at != published else None,
        extra={k: v for k, v in extra.items() if v not in (None, [])},
    )
    base = link or ""
    attachments = [Candidate(u) for u in links_in(body_html, base) if is_attachment_link(u)]
    return WpPost(item, modified, attachments)


def media_candidates(data: Any) -> list[Candidate]:
    """Attachments listed by ``/wp/v2/media?parent=ID``."""
    if not isinstance(data, list):
        raise PostFormatError(f"media listing is {type(data).__name__}, not a list")
    found: list[Candidate] = []
    for index, media in enumerate(data):
        kind = object_kind(media) if isinstance(media, dict) else None
        if kind in ("user", "term", "comment") or (
            isinstance(media, dict) and media.get("type") not in (None, "attachment")
        ):
            raise PostFormatError(
                f"media listing object #{index + 1} is a {kind}, not an attachment"
            )
        if not isinstance(media, dict) or not isinstance(media.get("source_url"), str):
            continue
        details = _object(media.get("media_details"))
        size = details.get("filesize")
        found.append(
            Candidate(
                url=media["source_url"],
                name=html_to_text(_rendered(media, "title")) or None,
                media_type=media.get("mime_type")
                if isinstance(media.get("mime_type"), str)
                else None,
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )
    return found


def rss_post(entry: FeedEntry) -> WpPost:
    """A WordPress RSS entry as the same kind of item the REST API gives."""
    match = _POST_ID.search(entry.key) or _POST_ID.search(entry.link or "")
    kind = "page" if match and "page_id=" in match.group(0) else "post"
    external_id = post_external_id(kind, int(match.group(1))) if match else entry.key
    extra: dict[str, Any] = {"categories": entry.categories} if entry.categories else {}
    if match:
        extra["wp_id"] = int(match.group(1))
    if entry.text_cut:  # over max_item_text_chars: the parser cut it (sourcewatch.text.cut)
        extra["text_cut"] = entry.text_cut
    item = ParsedItem(
        external_id=external_id,
        url=entry.link,
        author=entry.author,
        published_at=plausible_or_none(entry.published_at, utcnow()),
        text=entry.text,
        title=entry.title,
        extra=extra,
    )
    links = [u for u in links_in(entry.html, entry.link or "") if is_attachment_link(u)]
    links += [m.url for m in entry.media if m.url and m.url not in links]
    return WpPost(item, entry.fingerprint, [Candidate(u) for u in links])


def parse_wp_json(data: bytes, ctx: ImportContext) -> list[ParsedItem]:
    """``import --format wp-json``: a saved ``/wp/v2/posts`` answer. Attachments are
    recorded by URL (an import does not download)."""
    try:
        posts = posts_from_json(json.loads(data))
        parsed = [parse_post(post, index) for index, post in enumerate(posts)]
    except json.JSONDecodeError as exc:
        raise ImportFileError(
            f"{ctx.filename}: bad JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except (PostFormatError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"{ctx.filename}: {exc}") from exc
    return [_imported(post) for post in parsed]


def iter_wp_json(stream: BinaryIO, ctx: ImportContext) -> Iterator[ParsedItem]:
    """:func:`parse_wp_json` of a saved list of posts, one post at a time: import memory
    follows the largest post, not the file (collectors/jsonstream.py)."""
    try:
        for index, post in enumerate(iter_json_array(stream)):
            yield _imported(parse_post(check_post(post, index), index))
    except (JsonStreamError, PostFormatError) as exc:
        raise ImportFileError(f"{ctx.filename}: {exc}") from exc


def _imported(post: WpPost) -> ParsedItem:
    """The post's item, its attachments recorded by URL (an import does not download)."""
    post.item.media = [
        MediaRef(kind=media_kind(None, c.url), url=c.url, note="not downloaded (import)")
        for c in post.attachments
    ]
    return post.item


def _rendered(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if isinstance(value, dict):
        value = value.get("rendered")
    return value if isinstance(value, str) else ""


def _gmt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _object(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _ids(value: Any) -> list[int]:
    return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []


def _embedded_terms(post: dict[str, Any]) -> dict[str, list[str]]:
    embedded = _object(post.get("_embedded"))
    names: dict[str, list[str]] = {}
    for group in embedded.get("wp:term") or []:
        for term in group if isinstance(group, list) else []:
            if isinstance(term, dict) and isinstance(term.get("name"), str):
                taxonomy = str(term.get("taxonomy", ""))
                names.setdefault(taxonomy, []).append(html.unescape(term["name"]))
    return names


def _embedded_author(post: dict[str, Any]) -> str | None:
    embedded = _object(post.get("_embedded"))
    authors = embedded.get("author")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        name = authors[0].get("name")
        return name if isinstance(name, str) and name.strip() else None
    return None
