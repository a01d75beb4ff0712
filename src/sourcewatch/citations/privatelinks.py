"""``t.me/c/<chat id>/<message>`` links, matched to the posts we collected.

Telegram's "copy link" on a channel the reader joined through an invite, and every link
copied from a desktop client's private-chat view, is ``t.me/c/<internal id>/<message>``:
the channel's internal id instead of its public name. Analysts paste these links into
footnotes for public channels too. Only members can open them, so a citation of one
would be "blocked" forever, although the post may sit in our archive.

The Telegram collectors know the internal id: Telethon items carry it in
``extra["channel_id"]`` (beside the public name in ``extra["channel"]``), and a Telethon
source's cursor keeps its resolved ``entity.channel_id``. So ``t.me/c/ID/N`` is the post
N of the channel whose id is ID: an item with that channel id and message id, an item
of a source whose cursor names that id, or any item whose canonical URL is
``t.me/<public name>/N`` for a public name that channel is known by.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from sourcewatch.store.tables import ITEM, SOURCE

_PRIVATE_POST = re.compile(r"^https://t\.me/c/(?P<chat>[0-9]{1,20})/(?P<msg>[0-9]{1,12})$")
_MAX_NAMES = 20


def private_post(canonical: str) -> tuple[int, int] | None:
    """(internal channel id, message id) of a canonical ``t.me/c/...`` post URL, else None."""
    match = _PRIVATE_POST.match(canonical)
    if match is None:
        return None
    return int(match.group("chat")), int(match.group("msg"))


def channel_names(conn: sa.Connection, chat: int) -> list[str]:
    """The public names the channel with internal id ``chat`` is known by in our items."""
    name = ITEM.c.extra["channel"].as_string()
    rows = conn.execute(
        sa.select(name)
        .where(ITEM.c.extra["channel_id"].as_integer() == chat, name.is_not(None))
        .distinct()
        .limit(_MAX_NAMES)
    )
    return sorted({str(row[0]).lower() for row in rows if row[0]})


def item_match(conn: sa.Connection, chat: int, msg: int) -> sa.ColumnElement[bool]:
    """A condition on ITEM: the collected items that are post ``msg`` of channel ``chat``."""
    sources = sa.select(SOURCE.c.id).where(
        SOURCE.c.kind == "telegram",
        SOURCE.c.cursor[("entity", "channel_id")].as_integer() == chat,
    )
    same_id = sa.and_(
        ITEM.c.external_id == str(msg),
        sa.or_(ITEM.c.extra["channel_id"].as_integer() == chat, ITEM.c.source_id.in_(sources)),
    )
    public = [f"https://t.me/{name}/{msg}" for name in channel_names(conn, chat)]
    return sa.or_(same_id, ITEM.c.canonical_url.in_(public)) if public else same_id


def public_post_url(conn: sa.Connection, canonical: str) -> str | None:
    """``https://t.me/<name>/<msg>`` for a ``t.me/c/`` link whose channel's public name we
    know (one name only: two names for one id is a conflict we do not guess through)."""
    found = private_post(canonical)
    if found is None:
        return None
    names = channel_names(conn, found[0])
    return f"https://t.me/{names[0]}/{found[1]}" if len(names) == 1 else None
