"""Feed and sitemap parsing: every RSS flavour, Atom, sitemaps, and hostile XML."""

from __future__ import annotations

import copy
import random
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser.api
import feedparser.mixin
import feedparser.urls
import pytest
from feedparser.util import FeedParserDict

from news_support import ARABIC, RUSSIAN, fixture_bytes
from sourcewatch.collectors.news import feedparse
from sourcewatch.collectors.news.feedparse import FeedFormatError, parse_feed
from sourcewatch.text import htmltext
from sourcewatch.text.htmltext import html_to_text, links_in

RSS_091 = """<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>http://old.example/</link>
<description>d</description><language>fr</language>
<item><title>Attaque au Mali</title><link>http://old.example/1</link>
<description>Des hommes armés ont attaqué un camp.</description></item>
</channel></rss>""".encode()

RSS_10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://rdf.example/"><title>RDF</title><link>http://rdf.example/</link>
<description>d</description></channel>
<item rdf:about="http://rdf.example/a"><title>RDF item</title><link>http://rdf.example/a</link>
<dc:creator>Analyst</dc:creator><dc:date>2023-09-17T08:00:00Z</dc:date>
<description>Body &amp; more</description></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ar"><title>Atom</title>
<id>urn:feed</id><updated>2023-09-17T10:00:00Z</updated>
<entry><id>tag:atom.example,2023:1</id><title type="html">&lt;b&gt;Bold&lt;/b&gt; title</title>
<link rel="alternate" href="/posts/1"/><published>2023-09-16T09:00:00Z</published>
<updated>2023-09-17T10:00:00Z</updated><author><name>Desk</name></author>
<content type="html">&lt;p&gt;First&lt;/p&gt;&lt;p&gt;Second
&lt;a href="/doc.pdf"&gt;doc&lt;/a&gt;&lt;/p&gt;</content>
<link rel="enclosure" href="http://atom.example/audio.mp3" type="audio/mpeg" length="1234"/>
</entry></feed>"""


def test_rss_091_with_a_doctype() -> None:
    feed = parse_feed(RSS_091, url="http://old.example/rss")
    [entry] = feed.entries
    assert entry.key == "http://old.example/1" and entry.title == "Attaque au Mali"
    assert entry.text == "Des hommes armés ont attaqué un camp." and entry.lang == "fr"


def test_rss_10_rdf() -> None:
    [entry] = parse_feed(RSS_10, url="http://rdf.example/rss").entries
    assert (entry.key, entry.author) == ("http://rdf.example/a", "Analyst")
    assert entry.text == "Body & more"
    assert entry.published_at == datetime(2023, 9, 17, 8, tzinfo=UTC)


def test_atom_entry() -> None:
    [entry] = parse_feed(ATOM, url="http://atom.example/feed").entries
    assert entry.key == "tag:atom.example,2023:1"
    assert entry.link == "http://atom.example/posts/1"  # relative link resolved
    assert entry.title == "Bold title" and entry.author == "Desk" and entry.lang == "ar"
    assert entry.text == "First\nSecond doc"
    assert entry.published_at == datetime(2023, 9, 16, 9, tzinfo=UTC)
    assert entry.updated_at == datetime(2023, 9, 17, 10, tzinfo=UTC)
    [audio] = entry.media
    assert (audio.kind, audio.size, audio.media_type) == ("audio", 1234, "audio/mpeg")
    assert links_in(entry.html, entry.link or "") == ["http://atom.example/doc.pdf"]


def test_entity_expansion_attack_is_refused() -> None:
    # "Billion laughs" (10**9 bytes from 300): expat's amplification limit stops it.
    entities = "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">{entities}]>'
        '<rss version="2.0"><channel><title>t</title><item><title>&i;</title>'
        "<link>http://e.example/1</link></item></channel></rss>"
    ).encode()
    with pytest.raises(FeedFormatError, match="amplification"):
        parse_feed(bomb, url="http://evil.example/")
    # lenient_xml falls back to feedparser's loose parser, which does not expand it.
    [entry] = parse_feed(bomb, url="http://evil.example/", lenient=True).entries
    assert entry.title == "&i;"


def test_external_entities_are_not_read() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>t</title><item><title>&x;</title>'
        b"<link>http://e.example/1</link></item></channel></rss>"
    )
    for lenient in (False, True):
        [entry] = parse_feed(xxe, url="http://evil.example/", lenient=lenient).entries
        assert entry.title is None and entry.text == ""


def test_sitemap_errors_give_the_position() -> None:
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://s.example/a</loc></url><url><loc>http://s.example/b</lo"
    )
    with pytest.raises(FeedFormatError, match=r"sitemap XML .*line 1, column \d+"):
        parse_feed(sitemap, url="http://s.example/sitemap.xml")


def test_empty_and_non_xml_bodies() -> None:
    with pytest.raises(FeedFormatError, match="empty body"):
        parse_feed(b"  \n", url="http://x.example/")
    with pytest.raises(FeedFormatError, match=r"not an RSS or Atom feed \(root is <html>\)"):
        parse_feed(b'<?xml version="1.0"?><html><p>x</p></html>', url="http://x.example/")
    with pytest.raises(
        FeedFormatError, match=re.escape("""not XML: the body starts with '{"items": []}'""")
    ):
        parse_feed(b'{"items": []}', url="http://x.example/")


def test_feed_declared_in_another_charset_is_read_correctly() -> None:
    feed = (
        f'<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel>'
        f"<title>t</title><item><title>{RUSSIAN}</title><link>http://r.example/1</link>"
        "</item></channel></rss>"
    ).encode("cp1251")
    [entry] = parse_feed(feed, url="http://r.example/rss").entries
    assert entry.title == RUSSIAN


def test_html_to_text_keeps_blocks_and_drops_scripts() -> None:
    html = "<p>One <b>bold</b></p><script>alert(1)</script><ul><li>a</li><li>b</li></ul>tail"
    assert html_to_text(html) == "One bold\na\nb\ntail"


# --- Speed-ups that must not change any answer (issue #8, bench/bench_feedparse.py) ---

_WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
_POOLS = [
    "abcXYZ019 .,;:!?'\"()[]/=#%-_",
    ARABIC,
    "שלום עולם",
    RUSSIAN,
    "漢字かなカナ한국어",
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c",  # bidi marks
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u0301\u0651",  # zero-width, soft hyphen, combining
    _WHITESPACE,
    "".join(map(chr, range(0x20))) + "\x7f",  # C0 controls, DEL
    "".join(map(chr, range(0x80, 0xA0))),  # C1 controls
    "\ud800\udbff\udc00\udfff\ufffe\uffff\ufdd0\ufdef\U0001fffe\U0010ffff\U0001f680\U0001d518",
    "<>&;#",
]
_SNIPPETS = [
    "&amp;",
    "&lt;b&gt;",
    "&#150;",
    "&nbsp;",
    "&bogus;",
    "<b>",
    "</p>",
    "<br/>",
    "<script>x</script>",
    "<!-- c -->",
    "<![CDATA[x]]>",
    "a < b",
    "AT&T",
]


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        plain_only = rng.random() < 0.6  # most draws avoid markup, to exercise the fast path
        pools = _POOLS[:8] if plain_only else _POOLS
        parts = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, 40))]
        if not plain_only and rng.random() < 0.5:
            parts.insert(rng.randint(0, len(parts)), rng.choice(_SNIPPETS))
        texts.append("".join(parts))
    return texts


def test_text_after_a_comment_is_kept() -> None:
    # WordPress block markup wraps every paragraph in comments.
    html = "<!-- wp:paragraph --><p>Wagner left Gao<!-- x --> on Tuesday</p><!-- /wp:paragraph -->"
    assert html_to_text(html) == "Wagner left Gao on Tuesday"
    assert html_to_text("<p>a<?pi x?>b</p><script>x<!-- c -->hidden</script>after") == "ab\nafter"


def test_a_control_character_after_a_script_is_no_parse_error() -> None:
    # lxml's parser lets the \x01 through; writing it back into the tree would raise.
    assert html_to_text("<p><script>x</script>\x01 hi</p>") == "\x01 hi"
    feed = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g1</guid>'
        b"<description>&lt;script&gt;x&lt;/script&gt;\x01 hi</description></item></channel></rss>"
    )
    [entry] = parse_feed(feed, url="https://example.org/feed", lenient=True).entries
    assert entry.text == "\x01 hi"


def test_html_to_text_without_markup_answers_as_the_parse_does() -> None:
    texts = _random_texts(6000, seed=8)
    texts += [f" {chr(cp)}a  b{chr(cp)}\u00a0" for cp in range(0x10000)]  # every BMP char
    texts += [f"{chr(cp)} x" for cp in range(0x10000, 0x110000, 997)]
    texts += ["", " ", "\n\t ", ARABIC, f"  {ARABIC}\n\n{RUSSIAN}  ", "\u200fRTL\u200f"]
    plain = 0
    for text in texts:
        assert _outcome(html_to_text, text) == _outcome(htmltext._parsed_text, text), repr(text)
        plain += not htmltext._NOT_PLAIN.search(text)
    assert plain > 50_000  # the fast path was taken for most of them


def _outcome(function: Any, *args: Any) -> str:
    """The answer or the exception: a refusal (e.g. lxml's ValueError for a control
    character after a dropped <script>) must stay the same refusal."""
    try:
        return repr(function(*args))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def test_html_to_text_of_long_plain_text_still_goes_through_the_parse() -> None:
    words = "word " * 20_001
    assert html_to_text(words) == htmltext._parsed_text(words) == " ".join(words.split())
    # libxml2 refuses a text node over 10,000,000 bytes: the answer stays "", as before.
    huge = "x" * 10_000_001
    assert html_to_text(huge) == htmltext._parsed_text(huge) == ""


def test_feedparser_speedups_are_installed_and_answer_as_feedparser_does() -> None:
    assert feedparser.api.PREFERRED_XML_PARSERS == ["xml.sax.expatreader"]
    assert feedparser.mixin.make_safe_absolute_uri is feedparse._make_safe_absolute_uri
    assert feedparser.mixin.resolve_relative_uris is feedparse._resolve_relative_uris_in
    original_join = feedparser.urls.make_safe_absolute_uri
    bases = [
        "http://a.example/feed/",
        "https://b.example/x?y=1#z",
        "",
        "javascript:alert(1)",
        "http://[::1",
        "feed://c.example/",
        "http://ü.example/ä",
        "x" * 3000,
    ]
    rels = [
        None,
        "",
        "p/1",
        "/abs",
        "../up",
        "//other.example/",
        "javascript:alert(1)",
        "data:text/html,x",
        "http://a.example/feed/",
        "mailto:a@b",
        "http://[::1",
        "y" * 3000,
    ]
    for _ in range(2):  # the second round is answered from the cache
        for base in bases:
            for rel in rels:
                assert feedparse._make_safe_absolute_uri(base, rel) == original_join(base, rel)
    original_resolve = feedparser.urls.resolve_relative_uris
    for text in _random_texts(3000, seed=80) + _SNIPPETS:
        for kind in ("text/html", "application/xhtml+xml"):
            args = (text, "http://a.example/feed/", "utf-8", kind)
            expected = _outcome(original_resolve, *args)
            assert _outcome(feedparse._resolve_relative_uris_in, *args) == expected, repr(text)


def _feedparser_as_shipped(m: pytest.MonkeyPatch) -> None:
    """Put feedparser's own functions back for the rest of ``m``'s context."""
    m.setattr(feedparser.api, "PREFERRED_XML_PARSERS", ["drv_libxml2"])
    m.setattr(feedparser.mixin, "make_safe_absolute_uri", feedparser.urls.make_safe_absolute_uri)
    m.setattr(feedparser.mixin, "resolve_relative_uris", feedparser.urls.resolve_relative_uris)
    m.setattr(feedparser.mixin, "copy", copy)
    m.setattr(FeedParserDict, "get", feedparse._feedparser_get)
    m.setattr(FeedParserDict, "__getitem__", feedparse._feedparser_getitem)


def _parse_as_before(monkeypatch: pytest.MonkeyPatch, body: bytes, **kwargs: Any) -> str:
    """parse_feed with feedparser's own functions and the full HTML parse for all text."""
    with monkeypatch.context() as m:
        _feedparser_as_shipped(m)
        m.setattr(feedparse, "html_to_text", htmltext._parsed_text)
        return _parsed(body, **kwargs)


