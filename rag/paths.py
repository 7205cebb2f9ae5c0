"""File names as people see them. On POSIX a file name is bytes; Python keeps undecodable
bytes as surrogates, which cannot be printed, stored in SQLite or shown in Qt. `display`
turns them (and control characters) into visible escapes (caf\\xe9.pdf, a\\nb.pdf), and
`is_text` says whether a name is clean."""

from __future__ import annotations

from pathlib import Path


def is_text(path: Path | str) -> bool:
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7f)}
_CONTROL.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})


def display(name: Path | str) -> str:
    """`name` as it can be shown on one line: undecodable bytes and control characters (a
    newline in a file name would split a `rag-cli list` row) as visible escapes."""
    text = str(name)
    if not is_text(text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.translate(_CONTROL)
