"""One writer at a time per data folder, across processes (the GUI and rag-cli).

An advisory lock on `<data>/write.lock` (flock on POSIX, msvcrt on Windows) is held for
the whole of an ingestion or a removal; the holder's pid is written into the file so the
other process can say who is busy. The OS drops the lock when a process dies, even by
kill -9, so a crash never leaves the store locked.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from rag.errors import ReadOnlyDataError, WriterBusyError


class WriterLock:
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._depth = 0
        self._thread_lock = threading.RLock()  # the same rule between threads of this process

    def __enter__(self) -> "WriterLock":
        if not self._thread_lock.acquire(blocking=False):
            raise WriterBusyError("the knowledge base is being updated (indexing is running); "
                                     "try again when it has finished")
        try:
            if self._depth == 0:
                self._acquire()
        except BaseException:
            self._thread_lock.release()
            raise
        self._depth += 1
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                self._release()
        finally:
            self._thread_lock.release()

    def _acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only mount, no write permission, RAG_HOME under a file
            raise ReadOnlyDataError(self.path.parent, exc.strerror or str(exc)) from None
        if not _try_lock(fd):
            holder = _read_pid(fd)
            os.close(fd)
            who = f" (pid {holder})" if holder else ""
            raise WriterBusyError(
                f"the knowledge base is being updated by another RAG Desk process{who}; "
                "try again when it has finished"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def _release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            finally:
                _unlock(self._fd)
                os.close(self._fd)
                self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip() or 0) or None
    except (OSError, ValueError):
        return None


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
