"""Plain, immutable events that cross the engine boundary (to the CLI, the GUI, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from .paths import display


class _Named:
    @property
    def name(self) -> str:
        """The file name, printable even when the file system's bytes are not UTF-8."""
        return display(self.path.name)


# ---- ingestion ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FileStarted(_Named):
    path: Path
    index: int  # 1-based position in the batch
    total: int


@dataclass(frozen=True)
class FileProgress(_Named):
    path: Path
    stage: str  # "reading" (page `done` read) | "ocr" (page `done` is being OCR'd) | "embedding"
    done: int
    total: int  # 0 when unknown
    unit: str = "page"  # "page", or "chunk" for the vectors of a searchable file (done of total chunks)

    @property
    def percent(self) -> int:
        """How far, 0-99 (100 is the file's FileIndexed or FileSearchable, not a progress)."""
        return min(99, 100 * self.done // max(self.total, 1))

    def describe(self) -> str:
        """"page 12/80 · OCR", "reading page 12/80", "searchable · embedding 40%"."""
        if self.unit == "chunk":
            return f"searchable · embedding {self.percent}%"
        pages = f"page {self.done}/{self.total}" if self.total else f"page {self.done}"
        return f"{pages} · OCR" if self.stage == "ocr" else f"{self.stage} {pages}"


@dataclass(frozen=True)
class FileSearchable(_Named):
    """The file's text is committed (stage `lexical`): BM25 search finds every chunk of it now,
    dense search once its vectors are made (then FileIndexed follows)."""

    path: Path
    pages: int
    chunks: int
    seconds: float  # from the file's start to this commit
    ocr_pages: tuple[int, ...] = ()
    ocr_failed: tuple[int, ...] = ()
    undecodable: tuple[int, ...] = ()

    @property
    def note(self) -> str | None:
        return pages_left_out(self.ocr_failed, self.undecodable)


@dataclass(frozen=True)
class FileIndexed(_Named):
    path: Path
    pages: int
    chunks: int
    seconds: float
    ocr_pages: tuple[int, ...] = ()  # pages whose text was read by OCR
    ocr_failed: tuple[int, ...] = ()  # pages that needed OCR and could not be read (no text from them)
    undecodable: tuple[int, ...] = ()  # pages whose text layer is junk (no Unicode map) and were not OCR'd

    @property
    def note(self) -> str | None:
        """What was left out of an indexed file, or None when every page was read."""
        return pages_left_out(self.ocr_failed, self.undecodable)


def pages_left_out(ocr_failed: Sequence[int], undecodable: Sequence[int]) -> str | None:
    parts = []
    if ocr_failed:
        parts.append(f"OCR could not read page(s) {', '.join(map(str, ocr_failed))}")
    if undecodable:
        parts.append(f"the text of page(s) {', '.join(map(str, undecodable))} cannot be decoded "
                     "(fonts without a Unicode map) and was left out; turn OCR on to read them")
    return "; ".join(parts) or None


@dataclass(frozen=True)
class FileSkipped(_Named):
    path: Path
    reason: str


@dataclass(frozen=True)
class FileFailed(_Named):
    path: Path
    reason: str


@dataclass(frozen=True)
class FileIgnored(_Named):
    """A file inside an ingested folder that is not a document RAG Desk reads (counted in
    IngestDone.ignored; `rag-cli ingest -v` lists them)."""

    path: Path
    reason: str = "not a document RAG Desk reads (.pdf, .docx, .epub, .html, .txt, .md)"


@dataclass(frozen=True)
class FileRemoved(_Named):
    """A watched folder's file is gone from disk, so it left the knowledge base."""

    path: Path


@dataclass(frozen=True)
class IngestDone:
    indexed: int
    skipped: int
    failed: int
    chunks: int
    seconds: float
    cancelled: bool = False
    removed: int = 0
    ignored: int = 0  # files inside the folders that are not documents
    searchable: int = 0  # files left at stage lexical (text searchable, vectors to come: --no-wait, cancel)


IngestEvent = (FileStarted | FileProgress | FileSearchable | FileIndexed | FileSkipped | FileFailed | FileRemoved
               | FileIgnored | IngestDone)


# ---- answering ---------------------------------------------------------------------------


# Documents whose "pages" are sections (rag.ingest.readers.sections): cited by location, not page.
SECTION_SUFFIXES = (".docx", ".epub", ".html", ".htm", ".xhtml")


def cited_by_section(file: str) -> bool:
    return file.lower().endswith(SECTION_SUFFIXES)


@dataclass(frozen=True)
class Source:
    """One retrieved passage. `page` is 1-based; offsets index the raw page text."""

    n: int
    file: str
    path: str
    page: int
    page_end: int
    score: float
    text: str
    chunk_id: str = ""
    char_start: int = 0  # for OCR'd text: offsets in the OCR text of the page
    char_end: int = 0
    ocr: bool = False  # the passage was read by OCR from a scanned page
    offsets: str = ""  # its text index -> raw page offset map (rag.ingest.chunking.encode_offsets)
    # Where it starts: a PDF's outline title or a Markdown heading; for DOCX, EPUB and HTML,
    # whose "pages" are sections, its location: '§3.2 "Installing" ¶4'.
    section: str = ""

    def label(self) -> str:
        if self.section and cited_by_section(self.file):
            return f"{self.file} {self.section}"
        pages = f"p.{self.page}" if self.page == self.page_end else f"pp.{self.page}-{self.page_end}"
        return f"{self.file} {pages}" + (" (OCR)" if self.ocr else "")

    def to_json(self) -> dict:
        return {
            "n": self.n,
            "file": self.file,
            "path": self.path,
            "page": self.page,
            "page_end": self.page_end,
            "score": round(float(self.score), 6),
            "text": self.text,
            "ocr": self.ocr,
            "section": self.section,
        }


@dataclass(frozen=True)
class Quote:
    """The verbatim sentence(s) of source `n` an answer rests on. `start`/`end` are its
    character span on the page, in the raw page text the viewer counts (PDFium's), like a
    source's char_start/char_end."""

    n: int
    file: str
    path: str
    page: int
    text: str
    start: int
    end: int
    ocr: bool = False

    def label(self) -> str:
        return f"{self.file} p.{self.page}" + (" (OCR)" if self.ocr else "")

    def to_json(self) -> dict:
        return {"n": self.n, "file": self.file, "page": self.page, "quote": self.text, "start": self.start,
                "end": self.end}


@dataclass(frozen=True)
class SourcesFound:
    sources: tuple[Source, ...]
    retrieval_ms: float
    evidence: tuple[Quote, ...] = ()  # the quotes the answer will rest on, best first


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class AnswerStats:
    retrieval_ms: float
    ttft_s: float
    tokens: int
    tokens_per_s: float
    model: str
    cancelled: bool = False

    def to_json(self) -> dict:
        return {
            "retrieval_ms": round(self.retrieval_ms, 2),
            "ttft_s": round(self.ttft_s, 4),
            "tokens": self.tokens,
            "tokens_per_s": round(self.tokens_per_s, 2),
            "model": self.model,
        }


@dataclass(frozen=True)
class AnswerDone:
    answer: str
    sources: tuple[Source, ...]
    stats: AnswerStats
    evidence: tuple[Quote, ...] = ()  # the verbatim quotes the answer rests on
    cut: tuple[str, ...] = ()  # sentences of the model's text the grounding check removed


@dataclass(frozen=True)
class Abstained:
    """No answer was generated: `reason` says why; `sources` are the closest passages, if any."""

    reason: str
    sources: tuple[Source, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ChatSaved:
    """The question went into chat `chat_id` (first of the events when `ask` saves the chat);
    the answer, or the reason there is none, is saved with its sources when it is done."""

    chat_id: int
    title: str


AnswerEvent = ChatSaved | SourcesFound | Token | AnswerDone | Abstained
