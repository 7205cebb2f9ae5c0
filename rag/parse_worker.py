"""Read documents in a child process, with a time and memory limit per file.

A damaged or hostile PDF can make a parser loop forever or eat all memory; in-process that
would hang or kill RAG Desk. Here a long-lived child process (started with `spawn`, so it
shares nothing with the parent's threads) opens the file and streams pages back over a
pipe. If the child sends nothing (no page, no end) for longer than the limit, it is killed and the file fails with a
clear message; if the child dies (e.g. out of memory under its RLIMIT_AS) likewise. The
next file gets a fresh child. Pages are cleaned in the child, so the parent only chunks.
"""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Iterator

from . import errors
from .errors import DocumentError
from .loaders import Page


class ParseTimeoutError(DocumentError):
    reason_template = "reading this file took too long (the PDF may be malformed); check it in a PDF viewer"


class ParserCrashedError(DocumentError):
    reason_template = "the PDF reader crashed or ran out of memory on this file; the PDF may be malformed"


def _serve(conn, memory_mb: int) -> None:  # runs in the child
    if memory_mb:
        try:
            import resource

            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    from .loaders import open_document

    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        path, backend = request
        try:
            doc = open_document(Path(path), backend)
            conn.send(("opened", doc.page_count, doc.kind))
            for page in doc.pages():
                conn.send(("page", page))
            doc.close()
            conn.send(("done",))
        except DocumentError as err:
            conn.send(("error", type(err).__name__, err.reason))
        except MemoryError:
            conn.send(("error", "ParserCrashedError", ParserCrashedError.reason_template))
        except Exception as exc:  # a parser bug: report it, keep serving
            conn.send(("error", "CorruptPdfError", f"the file could not be read ({type(exc).__name__}: {exc})"))


class ParserProcess:
    def __init__(self, timeout_s: float = 120.0, memory_mb: int = 4096):
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self._proc = None
        self._conn = None

    def _start(self) -> None:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.memory_mb), name="rag-parser", daemon=True)
        self._proc.start()
        child.close()
        self._conn = parent

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join(5)
        self._proc = self._conn = None

    def close(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(2)
            except (OSError, BrokenPipeError):
                pass
        self._kill()

    def open(self, path: Path, backend: str) -> "WorkerDocument":
        if self._proc is None or not self._proc.is_alive():
            self._start()
        self._conn.send((str(path), backend))
        first = self._receive(path)
        if first[0] != "opened":
            raise _document_error(path, first)
        return WorkerDocument(self, Path(path), first[1], first[2])

    def _receive(self, path: Path):
        """The next message; the limit is on the child's silence, not on the whole file, so a
        long PDF read while the parent is busy embedding never times out."""
        try:
            if not self._conn.poll(self.timeout_s):
                self._kill()
                raise ParseTimeoutError(path, f"reading this file stalled for more than {self.timeout_s:g} s "
                                              "(the PDF may be malformed); check it in a PDF viewer")
            return self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._kill()
            raise ParserCrashedError(path) from None


class WorkerDocument:
    def __init__(self, worker: ParserProcess, path: Path, page_count: int, kind: str):
        self.worker = worker
        self.path = path
        self.page_count = page_count
        self.kind = kind
        self._finished = False

    def pages(self) -> Iterator[Page]:
        while True:
            message = self.worker._receive(self.path)
            if message[0] == "page":
                yield message[1]
            elif message[0] == "done":
                self._finished = True
                return
            else:
                self._finished = True
                raise _document_error(self.path, message)

    def close(self) -> None:
        if not self._finished:  # abandoned mid-file (cancel): the child is still sending
            self.worker._kill()


def _document_error(path: Path, message) -> DocumentError:
    _, name, reason = message
    kind = getattr(errors, name, None) or globals().get(name) or DocumentError
    return kind(path, reason)
