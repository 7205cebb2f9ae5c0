"""File names as people see them. On POSIX a file name is bytes; Python keeps undecodable
bytes as surrogates, which cannot be printed, stored in SQLite or shown in Qt. `display`
turns them into visible escapes (caf\\xe9.pdf), and `is_text` says whether a name is clean."""

from __future__ import annotations

from pathlib import Path


def is_text(path: Path | str) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def display(name: Path | str) -> str:
    text = str(name)
    if is_text(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
