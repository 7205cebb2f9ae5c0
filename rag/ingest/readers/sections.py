"""Documents of headings and paragraphs (DOCX, EPUB, HTML) as "pages" that are sections.

A reader turns its file into a stream of `Block`s: headings (level 1-9) and paragraphs. Every
heading opens a section, numbered by its place in the outline (`§3.2` is the second
subsection of the third top-level section); text before the first heading is the
document's opening. A page is one section, so `page` in chunks and citations is the section's
ordinal (1-based). A long section is cut at a paragraph boundary once it holds about a PDF
page of text (PART_CHARS), each part a page of its own with the same label, so a search still
returns k different places and the evidence reader sees a page-sized text. Headings with no
text of their own before the next heading share a page with it.

Each page's raw text is its blocks joined by blank lines (`Page.raw`, what the app's text view
shows; character offsets index it). Its `sections` mark every block's start with its location:
`§3.2 "Installing"` at the heading, `§3.2 "Installing" ¶4` at its fourth paragraph, so a
chunk's `section` (and the citation) says where in the document it starts.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from rag.errors import NoTextError
from rag.ingest.page import Page, ProgressCallback
from rag.ingest.textclean import clean_page

PART_CHARS = 3000  # about a page of a PDF manual (gnuplot.pdf: ~2,900 characters a page)
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
        self.has_text = False  # a paragraph, not only headings

    def add(self, text: str, label: str, paragraph: bool) -> None:
        if self.parts:
            self.size += 2
        self.marks.append((self.size, label))
        self.parts.append(text)
        self.size += len(text)
        self.has_text = self.has_text or paragraph

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
    current = _PageBuilder()

    def flush() -> None:
        nonlocal current
        page = current.page(len(pages) + 1)
        if page is not None:
            pages.append(page)
        current = _PageBuilder()

    for block in blocks:
        text = block.text.strip()
        if not text:
            continue
        if block.level:
            if current.has_text:
                flush()
            label = heading_label(outline.number(block.level), text)
            paragraph = 0
            current.add(text, label, paragraph=False)
            continue
        if current.has_text and current.size >= part_chars:
            flush()
        paragraph += 1
        current.add(text, f"{label} ¶{paragraph}" if label else f"¶{paragraph}", paragraph=True)
    flush()
    if not pages:
        raise NoTextError(path, "the document holds no text (only pictures, or nothing)")
    return pages


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
