"""PDF text through PDFium (the default backend): fast and right on CJK text. Section titles
come from the PDF's outline; running headers and footers are blanked; scanned or undecodable
pages go to OCR when it is on."""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Iterator

from rag.errors import CorruptPdfError, EncryptedPdfError
from rag.ingest.edges import blank_edge_lines, edge_sample, repeated_edge_lines
from rag.ingest.ocr import OcrOptions, PageOcr, page_needs_ocr
from rag.ingest.page import Page, ProgressCallback, damaged_page
from rag.ingest.quality import TextLayerCheck, undecodable_text
from rag.ingest.textclean import clean_page


class PdfiumDocument:
    kind = "pdf"

    def __init__(self, path: Path, ocr: OcrOptions | None = None):
        import pypdfium2 as pdfium

        self.path = path
        self.ocr_options = ocr
        self._ocr = PageOcr(ocr)
        self.on_progress: ProgressCallback | None = None
        try:
            self._doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            msg = str(exc).lower()
            if "password" in msg:
                raise EncryptedPdfError(path) from None
            raise CorruptPdfError(path) from None
        self.page_count = len(self._doc)
        if self.page_count == 0:
            self.close()
            raise CorruptPdfError(path, "the PDF has no pages; re-export it from its source")
        self._toc = self._outline()

    def _outline(self) -> list[tuple[int, str]]:
        """(0-based page, title) of the PDF's bookmarks, in page order: section titles."""
        marks: list[tuple[int, str]] = []
        try:
            for item in self._doc.get_toc():
                if getattr(item, "level", 0) > 2:
                    continue
                dest = item.get_dest()
                index = dest.get_index() if dest is not None else None
                title = " ".join((item.get_title() or "").split())
                if index is not None and title:
                    marks.append((index, title))
        except Exception:  # a broken outline must not stop reading the text
            return []
        return sorted(marks, key=lambda m: m[0])

    def _section_at(self, index: int) -> str:
        at = bisect.bisect_right(self._toc, (index, "\U0010ffff")) - 1
        return self._toc[at][1] if at >= 0 else ""

    def _open_page(self, index: int):
        try:
            return self._doc[index]
        except Exception:
            raise damaged_page(self.path, index) from None

    def _layer_text(self, page, index: int) -> str:
        """The text layer of an open page."""
        try:
            textpage = page.get_textpage()
            raw = textpage.get_text_range()
            textpage.close()
            return raw
        except Exception:
            raise damaged_page(self.path, index) from None

    def _raw_text(self, index: int) -> str:
        page = self._open_page(index)
        try:
            return self._layer_text(page, index)
        finally:
            page.close()

    def _page_text(self, index: int, raw: str | None = None) -> tuple[str, bool, str, bool]:
        """(raw text, read by OCR, why OCR failed, text layer undecodable) of one page (`raw`:
        its text layer when already read). An undecodable text layer is OCR'd when OCR is on,
        else dropped."""
        page = self._open_page(index)
        try:
            if raw is None:
                raw = self._layer_text(page, index)
            junk = undecodable_text(raw)
            if self._ocr and (junk or page_needs_ocr(page, raw)):
                text, error = self._ocr.read(page, index + 1, self.on_progress)
                if not error:
                    return text, True, "", junk
                return ("" if junk else raw), False, error, junk
            return ("" if junk else raw), False, "", junk
        finally:
            page.close()

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        sample = edge_sample(self.page_count)
        sampled = {i: self._raw_text(i) for i in sample}  # kept: each page's text layer is read once
        boilerplate = repeated_edge_lines(list(sampled.values()))
        layer = TextLayerCheck(self.path, self.page_count, self.ocr_options)
        for index in range(start, self.page_count):
            raw, by_ocr, ocr_error, junk = self._page_text(index, sampled.pop(index, None))
            if not by_ocr:
                raw = blank_edge_lines(raw, boilerplate)
            text, offsets = clean_page(raw)
            section = self._section_at(index)
            page = Page(index + 1, text, offsets, [(0, section)] if section else [], by_ocr, ocr_error, junk)
            layer.add(page)
            yield page
        if check:
            layer.finish()

    def close(self) -> None:
        try:
            self._doc.close()
        except Exception:
            pass
