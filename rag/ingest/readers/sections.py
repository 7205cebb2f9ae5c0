"""Documents of headings and paragraphs (DOCX, EPUB, HTML) as "pages" that are sections.

A reader turns its file into a stream of `Block`s: headings (level 1-9) and paragraphs. Every
heading opens a section, numbered by its place in the outline (`§3.2` is the second
subsection of the third top-level section); text before the first heading is the
document's opening. A page is one section, so `page` in chunks and citations is the section's
ordinal (1-based). A long section is cut at paragraph boundaries into parts of about a PDF
page of text (PART_CHARS), each part a page of its own with the same label, so a search still
returns k different places and the evidence reader sees a page-sized text; a section is cut only
when it is over 1.5 pages long, into parts of equal size, so no part is a stray paragraph.
Headings with no text of their own before the next heading share a page with it.

Each page's raw text is its blocks joined by blank lines (`Page.raw`, what the app's text view
shows; character offsets index it). Its `sections` mark every block's start with its location:
`§3.2 "Installing"` at the heading, `§3.2 "Installing" ¶4` at its fourth paragraph, so a
chunk's `section` (and the citation) says where in the document it starts.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from rag.errors import NoTextError
from rag.ingest.page import Page, ProgressCallback
from rag.ingest.textclean import clean_page

PART_CHARS = 3000  # about a page of a PDF manual (gnuplot.pdf: ~2,900 characters a page)
LONG_SECTION = 1.5  # a section longer than this many parts' worth is cut into parts
TITLE_CHARS = 60  # of a heading, in a label


@dataclass(frozen=True)
class Block:
    text: str
    level: int = 0  # 0 = a paragraph; 1..9 = a heading of that level


def heading_label(number: str, title: str) -> str:
    title = " ".join(title.split())
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    title = title.replace('"', "'")
    return f'§{number} "{title}"' if title else f"§{number}"


class Outline:
    """Section numbers from heading levels: h1 h2 h2 h1 -> 1, 1.1, 1.2, 2 (skipped levels nest)."""

    def __init__(self):
        self.levels: list[int] = []
        self.numbers: list[int] = []

    def number(self, level: int) -> str:
        while self.levels and self.levels[-1] > level:
            self.levels.pop()
            self.numbers.pop()
        if self.levels and self.levels[-1] == level:
            self.numbers[-1] += 1
        else:
            self.levels.append(level)
            self.numbers.append(1)
        return ".".join(map(str, self.numbers))


class _PageBuilder:
    def __init__(self):
        self.parts: list[str] = []
        self.marks: list[tuple[int, str]] = []  # (raw offset, label)
        self.size = 0

    def add(self, text: str, label: str) -> None:
        if self.parts:
            self.size += 2
        self.marks.append((self.size, label))
        self.parts.append(text)
        self.size += len(text)

    def page(self, number: int) -> Page | None:
        raw = "\n\n".join(self.parts)
        text, offsets = clean_page(raw)
        if not text:
            return None
        sections = []
        for at, label in self.marks:
            clean_at = bisect.bisect_left(offsets, at)
            if sections and sections[-1][0] == clean_at:
                sections[-1] = (clean_at, label)
            else:
                sections.append((clean_at, label))
        return Page(number, text, offsets, sections, raw=raw, section=True)


def section_pages(blocks: Iterable[Block], path: Path, part_chars: int = PART_CHARS) -> list[Page]:
    """The pages of a document read as `blocks`; NoTextError when it has no text at all."""
    outline = Outline()
    pages: list[Page] = []
    label = ""  # the current section's label ("" before the first heading)
    paragraph = 0
    heads: list[tuple[str, str]] = []  # the headings that open the coming text: (text, label)
    body: list[tuple[str, str]] = []  # the current section's paragraphs: (text, label)

    def flush() -> None:
        nonlocal heads, body
        for n, part in enumerate(even_parts(body, part_chars) if body else [[]]):
            builder = _PageBuilder()
            for text, lab in heads if n == 0 else ():
                builder.add(text, lab)
            for text, lab in part:
                builder.add(text, lab)
            page = builder.page(len(pages) + 1)
            if page is not None:
                pages.append(page)
        heads, body = [], []

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.level:
            if body:
                flush()
            label = heading_label(outline.number(block.level), text)
            paragraph = 0
            heads.append((text, label))
            continue
        paragraph += 1
        body.append((text, f"{label} ¶{paragraph}" if label else f"¶{paragraph}"))
    if heads or body:
        flush()
    if not pages:
        raise NoTextError(path, "the document holds no text (only pictures, or nothing)")
    return pages


def even_parts(paragraphs: list[tuple[str, str]], part_chars: int) -> list[list[tuple[str, str]]]:
    """A section's paragraphs as one part, or, when the section is longer than LONG_SECTION
    pages, as parts of about equal size (cut at paragraph boundaries). A section a little
    over a page stays whole: cutting it at `part_chars` left a tail part of a paragraph or
    two, a page of its own that is mostly an extra, short chunk."""
    sizes = [len(text) + 2 for text, _ in paragraphs]
    total = sum(sizes)
    if total <= LONG_SECTION * part_chars:
        return [paragraphs]
    count = math.ceil(total / part_chars)
    target = total / count
    parts: list[list[tuple[str, str]]] = [[]]
    filled = 0
    for para, size in zip(paragraphs, sizes):
        if parts[-1] and filled + size / 2 > target * len(parts) and len(parts) < count:
            parts.append([])
        parts[-1].append(para)
        filled += size
    return parts


class SectionDocument:
    """A document read whole at open (its blocks are cheap to parse); pages are its sections."""

    def __init__(self, path: Path, kind: str, pages: list[Page]):
        self.path = path
        self.kind = kind
        self.on_progress: ProgressCallback | None = None
        self._pages = pages
        self.page_count = len(pages)

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        yield from self._pages[start:]

    def close(self) -> None:
        self._pages = []
