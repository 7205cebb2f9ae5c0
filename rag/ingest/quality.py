"""Is a PDF's text usable? Junk text layers (fonts without a Unicode map) per page, and the
file-level verdict when (almost) no text came out: scanned, undecodable, or OCR found nothing."""

from __future__ import annotations

import re
from pathlib import Path

from rag.errors import NoTextLayerError, UndecodableTextError
from rag.ingest.ocr import OcrOptions
from rag.ingest.page import Page

# A PDF whose pages hold fewer visible characters than this on average looks scanned.
MIN_CHARS_PER_PAGE = 8

# A page whose text layer is at least this share of junk (U+FFFD, private-use, control or
# unassigned code points) has fonts without a usable Unicode map: its text is not indexed.
UNDECODABLE_SHARE = 0.5

UNDECODABLE_MIN_CHARS = 16

_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


def undecodable_text(raw: str) -> bool:
    """Whether a page's extracted text is mostly junk: glyphs that the PDF's fonts do not map to
    Unicode come out as U+FFFD, private-use or control characters (or unassigned code points)."""
    import unicodedata

    rest = _PRINTABLE_ASCII.sub("", raw)  # printable ASCII is visible and never junk
    visible = len(raw) - len(rest)
    bad = 0
    for ch in rest:
        if ch.isspace() or ch in "\x02\ufffe":  # PDFium's soft hyphens
            continue
        visible += 1
        if ch == "\ufffd" or unicodedata.category(ch) in ("Co", "Cc", "Cn", "Cs"):
            bad += 1
    return visible >= UNDECODABLE_MIN_CHARS and bad >= UNDECODABLE_SHARE * visible


class TextLayerCheck:
    """Counts what the pages of a PDF gave; `finish()` raises NoTextLayerError, saying whether
    OCR was off, failed, or found nothing, when the file holds (almost) no text."""

    def __init__(self, path: Path, page_count: int, ocr: OcrOptions | None):
        self.path = path
        self.page_count = page_count
        self.ocr_enabled = bool(ocr and ocr.enabled)
        self.visible = 0
        self.ocr_pages: list[int] = []
        self.ocr_failed: list[tuple[int, str]] = []
        self.undecodable: list[int] = []

    def add(self, page: Page) -> None:
        self.visible += len(page.text)
        if page.ocr:
            self.ocr_pages.append(page.number)
        if page.ocr_error:
            self.ocr_failed.append((page.number, page.ocr_error))
        if page.undecodable and not page.ocr:
            self.undecodable.append(page.number)

    def finish(self) -> None:
        if self.visible >= MIN_CHARS_PER_PAGE * self.page_count or self.visible >= 200:
            return
        if self.undecodable:
            if not self.ocr_enabled:
                raise UndecodableTextError(self.path)
            why = f" (page {self.ocr_failed[0][0]}: {self.ocr_failed[0][1]})" if self.ocr_failed else ""
            raise UndecodableTextError(
                self.path, f"the PDF's text cannot be decoded (its fonts have no Unicode map) and OCR could not "
                           f"read it either{why}; run OCR on it (e.g. ocrmypdf --force-ocr) or export it again")
        if not self.ocr_enabled:
            raise NoTextLayerError(self.path)
        if self.ocr_failed:
            number, why = self.ocr_failed[0]
            raise NoTextLayerError(self.path, f"the PDF has no text layer and OCR failed (page {number}: {why}); "
                                              "run OCR on it (e.g. ocrmypdf) and add the result")
        raise NoTextLayerError(self.path, "the PDF has no text layer and OCR found no text on its pages; "
                                          "if it does hold text, run OCR on it (e.g. ocrmypdf) and add the result")
