"""ZIP containers (.docx, .epub) opened with limits: a damaged, truncated or bomb archive fails
with a clear message before any member is unpacked.

`zipfile` never returns more bytes of a member than its directory entry declares (it stops
there and the CRC check fails), and it refuses overlapping entries, so the declared sizes
bound what reading can cost. They are checked here: the whole archive may not unpack to more
than MAX_TOTAL bytes, a member that packs more than MAX_RATIO to one is refused once it is
larger than RATIO_FLOOR, and a member that is parsed (XML, XHTML) may not exceed MAX_PARSED.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from rag.errors import ArchiveBombError, CorruptDocumentError
from rag.ingest.sniff import check_zip_header

MAX_TOTAL = 2 << 30  # 2 GiB unpacked: photo-heavy documents stay well below
MAX_PARSED = 256 << 20  # one XML/XHTML member that is parsed
MAX_RATIO = 200  # XML packs 5-20x, images ~1x; a bomb of zeros 1000x
RATIO_FLOOR = 16 << 20  # small members may pack as well as they like
MAX_MEMBERS = 50_000


def _size(n: int) -> str:
    return f"{n / (1 << 30):.1f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


class SafeZip:
    """An opened, checked archive; `read(name)` returns one member's bytes."""

    def __init__(self, path: Path, what: str, damaged: str):
        """`what` names the format for "not a ..." messages; `damaged` is the whole message for
        an archive that cannot be read."""
        self.path = path
        self.damaged = damaged
        check_zip_header(path, what)
        try:
            self.zip = zipfile.ZipFile(path)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise CorruptDocumentError(path, damaged) from None
        if len(infos) > MAX_MEMBERS:
            raise ArchiveBombError(path, f"the archive holds {len(infos):,} files, far more than any document "
                                         "(a ZIP bomb?); it was not read: check where it came from")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL:
            raise ArchiveBombError(path, f"the file unpacks to {_size(total)}, far more than any document holds "
                                         "(a ZIP bomb?); it was not read: check where it came from")
        for i in infos:
            if i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                raise ArchiveBombError(path, f"its part {i.filename} unpacks from {_size(i.compress_size)} to "
                                             f"{_size(i.file_size)} (a ZIP bomb?); it was not read: check where "
                                             "it came from")
        self.names = {i.filename: i for i in infos}

    def has(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str, parsed: bool = True) -> bytes:
        info = self.names.get(name)
        if info is None:
            raise KeyError(name)
        if parsed and info.file_size > MAX_PARSED:
            raise ArchiveBombError(self.path, f"its part {name} is {_size(info.file_size)} of markup, more than "
                                              "RAG Desk reads; split the document")
        try:
            return self.zip.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
            # RuntimeError: an encrypted member (a ZIP password)
            raise CorruptDocumentError(self.path, f"{self.damaged} ({name}: {str(exc)[:120]})") from None

    def close(self) -> None:
        self.zip.close()
