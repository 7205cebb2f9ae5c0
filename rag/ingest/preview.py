"""A document's page texts read again for showing (the app's text view, the MCP server's
document resources), in a reader child of their own: it may run while an ingest uses the
shared one, and a hostile file cannot hang or crash the caller."""

from __future__ import annotations

import threading
from pathlib import Path

from rag.ingest.discover import check_readable
from rag.ingest.ocr import OcrOptions
from rag.ingest.readers import open_document
from rag.ingest.worker import ParserProcess


def read_page_texts(path: str | Path, settings=None, cancel: threading.Event | None = None) -> list[str]:
    """The text of every page (index 0 = page 1): for DOCX, EPUB and HTML the raw section text
    that stored character offsets index, for PDFs the cleaned page text. OCR is not run.
    `settings`: the reader's limits (default: the user's settings)."""
    if settings is None:
        from rag.settings import load_settings

        settings = load_settings()
    path = Path(path)
    check_readable(path)
    ocr = OcrOptions(enabled=False)
    if not settings.parse_in_subprocess:
        doc = open_document(path, settings.pdf_backend, ocr)
        try:
            return [p.raw or p.text for p in doc.pages(check=False)]
        finally:
            doc.close()
    reader = ParserProcess(settings.parse_timeout_s, settings.parse_memory_mb)
    try:
        doc = reader.open(path, settings.pdf_backend, ocr, cancel)
        try:
            return [p.raw or p.text for p in doc.pages(check=False)]
        finally:
            doc.close()
    finally:
        reader.close()
