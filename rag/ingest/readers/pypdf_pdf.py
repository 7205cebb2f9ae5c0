"""PDF text through pypdf (selectable backend); pages are rendered with PDFium only for OCR."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from rag.errors import CorruptPdfError, DocumentError, EncryptedPdfError
from rag.ingest.ocr import MIN_TEXT_CHARS, OcrOptions, PageOcr, page_needs_ocr, visible_chars
from rag.ingest.page import Page, ProgressCallback, damaged_page
from rag.ingest.quality import TextLayerCheck, undecodable_text
from rag.ingest.textclean import clean_page


class PypdfDocument:
    kind = "pdf"

    def __init__(self, path: Path, ocr: OcrOptions | None = None):
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        self.path = path
        self.ocr_options = ocr
        self._ocr = PageOcr(ocr)
        self._pdfium = None  # opened only to render pages for OCR
        self.on_progress: ProgressCallback | None = None
        try:
            self._reader = PdfReader(str(path))
            if self._reader.is_encrypted:
                try:
                    ok = self._reader.decrypt("")
                except Exception:
                    ok = 0
                if not ok:
                    raise EncryptedPdfError(path)
            self.page_count = len(self._reader.pages)
        except DocumentError:
            raise
        except (PdfReadError, ValueError, OSError, KeyError, TypeError):
            raise CorruptPdfError(path) from None
        if self.page_count == 0:
            raise CorruptPdfError(path, "the PDF has no pages; re-export it from its source")

    def _ocr_page(self, index: int, raw: str, force: bool = False) -> tuple[str, bool, str]:
        import pypdfium2 as pdfium

        try:
            if self._pdfium is None:
                self._pdfium = pdfium.PdfDocument(str(self.path))
            page = self._pdfium[index]
        except Exception as exc:
            return raw, False, f"the page could not be rendered ({exc})"
        try:
            if not force and not page_needs_ocr(page, raw):
                return raw, False, ""
            text, error = self._ocr.read(page, index + 1, self.on_progress)
            return (text, True, "") if not error else (raw, False, error)
        finally:
            page.close()

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        layer = TextLayerCheck(self.path, self.page_count, self.ocr_options)
        for index in range(start, self.page_count):
            try:
                raw = self._reader.pages[index].extract_text() or ""
            except Exception:
                raise damaged_page(self.path, index) from None
            by_ocr, ocr_error = False, ""
            junk = undecodable_text(raw)
            if self._ocr and (junk or visible_chars(raw) < MIN_TEXT_CHARS):
                raw, by_ocr, ocr_error = self._ocr_page(index, raw, force=junk)
            if junk and not by_ocr:
                raw = ""
            text, offsets = clean_page(raw)
            page = Page(index + 1, text, offsets, ocr=by_ocr, ocr_error=ocr_error, undecodable=junk)
            layer.add(page)
            yield page
        if check:
            layer.finish()

    def close(self) -> None:
        if self._pdfium is not None:
            try:
                self._pdfium.close()
            except Exception:
                pass
