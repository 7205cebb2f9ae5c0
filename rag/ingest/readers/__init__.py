"""Readers: a document opened page by page into cleaned text with 1-based page numbers.

Backends for PDF text: PDFium (default: fast, right on CJK) and pypdf (selectable).
Pages without a text layer (scans) are rendered and OCR'd when OCR options are given
(`rag.ingest.ocr`); such pages carry `ocr=True`, and a page whose OCR failed carries the reason.
Plain text and Markdown are one "page"; Markdown headings become section titles.
DOCX, EPUB and HTML are read as headings and paragraphs, and each of their "pages" is a
section (`rag.ingest.readers.sections`), cited by its place in the outline.
Every failure is a DocumentError subclass that names the file and says what to do.
"""

from __future__ import annotations

from pathlib import Path

from rag.ingest.discover import (
    DOCX_SUFFIXES, EPUB_SUFFIXES, HTML_SUFFIXES, MARKDOWN_SUFFIXES, PDF_SUFFIXES, check_readable,
)
from rag.ingest.ocr import OcrOptions
from rag.ingest.page import LoadedDocument
from rag.ingest.sniff import check_pdf_header


def open_document(path: Path, backend: str = "pdfium", ocr: OcrOptions | None = None) -> LoadedDocument:
    """`ocr`: what to do with pages that have no text layer; None or disabled = nothing (the
    file then fails with NoTextLayerError if no page has text)."""
    path = Path(path)
    check_readable(path)
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        check_pdf_header(path)
        if backend == "pypdf":
            from rag.ingest.readers.pypdf_pdf import PypdfDocument

            return PypdfDocument(path, ocr)
        from rag.ingest.readers.pdfium_pdf import PdfiumDocument

        return PdfiumDocument(path, ocr)
    if suffix in DOCX_SUFFIXES:
        from rag.ingest.readers.word_docx import DocxDocument

        return DocxDocument(path)
    if suffix in EPUB_SUFFIXES:
        from rag.ingest.readers.epub_book import EpubDocument

        return EpubDocument(path)
    if suffix in HTML_SUFFIXES:
        from rag.ingest.readers.html_page import HtmlDocument

        return HtmlDocument(path)
    from rag.ingest.readers.plain_text import TextDocument

    return TextDocument(path, markdown=suffix in MARKDOWN_SUFFIXES)
