"""Read documents page by page into cleaned text with 1-based page numbers.

Backends for PDF text: PDFium (default: fast, right on CJK) and pypdf (selectable).
Pages without a text layer (scans) are rendered and OCR'd when OCR options are given
(`rag.ocr`); such pages carry `ocr=True`, and a page whose OCR failed carries the reason.
Plain text and Markdown are one "page"; Markdown headings become section titles.
Every failure is a DocumentError subclass that names the file and says what to do.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol

from .errors import (
    CorruptPdfError,
    DocumentError,
    EmptyFileError,
    EncryptedPdfError,
    FileMissingError,
    NoTextError,
    NoTextLayerError,
    NotAPdfError,
    UndecodableTextError,
    UnreadableFileError,
    UnsupportedFileError,
)
from .ocr import OcrError, OcrOptions
from .paths import is_text
from .textclean import clean_page

PDF_SUFFIXES = {".pdf"}
TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
SUPPORTED_SUFFIXES = PDF_SUFFIXES | TEXT_SUFFIXES | MARKDOWN_SUFFIXES

# A PDF whose pages hold fewer visible characters than this on average looks scanned.
MIN_CHARS_PER_PAGE = 8
# A page whose text layer is at least this share of junk (U+FFFD, private-use, control or
# unassigned code points) has fonts without a usable Unicode map: its text is not indexed.
UNDECODABLE_SHARE = 0.5
UNDECODABLE_MIN_CHARS = 16


@dataclass
class Page:
    number: int  # 1-based
    text: str  # cleaned
    offsets: list[int]  # cleaned index -> raw page-text index (len(text) + 1 entries)
    sections: list[tuple[int, str]] = field(default_factory=list)  # (clean offset, heading)
    ocr: bool = False  # the text was read by OCR from the rendered page (offsets index the OCR text)
    ocr_error: str = ""  # the page needed OCR and it failed: why
    undecodable: bool = False  # the text layer was junk (fonts without a Unicode map): not indexed as such


def damaged_page(path: Path, index: int) -> CorruptPdfError:
    return CorruptPdfError(path, f"page {index + 1} is damaged; re-save the PDF from a viewer")


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


ProgressCallback = Callable[[str, int], None]  # (stage, 1-based page): "ocr" before a page is OCR'd


class LoadedDocument(Protocol):
    path: Path
    page_count: int
    kind: str  # "pdf" | "text" | "markdown"
    on_progress: ProgressCallback | None

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        """Pages from 0-based index `start`; at the end a PDF that gave (almost) no text raises
        NoTextLayerError unless `check` is false (the caller then uses TextLayerCheck)."""
        ...

    def close(self) -> None: ...


def check_readable(path: Path) -> None:
    if not path.exists():
        raise FileMissingError(path)
    if path.is_dir():
        raise UnsupportedFileError(path, "is a folder; pass files or folders to ingest, not this")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(path)
    if not os.access(path, os.R_OK):
        raise UnreadableFileError(path)
    if path.stat().st_size == 0:
        raise EmptyFileError(path)


def open_document(path: Path, backend: str = "pdfium", ocr: OcrOptions | None = None) -> LoadedDocument:
    """`ocr`: what to do with pages that have no text layer; None or disabled = nothing (the
    file then fails with NoTextLayerError if no page has text)."""
    path = Path(path)
    check_readable(path)
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        _check_pdf_header(path)
        if backend == "pypdf":
            return PypdfDocument(path, ocr)
        return PdfiumDocument(path, ocr)
    return TextDocument(path, markdown=suffix in MARKDOWN_SUFFIXES)


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


class _PageOcr:
    """OCR of one document's pages; the engine loads on the first page that needs it (once per
    process), and an engine that cannot load fails every page with the same reason."""

    def __init__(self, options: OcrOptions | None):
        self.options = options if options and options.enabled else None
        self._unavailable: str | None = None

    def __bool__(self) -> bool:
        return self.options is not None

    def read(self, pdfium_page, number: int, on_progress: ProgressCallback | None) -> tuple[str, str]:
        """(raw text, "") or ("", why OCR failed)."""
        from . import ocr

        if self._unavailable:
            return "", self._unavailable
        try:
            engine = ocr.get_engine(self.options.engine)
        except OcrError as exc:
            self._unavailable = str(exc)
            return "", self._unavailable
        if on_progress is not None:
            on_progress("ocr", number)
        try:
            image = ocr.render_page(pdfium_page)
            return engine.read(image, self.options.page_timeout_s), ""
        except OcrError as exc:
            return "", str(exc)
        except MemoryError:
            return "", "ran out of memory while reading the page image"
        except Exception as exc:  # an engine bug on one page must not stop the file
            return "", f"{type(exc).__name__}: {exc}"


def _check_pdf_header(path: Path) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except PermissionError:
        raise UnreadableFileError(path) from None
    if b"%PDF-" not in head:
        kind = _sniff(head)
        raise NotAPdfError(path, f"not a PDF file ({kind}); check that this is the document you meant")


def _sniff(head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "it is a PNG image"
    if head.startswith(b"\xff\xd8"):
        return "it is a JPEG image"
    if head.startswith(b"PK\x03\x04"):
        return "it is a ZIP archive or Office document"
    if head.startswith(b"<") or head.lstrip().lower().startswith((b"<!doctype", b"<html")):
        return "it looks like HTML or XML"
    try:
        head.decode("utf-8")
        return "it looks like plain text"
    except UnicodeDecodeError:
        return "the content does not start with %PDF"


# ---- PDFium ------------------------------------------------------------------------------


class PdfiumDocument:
    kind = "pdf"

    def __init__(self, path: Path, ocr: OcrOptions | None = None):
        import pypdfium2 as pdfium

        self.path = path
        self.ocr_options = ocr
        self._ocr = _PageOcr(ocr)
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
        import bisect

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
        from .ocr import page_needs_ocr

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


# ---- running headers and footers -----------------------------------------------------

_DIGITS = re.compile(r"\d+")
EDGE_LINES = 1  # the first and the last line of a page may be a running header or footer


def _edge_key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split())).lower()


def _edges(lines: list[str]) -> list[int]:
    """Candidate header/footer lines; a short page has none (its lines are its content)."""
    n = len(lines)
    if n < 2 * EDGE_LINES + 2:
        return []
    return list(range(EDGE_LINES)) + list(range(n - EDGE_LINES, n))


EDGE_SAMPLE = 24  # pages read to find running headers and footers, before the first page is passed on


def edge_sample(page_count: int) -> list[int]:
    """The pages whose first and last lines decide what is a running header or footer: all
    of them up to EDGE_SAMPLE, else EDGE_SAMPLE / 2 pairs of facing pages spread evenly from
    first to last (pairs, so that books whose left and right pages carry different headers
    show both). They are read before the first page can be passed on, while the embedder
    waits; 80 pages (the first and last 40, as before) kept it waiting 66 ms on a 100-page
    manual, 24 about 20."""
    if page_count <= EDGE_SAMPLE:
        return list(range(page_count))
    pairs = EDGE_SAMPLE // 2
    starts = {round(i * (page_count - 2) / (pairs - 1)) for i in range(pairs)}
    return sorted({p for start in starts for p in (start, start + 1)})


def repeated_edge_lines(raw_pages: list[str]) -> set[str]:
    """Header/footer lines: first/last lines that repeat (digits ignored) on many pages."""
    if len(raw_pages) < 4:
        return set()
    counts: dict[str, int] = {}
    for raw in raw_pages:
        lines = raw.splitlines()
        for key in {_edge_key(lines[i]) for i in _edges(lines)}:
            if key and key != "#":
                counts[key] = counts.get(key, 0) + 1
    threshold = max(3, int(0.3 * len(raw_pages)))
    keys = {k for k, c in counts.items() if c >= threshold}
    bare_numbers = sum(1 for raw in raw_pages if raw.splitlines() and _edge_key(raw.splitlines()[-1]) == "#")
    if bare_numbers >= threshold:
        keys.add("#")
    return keys


def blank_edge_lines(raw: str, boilerplate: set[str]) -> str:
    """Blank out header/footer lines with spaces, so raw character offsets stay valid."""
    if not boilerplate:
        return raw
    lines = raw.splitlines(keepends=True)
    plain = [line.rstrip("\r\n") for line in lines]
    for i in _edges(plain):
        if _edge_key(plain[i]) in boilerplate:
            lines[i] = " " * len(plain[i]) + lines[i][len(plain[i]):]
    return "".join(lines)


# ---- pypdf -------------------------------------------------------------------------------


class PypdfDocument:
    kind = "pdf"

    def __init__(self, path: Path, ocr: OcrOptions | None = None):
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        self.path = path
        self.ocr_options = ocr
        self._ocr = _PageOcr(ocr)
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

        from .ocr import page_needs_ocr

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
        from .ocr import visible_chars, MIN_TEXT_CHARS

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


# ---- text / markdown ---------------------------------------------------------------------

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


def discover(paths: list[Path]) -> tuple[list[Path], list[DocumentError]]:
    """Expand folders (recursively) into supported files; report paths that give nothing."""
    files: list[Path] = []
    problems: list[DocumentError] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given).expanduser()
        if not path.exists():
            problems.append(FileMissingError(path))
            continue
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                problems.append(
                    UnsupportedFileError(path, "this folder holds no .pdf, .txt or .md files")
                )
            candidates = found
        else:
            candidates = [path]
        for p in candidates:
            if not is_text(p):
                problems.append(UnsupportedFileError(
                    p, "the file name is not valid UTF-8 text; rename the file and add it again"))
                continue
            resolved = p.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(resolved)
    return files, problems
