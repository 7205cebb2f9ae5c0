"""HTML (and the XHTML inside an EPUB) as headings and paragraphs.

Parsed by lxml's HTML parser (libxml2: forgiving with broken markup, no network, no
scripts); script, style, template, navigation and the like are dropped. Block elements
(p, div, li, tr, pre, blockquote, ...) end a paragraph, h1-h6 are headings, the cells of a
table row are joined with " | ", and white space is collapsed except inside <pre>.

The encoding is found as a browser would: a byte-order mark, then a <meta charset> or the
XML declaration (GB2312 and GBK are read as their superset GB18030), then UTF-8 if the bytes
are valid UTF-8, else charset-normalizer's guess (GBK, Big5, Shift-JIS, cp1252, ...).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Iterator

from rag.errors import CorruptDocumentError, NoTextError
from rag.ingest.readers.sections import Block, SectionDocument, section_pages

MAX_HTML_BYTES = 256 << 20

SKIPPED = frozenset({"script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe", "object",
                     "embed", "canvas", "nav", "select", "option", "button", "datalist"})
BLOCKS = frozenset({"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
                    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
                    "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "ol", "p", "pre", "section",
                    "summary", "table", "tbody", "tfoot", "thead", "tr", "ul"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}
CELLS = frozenset({"td", "th"})

_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACES = re.compile(r"\s+")
# what a page declares -> what to decode it with (WHATWG: GB2312/GBK are GBK; GB18030 is its superset)
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
            "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252", "ascii": "cp1252"}


def decode_html(data: bytes) -> tuple[str, str]:
    """(text, encoding used)."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), codec
    head = data[:4096]
    declared = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if declared:
        name = declared.group(1).decode("ascii", "replace").lower()
        name = _ALIASES.get(name, name)
        try:
            codecs.lookup(name)
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:256 << 10]).best()
    name = _ALIASES.get(best.encoding, best.encoding) if best is not None else "cp1252"
    return data.decode(name, errors="replace"), name


def parse_html(text: str):
    """The document's root element (lxml.html), or None when there is no markup at all."""
    from lxml import etree, html

    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        return None
    try:
        return html.document_fromstring(text, parser=html.HTMLParser(recover=True, no_network=True,
                                                                     remove_comments=True, remove_pis=True))
    except (etree.ParserError, ValueError):
        return None


def html_blocks(root) -> Iterator[Block]:
    """The headings and paragraphs of a parsed HTML document, in reading order."""
    from lxml import etree

    pieces: list[str] = []
    skip = pre = cell = 0
    heading = 0
    cells_in_row = 0

    def take(text: str | None) -> None:
        if text and not skip:
            pieces.append(text if pre else _SPACES.sub(" ", text))

    def flush(level: int = 0) -> Block | None:
        text = "".join(pieces).strip()
        pieces.clear()
        if not text:
            return None
        if "\n" in text:
            text = "\n".join(line.rstrip() for line in text.splitlines()).strip("\n")
        elif "  " in text:
            text = _SPACES.sub(" ", text)
        return Block(text, level)

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag
        if not isinstance(tag, str):  # a comment or processing instruction left in
            if event == "end":
                take(el.tail)
            continue
        tag = tag.rpartition("}")[2].lower()
        if event == "start":
            if skip or tag in SKIPPED:
                skip += 1
                continue
            if tag in HEADINGS and not heading and not cell:
                block = flush()
                if block:
                    yield block
                heading = HEADINGS[tag]
            elif tag in CELLS:
                if cells_in_row:
                    pieces.append(" | ")
                cells_in_row += 1
                cell += 1
            elif tag in BLOCKS and not heading and not cell:
                if tag == "tr":
                    cells_in_row = 0
                block = flush()
                if block:
                    yield block
            elif tag in BLOCKS and cell:
                pieces.append(" ")
            if tag == "pre":
                pre += 1
            take(el.text)
        else:
            if skip:
                skip -= 1
                if skip:
                    continue
                take(el.tail)
                continue
            if tag == "br":
                pieces.append("\n" if pre else " ")
            elif tag in HEADINGS and heading == HEADINGS[tag] and not cell:
                block = flush(heading)
                heading = 0
                if block:
                    yield block
            elif tag in CELLS:
                cell = max(0, cell - 1)
            elif tag in BLOCKS and not heading and not cell:
                block = flush()
                if block:
                    yield block
            if tag == "pre":
                pre = max(0, pre - 1)
            take(el.tail)
    block = flush(heading)
    if block:
        yield block


class HtmlDocument(SectionDocument):
    def __init__(self, path: Path):
        size = path.stat().st_size
        if size > MAX_HTML_BYTES:
            raise CorruptDocumentError(path, f"the HTML file is {size >> 20} MiB, more than RAG Desk reads "
                                             f"({MAX_HTML_BYTES >> 20} MiB); split it")
        text, self.encoding = decode_html(path.read_bytes())
        root = parse_html(text)
        if root is None:
            raise NoTextError(path, "the HTML file holds no text")
        super().__init__(path, "html", section_pages(html_blocks(root), path))
