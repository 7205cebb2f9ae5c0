"""Which files a batch holds: folders expanded (recursively) into the files RAG Desk reads, and
the cheap checks (exists, type, permission, empty) that give a clear message before any reading.

Only regular files are read. A FIFO, a socket or a device (or a link to one) would block the
reader in open() or feed it forever while the writer lock is held, so it is refused at once,
whether it is given directly or met inside a folder. Nothing inside a folder is skipped
silently: special files and folders that cannot be read are reported as failures, other
files that are not documents are counted (and listed with `rag-cli ingest -v`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from rag.errors import DocumentError, EmptyFileError, FileMissingError, UnreadableFileError, UnsupportedFileError
from rag.paths import is_text

PDF_SUFFIXES = {".pdf"}

TEXT_SUFFIXES = {".txt", ".text"}

MARKDOWN_SUFFIXES = {".md", ".markdown"}

# documents of headings and paragraphs, cited by section (rag.ingest.readers.sections)
DOCX_SUFFIXES = {".docx"}

EPUB_SUFFIXES = {".epub"}

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}

SUPPORTED_SUFFIXES = (PDF_SUFFIXES | TEXT_SUFFIXES | MARKDOWN_SUFFIXES | DOCX_SUFFIXES | EPUB_SUFFIXES
                      | HTML_SUFFIXES)

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))


def special_kind(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)", ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


class EmptyFolderError(UnsupportedFileError):
    reason_template = "this folder holds no .pdf, .docx, .epub, .html, .txt or .md files"


class SpecialFileError(UnsupportedFileError):
    reason_template = "not a regular file; RAG Desk reads only regular files"


def not_regular(path: Path, kind: str) -> SpecialFileError:
    link = " (a link to it)" if path.is_symlink() else ""
    return SpecialFileError(path, f"is {kind}{link}, not a regular file; RAG Desk reads only regular files "
                                  "(copy the document into a file and add that)")


def _stat(path: Path) -> os.stat_result:
    """stat() with the errors a user can act on: missing, or a folder on the way not readable."""
    try:
        return path.stat()
    except FileNotFoundError:
        raise FileMissingError(path) from None
    except PermissionError:
        raise UnreadableFileError(path, "permission denied on the file or a folder holding it; make them "
                                        "readable and try again") from None
    except OSError as exc:
        raise UnreadableFileError(path, f"cannot read the file ({exc.strerror}); check the path") from None


def check_readable(path: Path) -> None:
    st = _stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise UnsupportedFileError(path, "is a folder; pass files or folders to ingest, not this")
    kind = special_kind(st.st_mode)
    if kind is not None:
        raise not_regular(path, kind)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileError(path)
    if not os.access(path, os.R_OK):
        raise UnreadableFileError(path)
    if st.st_size == 0:
        raise EmptyFileError(path)


def open_regular(path: Path):
    """Open `path` for reading without ever blocking (a FIFO swapped in after the checks
    would block open() forever) and only if it is a regular file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        kind = special_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise not_regular(path, kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class Found:
    """What a batch of paths holds: the files to read, the problems (one per path that gives
    nothing, or per thing inside a folder that cannot be read), and the other files inside
    folders that are not documents (counted, not read)."""

    def __init__(self):
        self.files: list[Path] = []
        self.problems: list[DocumentError] = []
        self.ignored: list[Path] = []

    def __iter__(self):  # files, problems = discover(...)
        return iter((self.files, self.problems))


def _walk(folder: Path, found: Found) -> list[Path]:
    """Documents under `folder` (hidden files and folders left out), in name order; special
    files and unreadable folders become problems, other files `ignored`."""
    out: list[Path] = []

    def failed(err: OSError) -> None:
        where = Path(err.filename) if err.filename else folder
        found.problems.append(UnreadableFileError(
            where, f"this folder cannot be read ({err.strerror}); its files were left out: make it readable "
                   "and add it again"))

    for root, dirs, names in os.walk(folder, onerror=failed, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            p = Path(root) / name
            suffix = p.suffix.lower()
            try:
                st = p.stat()
            except OSError as exc:
                if suffix in SUPPORTED_SUFFIXES:
                    found.problems.append(UnreadableFileError(p, f"cannot read the file ({exc.strerror}); check "
                                                                 "its permissions or the link it is"))
                continue
            kind = special_kind(st.st_mode)
            if kind == "a folder":  # a link to a folder: not followed (it could loop)
                found.ignored.append(p)
            elif kind is not None:
                found.problems.append(not_regular(p, kind))
            elif suffix in SUPPORTED_SUFFIXES:
                out.append(p)
            else:
                found.ignored.append(p)
    return out


def discover(paths: list[Path]) -> Found:
    """Expand folders (recursively) into supported files; report paths that give nothing."""
    found = Found()
    seen: set[Path] = set()
    for given in paths:
        path = Path(given).expanduser()
        try:
            st = _stat(path)
        except DocumentError as err:
            found.problems.append(err)
            continue
        if stat.S_ISDIR(st.st_mode):
            candidates = _walk(path, found)
            if not candidates and not any(Path(p.path).is_relative_to(path) for p in found.problems):
                found.problems.append(EmptyFolderError(path))
        else:
            kind = special_kind(st.st_mode)
            if kind is not None:
                found.problems.append(not_regular(path, kind))
                continue
            candidates = [path]
        for p in candidates:
            if not is_text(p):
                found.problems.append(UnsupportedFileError(
                    p, "the file name is not valid UTF-8 text; rename the file and add it again"))
                continue
            resolved = p.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.files.append(resolved)
    return found
