"""Word .docx documents, read by python-docx: paragraphs and tables in document order, the
"Heading N" styles as the outline (cited as `guide.docx §3.2 "Installing" ¶4`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from rag.errors import CorruptDocumentError, DocumentError, NotADocumentError
from rag.ingest.readers.sections import Block, SectionDocument, section_pages
from rag.ingest.readers.zipped import SafeZip

WHAT = "Word .docx document"
DAMAGED = "the DOCX is damaged or truncated (its ZIP archive cannot be read); re-download it or save it again from Word"
_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.I)


def docx_blocks(document) -> Iterator[Block]:
    from docx.table import Table

    levels: dict[str | None, int] = {}  # style id -> heading level (0: not a heading)
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                for cell in row.cells:  # a merged cell comes back once per grid column it spans
                    text = " ".join(cell.text.split())
                    if text and (not cells or cells[-1] != text):
                        cells.append(text)
                if cells:
                    yield Block(" | ".join(cells))
            continue
        style_id = item._p.style  # cheaper than item.style, which looks the style up every time
        if style_id not in levels:
            name = item.style.name if item.style is not None else ""
            m = _HEADING_STYLE.match(name or "")
            levels[style_id] = int(m.group(1)) if m else 0
        yield Block(item.text, levels[style_id])


class DocxDocument(SectionDocument):
    def __init__(self, path: Path):
        archive = SafeZip(path, WHAT, DAMAGED)  # not a ZIP, truncated, a bomb: fail before python-docx
        try:
            if not archive.has("[Content_Types].xml"):
                raise NotADocumentError(path, f"not a {WHAT} (a ZIP archive of another kind); check that this is "
                                              "the document you meant")
        finally:
            archive.close()
        import docx

        try:
            document = docx.Document(str(path))
            pages = section_pages(docx_blocks(document), path)
        except (DocumentError, MemoryError):
            raise
        except ValueError as exc:
            if "is not a Word file" in str(exc):
                raise NotADocumentError(path, f"not a {WHAT} (an Office file of another kind, e.g. a spreadsheet"
                                              "); check that this is the document you meant") from None
            raise CorruptDocumentError(path, f"{DAMAGED} ({str(exc)[:160]})") from None
        except Exception as exc:  # a missing part, lxml's XMLSyntaxError, ...: a damaged file
            raise CorruptDocumentError(path, f"{DAMAGED} ({type(exc).__name__}: {str(exc)[:160]})") from None
        super().__init__(path, "docx", pages)