def _real_feeds() -> list[bytes]:
    """The recorded feeds at hand: feedparser's own test files and two news feeds."""
    bodies = [path.read_bytes() for path in sorted(FEEDPARSER.glob("*.xml"))]
    names = ("rss-parser__guardian.rss", "wordpress__wordpress-org-news.xml")
    return bodies + [fixture_bytes(name) for name in names] + [RSS_091, RSS_10, ATOM]


def _dicts_in(value: Any) -> list[FeedParserDict]:
    """Every FeedParserDict in feedparser's result, nested ones included."""
    found = [value] if isinstance(value, FeedParserDict) else []
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list | tuple):
        for child in children:
            found += _dicts_in(child)
    return found


def test_feedparser_dict_lookups_answer_as_feedparser_does() -> None:
    """get/[] on every dict of real parsed feeds, for each key they hold, every alias and
    special key feedparser knows, a missing key and keys of other types."""
    assert FeedParserDict.get is feedparse._dict_get
    assert FeedParserDict.__getitem__ is feedparse._dict_getitem
    keys = [*FeedParserDict.keymap, *feedparse._SPECIAL_KEYS, "missing", 1, None, ("a",), []]
    dicts = [d for body in _real_feeds() for d in _dicts_in(feedparser.parse(body))]
    assert len(dicts) > 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # updated -> published
        for d in dicts:
            for key in [*d, *keys]:
                expected = _outcome(feedparse._feedparser_getitem, d, key)
                assert _outcome(feedparse._dict_getitem, d, key) == expected, key
                expected = _outcome(feedparse._feedparser_get, d, key, "default")
                assert _outcome(feedparse._dict_get, d, key, "default") == expected, key


