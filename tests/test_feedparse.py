"""Feed and sitemap parsing: every RSS flavour, Atom, sitemaps, and hostile XML."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from news_support import RUSSIAN
from sourcewatch.collectors.feedparse import FeedFormatError, parse_feed
from sourcewatch.collectors.htmltext import html_to_text, links_in

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
