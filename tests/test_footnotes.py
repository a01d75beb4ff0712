"""Footnotes of reports: the seed report exactly, Markdown, HTML, .docx footnotes and endnotes."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from sourcewatch.citations.footnotes import (
    ReportError,
    footnotes_from_docx,
    footnotes_from_html,
    footnotes_from_text,
    read_report,
)

SEED = Path(__file__).parent / "fixtures" / "seed" / "seed_report.txt"


@pytest.fixture(scope="module")
def seed() -> dict[int, list]:
    return {note.number: note for note in read_report(SEED)}


def test_the_seed_report_has_80_footnotes_and_number_41_is_missing(seed: dict) -> None:
    assert len(seed) == 80
    assert sorted(seed) == [n for n in range(1, 82) if n != 41]


def test_75_seed_footnotes_cite_125_urls(seed: dict) -> None:
    assert sum(1 for note in seed.values() if note.urls) == 75
    assert sum(len(note.urls) for note in seed.values()) == 125


def test_seed_footnotes_without_a_url_are_listed_as_such(seed: dict) -> None:
    without = {n: note.text for n, note in seed.items() if not note.urls}
    assert sorted(without) == [1, 14, 15, 16, 56]
    assert without[56] == "Author’s research."
    assert seed[14].to_json()["urls"] == []


def test_every_dot_form_in_the_seed_is_refanged(seed: dict) -> None:
    spelled = [u for note in seed.values() for u in note.urls if " dot " in u.raw]
    assert len(spelled) == 10  # footnotes 2, 3, 31, 59, 64, 73, 77, 78, 79 (twice in 79)
    for found in spelled:
        assert " " not in found.url and "dot" not in found.url.split("/")[2]
    assert seed[59].urls[0].url.startswith("https://www.punjabnewsexpress.com/world/")
    assert seed[31].urls[2].canonical == "http://en.kremlin.ru/events/president/news/71838"
    assert seed[64].urls[0].canonical == "https://www.independentpersian.com/node/338666"
    assert seed[79].urls[1].canonical == "https://www.etilaatroz.com/ps/21529"
    assert seed[2].urls[0].raw.startswith("https://shaam dot org/news/")


def test_share_parameters_are_dropped(seed: dict) -> None:
    raws = [u for note in seed.values() for u in note.urls if "?s=" in u.raw]
    assert {u.raw.rsplit("?", 1)[1] for u in raws} == {"s=20", "s=46"}
    assert all("?" not in u.canonical for u in raws)
    assert seed[77].urls[1].canonical == "https://x.com/natsecjeff/status/1701893522612461734"


def test_seed_kinds_and_the_text_fragment(seed: dict) -> None:
    kinds = [u.kind for note in seed.values() for u in note.urls]
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "x": 44,  # 39 twitter.com + 5 x.com
        "telegram": 22,
        "jihadology": 1,
        "web": 58,
    }
    [brookings] = seed[61].urls
    assert brookings.raw.endswith("version%20of%20it)")
    assert brookings.canonical == (
        "https://www.brookings.edu/articles/comparing-al-qaeda-and-isis-different-goals-"
        "different-targets/"
    )
    assert seed[71].urls[1].raw == "https://twitter.com/IftikharFirdous/status/1701144373088633170"


def test_markdown_footnotes_and_references_in_sentences() -> None:
    text = (
        "A claim.[^1] Another [2] in a sentence.\n\n"
        "[^1]: https://t.me/s/rybar/51411 and\n  https://x.com/a/status/1\n\n"
        "[2] Ibid.\n"
    )
    notes = footnotes_from_text(text)
    assert [(n.number, len(n.urls)) for n in notes] == [(1, 2), (2, 0)]
    assert notes[0].urls[0].canonical == "https://t.me/rybar/51411"


def test_html_footnote_list_with_links() -> None:
    html = b"""<html><body><p>Text<sup><a href="#fn1">1</a></sup></p>
    <ol class="footnotes"><li id="fn1"><a href="https://t.me/rybar/51411">Rybar</a>, 20 Sept.</li>
    <li id="fn3">Ibid.</li><script>var u="https://evil.example/x";</script></ol></body></html>"""
    notes = footnotes_from_html(html)
    assert [(n.number, [u.canonical for u in n.urls]) for n in notes] == [
        (1, ["https://t.me/rybar/51411"]),
        (3, []),
    ]


def test_html_without_a_footnote_list_is_read_as_text() -> None:
    html = b"<html><body><p>Body.[1]</p><p>[1] https://x.com/a/status/1?s=20</p></body></html>"
    [note] = footnotes_from_html(html)
    assert note.urls[0].canonical == "https://x.com/a/status/1"


def docx(parts: dict[str, str]) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def test_docx_footnotes_and_endnotes_with_hyperlinks() -> None:
    document = (
        f"<w:document {W}><w:body><w:p><w:r><w:t>A.</w:t></w:r>"
        '<w:r><w:footnoteReference w:id="7"/></w:r><w:r><w:t>B.</w:t></w:r>'
        '<w:r><w:footnoteReference w:id="2"/></w:r><w:r><w:endnoteReference w:id="1"/></w:r>'
        "</w:p></w:body></w:document>"
    )
    footnotes = (
        f"<w:footnotes {W} {R}>"
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:t>---</w:t></w:r></w:p></w:footnote>'
        '<w:footnote w:id="2"><w:p><w:r><w:t>Ibid.</w:t></w:r></w:p></w:footnote>'
        '<w:footnote w:id="7"><w:p><w:r><w:t xml:space="preserve">Rybar post: </w:t></w:r>'
        '<w:hyperlink r:id="rId5"><w:r><w:t>this post</w:t></w:r></w:hyperlink>'
        "<w:r><w:t>; https://twitter.com/a/status/9?s=20</w:t></w:r></w:p></w:footnote>"
        "</w:footnotes>"
    )
    rels = (
        f'<Relationships xmlns="{REL}"><Relationship Id="rId5" Type="{HYPERLINK}" '
        'Target="https://t.me/s/rybar/51411" TargetMode="External"/></Relationships>'
    )
    endnotes = (
        f"<w:endnotes {W}>"
        '<w:endnote w:id="1"><w:p><w:r><w:t>https://shaam dot org/news/a</w:t></w:r></w:p>'
        "</w:endnote></w:endnotes>"
    )
    notes = footnotes_from_docx(
        docx(
            {
                "word/document.xml": document,
                "word/footnotes.xml": footnotes,
                "word/_rels/footnotes.xml.rels": rels,
                "word/endnotes.xml": endnotes,
            }
        )
    )
    assert [(n.kind, n.number, [u.canonical for u in n.urls]) for n in notes] == [
        ("footnote", 1, ["https://t.me/rybar/51411", "https://x.com/a/status/9"]),
        ("footnote", 2, []),
        ("endnote", 1, ["https://shaam.org/news/a"]),
    ]
    assert notes[2].to_json()["kind"] == "endnote"


def test_docx_without_notes_is_read_as_text() -> None:
    document = (
        f"<w:document {W}><w:body><w:p><w:r><w:t>Body.[1]</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>[1] https://t.me/rybar/1</w:t></w:r></w:p></w:body></w:document>"
    )
    [note] = footnotes_from_docx(docx({"word/document.xml": document}))
    assert note.urls[0].canonical == "https://t.me/rybar/1"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"not a zip", "not a .docx file"),
        (docx({"word/other.xml": "<x/>"}), "no word/document.xml"),
        (docx({"word/document.xml": "<w:document"}), "word/document.xml is corrupt"),
    ],
)
def test_broken_docx_files_are_named_errors(data: bytes, problem: str) -> None:
    with pytest.raises(ReportError, match=problem):
        footnotes_from_docx(data, name="draft.docx")


def test_docx_entity_expansion_is_not_performed() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f"<w:document {W}><w:body><w:p><w:r><w:t>[1] &b; https://t.me/a/1</w:t></w:r></w:p>"
        "</w:body></w:document>"
    )
    [note] = footnotes_from_docx(docx({"word/document.xml": bomb}))
    assert "aaaaaaaaaa" not in note.text


def test_report_formats_and_read_errors(tmp_path: Path) -> None:
    (tmp_path / "r.md").write_text("[1] https://t.me/a/1\n", encoding="utf-8")
    assert len(read_report(tmp_path / "r.md")) == 1
    latin = tmp_path / "r.txt"
    latin.write_bytes("[1] Caf\xe9 https://t.me/a/1\n".encode("cp1252"))
    assert read_report(latin)[0].text.startswith("Café")
    (tmp_path / "r.pdf").write_bytes(b"%PDF")
    with pytest.raises(ReportError, match=r"unknown report format '\.pdf'"):
        read_report(tmp_path / "r.pdf")
    with pytest.raises(ReportError, match="cannot read"):
        read_report(tmp_path / "missing.txt")
