"""Which files a batch holds: folders expanded (recursively) into the files RAG Desk reads, and
the cheap checks (exists, type, permission, empty) that give a clear message before any reading."""

from __future__ import annotations

import os
from pathlib import Path

from rag.errors import DocumentError, EmptyFileError, FileMissingError, UnreadableFileError, UnsupportedFileError
from rag.paths import is_text

PDF_SUFFIXES = {".pdf"}

TEXT_SUFFIXES = {".txt", ".text"}

MARKDOWN_SUFFIXES = {".md", ".markdown"}

SUPPORTED_SUFFIXES = PDF_SUFFIXES | TEXT_SUFFIXES | MARKDOWN_SUFFIXES


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
