"""Plain text and Markdown, read as a stream of pages.

A text file has no pages, but a 200 MB one read whole took 3-4 GB and ended as "the PDF reader
crashed". So it is read PAGE_CHARS characters at a time (cut at a paragraph or line break
near the end of each block) and every block is a page: memory stays bounded, progress and
citations have a page number ("notes.txt p.12"), and the reader's stall timeout applies to
each page. The encoding is told from the first megabyte (UTF-8, with or without BOM, else
GB 18030, else Latin-1). Markdown headings become section titles, and a page starting
inside a section carries its title.
"""

from __future__ import annotations

import bisect
import io
import math
import re
from pathlib import Path
from typing import Iterator

from rag.errors import NoTextError
from rag.ingest.discover import open_regular
from rag.ingest.page import Page, ProgressCallback
from rag.ingest.textclean import clean_page

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
PAGE_CHARS = 12_000  # about three printed pages
SAMPLE_BYTES = 1 << 20
_BREAKS = ("\n\n", "\n", ". ", "。", " ")


def detect_encoding(sample: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            sample.decode(encoding)
            return encoding
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 4:  # a character cut by the end of the sample
                return encoding
    return "latin-1"


class TextDocument:
    def __init__(self, path: Path, markdown: bool):
        self.path = path
        self.on_progress: ProgressCallback | None = None
        self.kind = "markdown" if markdown else "text"
        with open_regular(path) as f:
            sample = f.read(SAMPLE_BYTES)
        self.encoding = detect_encoding(sample)
        size = path.stat().st_size
        chars_per_byte = len(sample.decode(self.encoding, errors="replace")) / max(1, len(sample))
        self.page_count = max(1, math.ceil(size * chars_per_byte / PAGE_CHARS))  # an estimate, for progress

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        number, carry, section, visible = 0, "", "", False
        with open_regular(self.path) as f:
            reader = io.TextIOWrapper(f, encoding=self.encoding, errors="replace", newline="")
            while True:
                block = reader.read(PAGE_CHARS)
                text = carry + block
                if not text:
                    break
                carry = ""
                if block:  # more may follow: end the page at a break near its end
                    cut = _break(text)
                    text, carry = text[:cut], text[cut:]
                number += 1
                sections = [(0, section)] if section else []
                heads = list(_HEADING.finditer(text)) if self.kind == "markdown" else []
                if heads:
                    section = heads[-1].group(2).strip()
                if number <= start:
                    continue
                clean, offsets = clean_page(text)
                visible = visible or bool(clean)
                for m in heads:
                    sections.append((bisect.bisect_left(offsets, m.start()), m.group(2).strip()))
                yield Page(number, clean, offsets, sections)
        if not visible and start == 0:
            raise NoTextError(self.path, "the file holds only white space")
        self.page_count = max(number, 1)

    def close(self) -> None:
        pass


def _break(text: str) -> int:
    """Where to end a page: the last paragraph break (else line break, sentence end, space)
    in the last quarter of `text`; its end when there is none."""
    floor = len(text) * 3 // 4
    for mark in _BREAKS:
        at = text.rfind(mark, floor)
        if at >= 0:
            return at + len(mark)
    return len(text)
