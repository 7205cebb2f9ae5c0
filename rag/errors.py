"""Errors meant for the person using RAG Desk.

Every message names the thing at fault and says what to do about it. The CLI prints
them without a traceback; the GUI shows them in its one error area.

    RagError
    ├── SettingsError          a bad value in settings.toml or a RAG_* variable
    ├── ModelError             a model file or name that cannot be loaded
    ├── KnowledgeBaseError     unknown / duplicate knowledge base, store mismatch
    │   └── EmbeddingMismatchError
    ├── DocumentError          one input file cannot be read (batch goes on)
    │   ├── NotAPdfError, EmptyFileError, CorruptPdfError,
    │   ├── EncryptedPdfError, NoTextLayerError, UndecodableTextError, UnsupportedFileError
    └── GenerationError        the LLM failed while answering
"""

from __future__ import annotations

from pathlib import Path


class RagError(Exception):
    """Base class: `str(err)` is a complete sentence a user can act on."""


class SettingsError(RagError):
    pass


class ModelError(RagError):
    pass


class KnowledgeBaseError(RagError):
    pass


class WriterBusyError(KnowledgeBaseError):
    """Another process or thread is writing to the data folder."""


class EmbeddingMismatchError(KnowledgeBaseError):
    pass


class GenerationError(RagError):
    pass


class DocumentError(RagError):
    """A single document could not be ingested. `path` names it; `reason` says why."""

    reason_template = "cannot be read"

    def __init__(self, path: str | Path, reason: str | None = None):
        from .paths import display

        self.path = Path(path)
        self.reason = reason or self.reason_template
        super().__init__(f"{display(self.path.name)}: {self.reason}")


class FileMissingError(DocumentError):
    reason_template = "no such file or folder; check the path"


class UnreadableFileError(DocumentError):
    reason_template = "permission denied; make the file readable and try again"


class UnsupportedFileError(DocumentError):
    reason_template = "unsupported file type; RAG Desk reads .pdf, .txt and .md files"


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
