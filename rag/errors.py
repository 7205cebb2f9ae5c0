"""Errors meant for the person using RAG Desk: the one tree, written out once.

Every message names the thing at fault and says what to do about it. The CLI prints them
without a traceback (exit 2 for settings, 1 otherwise); the GUI shows them in its one error
area. `RagError` and `ModelError` are defined in `models.errors` (the model layer sits below
`rag/` and never imports it) and re-exported here.

    RagError                       models.errors: base class, str(err) is a sentence to act on
    ├── SettingsError              a bad value in settings.toml or a RAG_* variable
    ├── ModelError                 models.errors: a model that cannot be found, read or loaded
    │   └── DownloadCancelled      models.errors: the user stopped a pull (resumable)
    ├── KnowledgeBaseError         unknown / duplicate knowledge base, store mismatch, bad state
    │   ├── WriterBusyError        another process or thread is writing to the data folder
    │   ├── EmbeddingMismatchError the knowledge base was built with another embedding model
    │   ├── DatabaseDamagedError   catalog.sqlite3 or chats.sqlite3 is damaged (names the way back)
    │   └── ReadOnlyDataError      the data folder cannot be written (reading still works)
    ├── GenerationError            the LLM (in-process or a server) failed while answering
    ├── OcrError                   OCR could not read one page (the page is reported, the file goes on)
    │   ├── OcrUnavailableError    no OCR engine can run here
    │   └── OcrTimeoutError        one page took longer than ocr_page_timeout_s
    └── DocumentError              one input file cannot be ingested (the batch goes on)
        ├── FileMissingError, UnreadableFileError, UnsupportedFileError, EmptyFileError
        ├── NotAPdfError, CorruptPdfError, EncryptedPdfError
        ├── NotADocumentError          a .docx/.epub/.html whose content is something else
        ├── CorruptDocumentError       a damaged or truncated .docx/.epub (or its ZIP)
        │   └── ArchiveBombError       a ZIP that unpacks to far more than any document (a zip bomb)
        ├── DrmProtectedError          an EPUB locked by DRM
        ├── NoTextLayerError, UndecodableTextError, NoTextError
        └── ParseTimeoutError, ParserCrashedError   the reader child stalled or died
"""

from __future__ import annotations

from pathlib import Path

from models.errors import DownloadCancelled, ModelError, RagError

__all__ = [
    "RagError", "SettingsError", "ModelError", "DownloadCancelled", "KnowledgeBaseError", "WriterBusyError",
    "EmbeddingMismatchError", "DatabaseDamagedError", "ReadOnlyDataError", "GenerationError", "OcrError",
    "OcrUnavailableError", "OcrTimeoutError", "DocumentError", "FileMissingError", "UnreadableFileError", "UnsupportedFileError", "EmptyFileError",
    "NotAPdfError", "CorruptPdfError", "EncryptedPdfError", "NoTextLayerError", "UndecodableTextError",
    "NoTextError", "ParseTimeoutError", "ParserCrashedError",
    "NotADocumentError", "CorruptDocumentError", "ArchiveBombError", "DrmProtectedError",
]


class SettingsError(RagError):
    pass


class KnowledgeBaseError(RagError):
    pass


class WriterBusyError(KnowledgeBaseError):
    """Another process or thread is writing to the data folder."""


class EmbeddingMismatchError(KnowledgeBaseError):
    pass


class DatabaseDamagedError(KnowledgeBaseError):
    """A SQLite file of the data folder is damaged; `path` names it."""

    def __init__(self, path: Path, what: str, detail: str, advice: str):
        self.path = Path(path)
        super().__init__(f"{self.path.name} ({what}) is damaged ({detail}); {advice}")


class ReadOnlyDataError(KnowledgeBaseError):
    """The data folder cannot be written: reading works, changing does not."""

    def __init__(self, folder: Path, why: str):
        self.folder = Path(folder)
        super().__init__(f"the data folder {self.folder} is read-only ({why}): RAG Desk can read it but not change "
                         "it; make it writable, or set RAG_HOME to a folder you can write")


class GenerationError(RagError):
    pass


class OcrError(RagError):
    """OCR could not read a page; `str()` is a short reason for the user."""


class OcrUnavailableError(OcrError):
    pass


class OcrTimeoutError(OcrError):
    pass


class DocumentError(RagError):
    """A single document could not be ingested. `path` names it; `reason` says why."""

    reason_template = "cannot be read"

    def __init__(self, path: str | Path, reason: str | None = None):
        from rag.paths import display

        self.path = Path(path)
        self.reason = reason or self.reason_template
        super().__init__(f"{display(self.path.name)}: {self.reason}")


class FileMissingError(DocumentError):
    reason_template = "no such file or folder; check the path"


class UnreadableFileError(DocumentError):
    reason_template = "permission denied; make the file readable and try again"


class UnsupportedFileError(DocumentError):
    reason_template = "unsupported file type; RAG Desk reads .pdf, .docx, .epub, .html, .txt and .md files"


class EmptyFileError(DocumentError):
    reason_template = "the file is empty (0 bytes); re-download or re-export it"


class NotAPdfError(DocumentError):
    reason_template = "not a PDF file (the content does not start with %PDF); check the file"


class CorruptPdfError(DocumentError):
    reason_template = "the PDF is damaged or truncated; re-download it or re-save it from a PDF viewer"


class EncryptedPdfError(DocumentError):
    reason_template = (
        "the PDF is password protected; open it in a PDF viewer, save an unprotected copy, and add that"
    )


class NotADocumentError(DocumentError):
    """The content is not what the file's name says (a text file named .docx, an old .doc)."""

    reason_template = "the file's content does not match its name; check that this is the document you meant"


class CorruptDocumentError(DocumentError):
    reason_template = "the document is damaged or truncated; re-download it or save it again from its application"


class ArchiveBombError(CorruptDocumentError):
    reason_template = ("the file unpacks to far more data than any document holds (a ZIP bomb); it was not "
                       "read: check where it came from")


class DrmProtectedError(DocumentError):
    reason_template = ("the EPUB is locked by DRM (encrypted by its seller), so its text cannot be read; add a "
                       "DRM-free copy of the book")


class NoTextLayerError(DocumentError):
    reason_template = (
        "the PDF has no text layer: it looks scanned; turn OCR on (setting ocr = true, RAG_OCR=1) "
        "or run OCR on it (e.g. ocrmypdf) and add the result"
    )


class UndecodableTextError(DocumentError):
    reason_template = (
        "the PDF's text cannot be decoded (its fonts have no Unicode map); OCR it (setting ocr = true, "
        "RAG_OCR=1, or ocrmypdf --force-ocr) or export it again from its source"
    )


class NoTextError(DocumentError):
    reason_template = "no text could be extracted from this file"


class ParseTimeoutError(DocumentError):
    reason_template = "reading this file took too long (the PDF may be malformed); check it in a PDF viewer"


class ParserCrashedError(DocumentError):
    reason_template = "the PDF reader crashed or ran out of memory on this file; the PDF may be malformed"
