"""Find the footnotes of a report (.txt, .md, .html, .docx) and the URLs in each.

* Text and Markdown: a footnote is a line that starts with ``[n]`` (or the
  Markdown ``[^n]:``); it runs until a blank line or the next footnote.
  A ``[n]`` inside a sentence is a reference, not a footnote.
* HTML: footnote list items (``id="fn3"``, ``id="footnote-3"``, Word's
  ``id="ftn3"``) when the page has them; otherwise the page's text read as
  above. A link's ``href`` is added to its text when the text does not show it.
* .docx: the footnotes (``word/footnotes.xml``) and endnotes
  (``word/endnotes.xml``), numbered in the order the document refers to them,
  as Word displays them, with hyperlink targets added; a document without any
  is read as text (reports pasted with ``[n]`` notes at the end).

Numbers are the report's own: a skipped number stays skipped.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from sourcewatch.citations.urlread import FoundUrl, find_urls
from sourcewatch.errors import SourcewatchError

MAX_REPORT_BYTES = 50 * 1024 * 1024
_NOTE_LINE = re.compile(r"^\s*(?:\[\^?(\d{1,5})\]:?|\^(\d{1,5})\^?)\s*(.*)$")
_HTML_NOTE_ID = re.compile(r"^(?:fn|ftn|edn|footnote-?|endnote-?|note-?)(\d{1,5})$", re.I)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class ReportError(SourcewatchError):
    """The report cannot be read (unknown format, corrupt .docx, too large)."""


@dataclass
class Footnote:
    number: int
    text: str
    kind: str = "footnote"  # or "endnote" (a .docx numbers them separately)
    urls: list[FoundUrl] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"number": self.number, "text": self.text}
        if self.kind != "footnote":
            data["kind"] = self.kind
        data["urls"] = [url.to_json() for url in self.urls]
        return data


def read_report(path: Path) -> list[Footnote]:
    """The footnotes of the report at ``path``, URLs read; the format is taken from the suffix."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise ReportError(f"{path}: {size} bytes, over the {MAX_REPORT_BYTES}-byte cap")
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return footnotes_from_docx(data, name=str(path))
    if suffix in (".html", ".htm"):
        return footnotes_from_html(data)
    if suffix in (".txt", ".md", ".markdown", ""):
        return footnotes_from_text(_decode(data, str(path)))
    raise ReportError(f"{path}: unknown report format {suffix!r} (use .txt, .md, .html or .docx)")


def footnotes_from_text(text: str) -> list[Footnote]:
    notes: list[Footnote] = []
    current: Footnote | None = None
    for line in text.splitlines():
        match = _NOTE_LINE.match(line)
        if match:
            number = int(match.group(1) or match.group(2))
            current = Footnote(number=number, text=match.group(3).strip())
            notes.append(current)
        elif current is not None and line.strip():
            current.text = f"{current.text} {line.strip()}".strip()
        else:
            current = None
    return _with_urls(notes)


def footnotes_from_html(data: bytes) -> list[Footnote]:
    try:
        root = lxml_html.fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise ReportError(f"not an HTML document: {exc}") from exc
    for bad in _html_elements(root, "//script|//style"):
        bad.drop_tree()
    notes = []
    for element in _html_elements(root, "//*[@id]"):
        match = _HTML_NOTE_ID.match(element.get("id") or "")
        if match and element.tag in ("li", "div", "p", "aside", "section"):
            text = _html_text(element).strip()
            text = re.sub(r"^\s*\[?\d{1,5}\]?\s*", "", text)  # the visible number, if written
            notes.append(Footnote(number=int(match.group(1)), text=_squash(text)))
    if notes:
        return _with_urls(notes)
    return footnotes_from_text(_html_text(root))