def test_content_parameters_are_copied_as_deepcopy_copies_them() -> None:
    assert feedparser.mixin.copy.deepcopy is feedparse._deepcopy
    params = FeedParserDict({"type": "text/html", "language": None, "base": "http://a/"})
    nested = FeedParserDict({"type": "text/html", "tags": [FeedParserDict({"term": "x"})]})
    flagged = FeedParserDict({"type": "text/plain", "base64": False, "mode": "escaped"})
    for value in (params, nested, flagged, {"plain": "dict"}, [1, [2]]):
        copied = feedparse._deepcopy(value)
        assert copied == copy.deepcopy(value) and type(copied) is type(value)
        assert copied is not value
    copied = feedparse._deepcopy(params)
    copied["value"] = "text"
    assert "value" not in params
    copied = feedparse._deepcopy(nested)
    copied["tags"][0]["term"] = "y"
    assert nested["tags"][0]["term"] == "x"


def test_feedparser_gives_the_same_results_with_the_speedups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """feedparser's whole result (entries, details, links, dates) on the recorded feeds."""
    for body in _real_feeds():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            faster = repr(feedparser.parse(body, sanitize_html=False))
            with monkeypatch.context() as m:
                _feedparser_as_shipped(m)
                assert repr(feedparser.parse(body, sanitize_html=False)) == faster


