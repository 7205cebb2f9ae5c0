"""Plain text and Markdown: one "page"; Markdown headings become section titles."""

from __future__ import annotations

import bisect
import re
from pathlib import Path
from typing import Iterator

from rag.errors import NoTextError
from rag.ingest.page import Page, ProgressCallback
from rag.ingest.textclean import clean_page

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


class TextDocument:
    page_count = 1

    def __init__(self, path: Path, markdown: bool):
        self.path = path
        self.on_progress: ProgressCallback | None = None
        self.kind = "markdown" if markdown else "text"
        data = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                self._raw = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            self._raw = data.decode("latin-1")

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        if start > 0:
            return
        text, offsets = clean_page(self._raw)
        if not text:
            raise NoTextError(self.path, "the file holds only white space")
        sections: list[tuple[int, str]] = []
        if self.kind == "markdown":
            # map heading positions (raw) to cleaned offsets
            import bisect

            for m in _HEADING.finditer(self._raw):
                clean_at = bisect.bisect_left(offsets, m.start())
                sections.append((clean_at, m.group(2).strip()))
        yield Page(1, text, offsets, sections)

    def close(self) -> None:
        pass