def footnotes_from_docx(data: bytes, *, name: str = "report") -> list[Footnote]:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        parts = {info.filename: info for info in archive.infolist()}
        document = _xml(archive, parts, "word/document.xml", name)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ReportError(f"{name}: not a .docx file: {exc}") from exc
    if document is None:
        raise ReportError(f"{name}: not a .docx file: no word/document.xml")
    notes: list[Footnote] = []
    for kind, part in (("footnote", "footnotes"), ("endnote", "endnotes")):
        xml = _xml(archive, parts, f"word/{part}.xml", name)
        if xml is None:
            continue
        links = _relationships(archive, parts, f"word/_rels/{part}.xml.rels", name)
        bodies = {
            note.get(f"{{{_W}}}id"): note
            for note in xml.iter(f"{{{_W}}}{kind}")
            if note.get(f"{{{_W}}}type") in (None, "normal")
        }
        order = [ref.get(f"{{{_W}}}id") for ref in document.iter(f"{{{_W}}}{kind}Reference")]
        for number, note_id in enumerate(dict.fromkeys(order), start=1):
            if note_id in bodies:
                notes.append(Footnote(number, _squash(_docx_text(bodies[note_id], links)), kind))
    if notes:
        return _with_urls(notes)
    links = _relationships(archive, parts, "word/_rels/document.xml.rels", name)
    paragraphs = [_docx_text(p, links) for p in document.iter(f"{{{_W}}}p")]
    return footnotes_from_text("\n".join(paragraphs))


def _with_urls(notes: list[Footnote]) -> list[Footnote]:
    for note in notes:
        note.urls = find_urls(note.text)
    return notes


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for encoding in ("utf-16",) if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ():
        return data.decode(encoding, errors="replace")
    # Not UTF-8: cp1252 is what Word's "Save as text" writes on most analysts' machines.
    return data.decode("cp1252", errors="replace")


def _squash(text: str) -> str:
    return re.sub(r"[ \t\r\f\v]+", " ", text).strip()


def _html_elements(root: lxml_html.HtmlElement, path: str) -> list[lxml_html.HtmlElement]:
    """The elements an element-only XPath selects (xpath() is typed for any result)."""
    found = root.xpath(path)
    assert isinstance(found, list)
    return [element for element in found if isinstance(element, lxml_html.HtmlElement)]


def _html_text(element: lxml_html.HtmlElement) -> str:
    for anchor in element.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.startswith(("http://", "https://")) and href not in anchor.text_content():
            anchor.tail = f" <{href}>" + (anchor.tail or "")
    for block in element.iter("p", "div", "li", "br", "tr", "h1", "h2", "h3", "h4"):
        block.tail = "\n" + (block.tail or "")
    return str(element.text_content())


def _xml(
    archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], name: str, report: str
) -> etree._Element | None:
    info = parts.get(name)
    if info is None:
        return None
    if info.file_size > MAX_REPORT_BYTES:
        raise ReportError(f"{report}: {name} unpacks to {info.file_size} bytes, over the cap")
    try:
        return etree.fromstring(archive.read(name), parser=_XML)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError) as exc:
        raise ReportError(f"{report}: {name} is corrupt: {exc}") from exc


def _relationships(
    archive: zipfile.ZipFile, parts: dict[str, zipfile.ZipInfo], name: str, report: str
) -> dict[str, str]:
    xml = _xml(archive, parts, name, report)
    if xml is None:
        return {}
    return {
        rel.get("Id", ""): rel.get("Target", "")
        for rel in xml.iter(f"{{{_PKG_REL}}}Relationship")
        if rel.get("TargetMode") == "External"
    }


def _docx_text(element: etree._Element, links: dict[str, str]) -> str:
    pieces: list[str] = []
    for node in element.iter(f"{{{_W}}}t", f"{{{_W}}}tab", f"{{{_W}}}br", f"{{{_W}}}hyperlink"):
        if node.tag == f"{{{_W}}}t":
            pieces.append(node.text or "")
        elif node.tag == f"{{{_W}}}hyperlink":
            target = links.get(node.get(f"{{{_R}}}id") or "")
            shown = "".join(t.text or "" for t in node.iter(f"{{{_W}}}t"))
            if target and target not in shown:
                pieces.append(f" <{target}> ")
        else:
            pieces.append(" ")
    return "".join(pieces)
