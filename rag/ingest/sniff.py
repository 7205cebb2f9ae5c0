"""What a file really is, from its first bytes: a PDF named .pdf must start like one."""

from __future__ import annotations

from pathlib import Path

from rag.errors import NotADocumentError, NotAPdfError, UnreadableFileError


def check_pdf_header(path: Path) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except PermissionError:
        raise UnreadableFileError(path) from None
    if b"%PDF-" not in head:
        kind = sniff(head)
        raise NotAPdfError(path, f"not a PDF file ({kind}); check that this is the document you meant")


ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files, and password-protected new ones


def check_zip_header(path: Path, what: str) -> None:
    """A .docx or .epub is a ZIP archive: anything else fails here, saying what it is instead.
    `what` names the format ("Word .docx document", "EPUB book")."""
    try:
        with path.open("rb") as f:
            head = f.read(1024)
    except PermissionError:
        raise UnreadableFileError(path) from None
    if head.startswith(ZIP_MAGIC):
        return
    if head.startswith(OLE2_MAGIC):
        raise NotADocumentError(path, f"not a {what} (it is an old-style Office file, or a password-protected "
                                      "one); open it in Word or LibreOffice and save it as .docx without a password")
    raise NotADocumentError(path, f"not a {what} ({sniff(head)}); check that this is the document you meant")


def sniff(head: bytes) -> str:
    if head.startswith(b"\x89PNG"):
        return "it is a PNG image"
    if head.startswith(b"\xff\xd8"):
        return "it is a JPEG image"
    if head.startswith(b"PK\x03\x04"):
        return "it is a ZIP archive or Office document"
    if head.startswith(OLE2_MAGIC):
        return "it is an old-style Office file"
    if head.startswith(b"%PDF-"):
        return "it is a PDF"
    if head.startswith(b"<") or head.lstrip().lower().startswith((b"<!doctype", b"<html")):
        return "it looks like HTML or XML"
    try:
        head.decode("utf-8")
        return "it looks like plain text"
    except UnicodeDecodeError:
        return "the content does not start with %PDF"