def _parsed(body: bytes, **kwargs: Any) -> str:
    try:
        feed = parse_feed(body, **kwargs)
    except FeedFormatError as exc:
        return f"FeedFormatError: {exc}"
    return repr(feed) + repr([links_in(e.html, e.link or "") for e in feed.entries])


def test_parse_feed_gives_the_same_answers_with_the_speedups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = "".join(
        f"<item><title>{title}</title><link>http://s.example/{i}</link>"
        f'<guid isPermaLink="false">g-{i}</guid><description>{text}</description>'
        "<pubDate>Sun, 01 Nov 2026 00:00:00 GMT</pubDate></item>"
        for i, (title, text) in enumerate(
            [
                ("Plain report", "Statement about the situation in the region."),
                (ARABIC, f"  {ARABIC}\n{RUSSIAN} \u200f"),
                ("&lt;b&gt;Bold&lt;/b&gt; title", "&lt;p&gt;a&lt;/p&gt;&lt;a href='x/doc.pdf'&gt;"),
                ("AT&amp;T &#150; &amp;bogus;", "<![CDATA[<script>x()</script><p>ok</p>]]>"),
                ("Ã© mojibake \u0093q\u0094", "tab\there\u00a0nbsp"),
            ]
        )
    )
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xml:base="http://s.example/b/">'
        f"<channel><title>Feed &amp; more</title>{items}</channel></rss>"
    ).encode()
    bodies = [
        (rss, False),
        (RSS_091, False),
        (RSS_10, False),
        (ATOM, False),
        (rss.replace(b"</channel>", b"<item><title>broken</item></channel>"), True),
        (fixture_bytes("rss-parser__guardian.rss"), False),
        (fixture_bytes("wordpress__wordpress-org-news.xml"), False),
    ]
    for body, lenient in bodies:
        kwargs = {"url": "http://s.example/feed", "lenient": lenient}
        assert _parsed(body, **kwargs) == _parse_as_before(monkeypatch, body, **kwargs)


