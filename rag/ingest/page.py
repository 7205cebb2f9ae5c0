"""A page as every reader yields it, and the protocol of an opened document."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

from rag.errors import CorruptPdfError


@dataclass
class Page:
    number: int  # 1-based
    text: str  # cleaned
    offsets: list[int]  # cleaned index -> raw page-text index (len(text) + 1 entries)
    sections: list[tuple[int, str]] = field(default_factory=list)  # (clean offset, heading)
    ocr: bool = False  # the text was read by OCR from the rendered page (offsets index the OCR text)
    ocr_error: str = ""  # the page needed OCR and it failed: why
    undecodable: bool = False  # the text layer was junk (fonts without a Unicode map): not indexed as such
    raw: str = ""  # the raw text offsets index, where a reader makes it itself (DOCX, EPUB, HTML sections)
    section: bool = False  # the page is a section of its document: no chunk runs on from it into the next


def damaged_page(path: Path, index: int) -> CorruptPdfError:
    return CorruptPdfError(path, f"page {index + 1} is damaged; re-save the PDF from a viewer")


ProgressCallback = Callable[[str, int], None]  # (stage, 1-based page): "ocr" before a page is OCR'd


class LoadedDocument(Protocol):
    path: Path
    page_count: int
    kind: str  # "pdf" | "text" | "markdown" | "docx" | "epub" | "html"
    on_progress: ProgressCallback | None

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        """Pages from 0-based index `start`; at the end a PDF that gave (almost) no text raises
        NoTextLayerError unless `check` is false (the caller then uses TextLayerCheck)."""
        ...

    def close(self) -> None: ...