# --- issue #18: nothing dropped (feedparser's own test corpus, tests/fixtures/feedparser) ---

FEEDPARSER = Path(__file__).parent / "fixtures" / "feedparser"


def corpus(name: str) -> bytes:
    return (FEEDPARSER / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("wellformed_rss_item_description.xml", "Example description"),
        ("wellformed_rss_item_content_encoded.xml", "Example content"),
    ],
)
def test_an_item_without_guid_or_link_gets_a_stable_content_id(name: str, text: str) -> None:
    first = parse_feed(corpus(name), url="http://example.org/feed")
    again = parse_feed(corpus(name), url="http://example.org/feed")
    [entry] = first.entries
    assert entry.text == text and entry.link is None
    assert entry.key.startswith("sha256:") and entry.key == again.entries[0].key
    assert first.skipped == []


def test_an_entry_with_nothing_to_keep_is_reported_with_its_reason() -> None:
    parsed = parse_feed(corpus("wellformed_rss_item_dc_date.xml"), url="http://example.org/f")
    assert parsed.entries == []
    assert parsed.skipped == ["entry #1: no id, no link, no title and no content"]


def test_two_entries_under_one_guid_keep_the_first_and_report_the_second() -> None:
    # The recorded WordPress feed with its first item repeated, edited: stored under one
    # key, the second would overwrite the first.
    feed = fixture_bytes("wordpress__wordpress-org-news.xml").decode()
    start, end = feed.index("<item>"), feed.index("</item>") + len("</item>")
    copy = feed[start:end].replace("Introducing Learn WordPress", "Edited copy")
    parsed = parse_feed((feed[:end] + copy + feed[end:]).encode(), url="https://wordpress.org/")
    assert len(parsed.entries) == 10 and parsed.entries[0].title == "Introducing Learn WordPress"
    assert parsed.skipped == [
        "entry #2 ('Edited copy'): same id 'https://wordpress.org/news/?p=9444' as entry #1"
    ]


@pytest.mark.parametrize(
    "name",
    [
        "encoding_utf-16be-autodetect.xml",
        "encoding_utf-16le-autodetect.xml",
        "encoding_utf-32be-autodetect.xml",
        "encoding_utf-32le-autodetect.xml",
    ],
)
def test_utf16_and_utf32_feeds_without_bom_are_read(name: str) -> None:
    parsed = parse_feed(corpus(name), url="http://example.org/feed")
    assert parsed.kind == "feed" and parsed.entries == []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_real_feed_in_utf16_or_utf32_without_bom_reads_as_in_utf8(codec: str) -> None:
    utf8 = fixture_bytes("rss-parser__guardian.rss")
    wide = utf8.decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"').encode(codec)
    assert not wide.startswith((b"\xff\xfe", b"\xfe\xff"))
    expected = parse_feed(utf8, url="https://www.theguardian.com/us")
    got = parse_feed(wide, url="https://www.theguardian.com/us")
    assert [(e.key, e.title, e.text) for e in got.entries] == [
        (e.key, e.title, e.text) for e in expected.entries
    ]


def test_an_entry_over_the_text_cap_is_read_only_up_to_it_and_says_so() -> None:
    # Issue 19: one 20 MiB description cost the parse worker and the daemon hundreds of
    # MB (tree, text, pickle, matcher, SQLite). Only its start is read; the cut is said.
    description = "<p>" + "word " * 40_000 + "</p>"
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        f"<guid>big</guid><title>Big</title><description><![CDATA[{description}]]>"
        "</description></item><item><guid>small</guid><description>tiny</description>"
        "</item></channel></rss>"
    ).encode()
    feed = parse_feed(body, url="https://example.org/feed", max_text_chars=10_000)
    big, small = feed.entries
    assert big.text.startswith("word word") and len(big.text) < 10_200
    assert big.text_cut == {
        "kept_chars": big.text.index("\n\n[sourcewatch"),
        "original_chars": 200_007,
    }
    assert big.text.endswith("(max_item_text_chars); the raw capture keeps all of it]")
    assert len(big.html) == 10_000
    assert (small.text, small.text_cut) == ("tiny", None)
    uncut = parse_feed(body, url="https://example.org/feed")  # the default cap: 1,000,000
    assert uncut.entries[0].text_cut is None and len(uncut.entries[0].text) > 190_000
