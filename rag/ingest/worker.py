"""Read documents in a child process, with a time and memory limit per file.

A damaged or hostile PDF can make a parser loop forever or eat all memory; in-process that
would hang or kill RAG Desk. Here a long-lived child process (started with `spawn`, so it
shares nothing with the parent's threads) opens the file and streams pages back over a
pipe. If the child sends nothing (no page, no end) for longer than the limit, it is killed and the file fails with a
clear message; if the child dies (e.g. out of memory under its RLIMIT_AS) likewise. The
next file gets a fresh child. Pages are cleaned in the child, so the parent only chunks.

Scanned pages are OCR'd in the child too (the OCR engine loads once per child). Before it
OCRs a page the child says so ("progress", "ocr", page); from then on the parent allows that
page `OcrOptions.page_timeout_s`. A page that takes longer is given up: the child is killed,
the page counts as "OCR failed", and a fresh child goes on from the next page. Waiting
parents look at the cancel event several times a second, so cancelling never waits for a
page to finish.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from pathlib import Path
from typing import Iterator

import rag.errors as errors
from rag.errors import DocumentError, ParserCrashedError, ParseTimeoutError
from rag.ingest.page import Page, ProgressCallback
from rag.ingest.quality import TextLayerCheck
from rag.ingest.ocr import OcrOptions

POLL_S = 0.2  # how often a waiting parent looks at the cancel event


def _serve(conn, memory_mb: int) -> None:  # runs in the child
    # Ctrl-C in a terminal reaches the whole process group: the parent decides what stops, and
    # kills this child itself, so the child neither dies mid-message nor prints a traceback.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_mb:
        try:
            import resource

            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass
    from rag.ingest.readers import open_document

    try:
        _answer(conn, open_document)
    except (BrokenPipeError, ConnectionResetError):  # the parent went away mid-file
        return


def _answer(conn, open_document) -> None:
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        path, backend, ocr, start = request
        try:
            doc = open_document(Path(path), backend, ocr)
            doc.on_progress = lambda stage, number: conn.send(("progress", stage, number))
            conn.send(("opened", doc.page_count, doc.kind))
            for page in doc.pages(start, check=False):  # the parent checks the whole file
                conn.send(("page", page))
            doc.close()
            conn.send(("done",))
        except DocumentError as err:
            conn.send(("error", type(err).__name__, err.reason))
        except MemoryError:
            conn.send(("error", "ParserCrashedError", ParserCrashedError.reason_template))
        except Exception as exc:  # a parser bug or an unsupported feature: report it, keep serving
            other = "pdfium" if backend == "pypdf" else "pypdf"
            conn.send(("error", "CorruptPdfError",
                       f"the file could not be read ({type(exc).__name__}: {str(exc)[:200]}); the PDF may be damaged "
                       f"or use a feature this reader lacks: re-save it from a PDF viewer, or try pdf_backend = {other}"))


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

    def open(self, path: Path, backend: str, ocr: OcrOptions | None = None,
             cancel: threading.Event | None = None) -> "WorkerDocument":
        first = self._request(Path(path), backend, ocr, 0, cancel)
        return WorkerDocument(self, Path(path), first[1], first[2], backend, ocr, cancel)

    def _request(self, path: Path, backend: str, ocr: OcrOptions | None, start: int,
                 cancel: threading.Event | None):
        if self._proc is None or not self._proc.is_alive():
            self._start()
        try:
            self._conn.send((str(path), backend, ocr, start))
        except (OSError, BrokenPipeError):  # the child died (or never started): a fresh one next time
            self._kill()
            raise _crashed(path) from None
        first = self._receive(path, cancel=cancel)
        if first is None:
            self._kill()
            raise _Cancelled(path, "indexing was cancelled; ingest the file again to index it")
        if first[0] != "opened":
            raise _document_error(path, first)
        return first

    def _receive(self, path: Path, limit_s: float | None = None, cancel: threading.Event | None = None):
        """The next message, or None when `cancel` is set first. The limit is on the child's
        silence, not on the whole file, so a long PDF read while the parent is busy embedding
        never times out. Raises _PageTimeout when `limit_s` (a page's OCR limit) runs out."""
        timeout = self.timeout_s if limit_s is None else limit_s
        deadline = time.monotonic() + timeout
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    return None
                left = deadline - time.monotonic()
                if self._conn.poll(max(0.0, min(left, POLL_S) if cancel is not None else left)):
                    return self._conn.recv()
                if time.monotonic() >= deadline:
                    break
        except (EOFError, OSError, BrokenPipeError):
            self._kill()
            raise _crashed(path) from None
        self._kill()
        if limit_s is not None:
            raise _PageTimeout(path, f"OCR of the page took longer than {limit_s:g} s")
        what = ("(the PDF may be malformed); check it in a PDF viewer" if path.suffix.lower() == ".pdf"
                else "(the file may be damaged, or on a drive that stopped answering); check it")
        raise ParseTimeoutError(path, f"reading this file stalled for more than {self.timeout_s:g} s {what}")


def _crashed(path: Path) -> ParserCrashedError:
    if path.suffix.lower() == ".pdf":
        return ParserCrashedError(path)
    return ParserCrashedError(path, "the reader crashed or ran out of memory on this file (parse_memory_mb); "
                                    "the file may be damaged: check it in a text editor")


class WorkerDocument:
    def __init__(self, worker: ParserProcess, path: Path, page_count: int, kind: str, backend: str = "pdfium",
                 ocr: OcrOptions | None = None, cancel: threading.Event | None = None):
        self.worker = worker
        self.path = path
        self.page_count = page_count
        self.kind = kind
        self.backend = backend
        self.ocr = ocr
        self.cancel = cancel
        self.on_progress: ProgressCallback | None = None
        self._finished = False

    def pages(self, start: int = 0, check: bool = True) -> Iterator[Page]:
        """Pages as the child sends them (from the first page: `start` is the child's business).
        A page whose OCR runs past its limit comes back empty with `ocr_error` set."""
        layer = TextLayerCheck(self.path, self.page_count, self.ocr) if self.kind == "pdf" else None
        ocr_page = None  # the page the child is OCR-ing now
        while True:
            limit = self.ocr.page_timeout_s if ocr_page is not None and self.ocr is not None else None
            try:
                message = self.worker._receive(self.path, limit, self.cancel)
            except _PageTimeout as late:
                page = Page(ocr_page, "", [0], ocr_error=late.reason)
                if layer is not None:
                    layer.add(page)
                yield page
                ocr_page = None
                if self.cancel is not None and self.cancel.is_set():
                    return
                if page.number < self.page_count:  # a fresh child goes on from the next page
                    self.worker._request(self.path, self.backend, self.ocr, page.number, self.cancel)
                    continue
                message = ("done",)
            if message is None:  # cancelled: close() stops the child
                return
            if message[0] == "progress":
                ocr_page = message[2] if message[1] == "ocr" else None
                if self.on_progress is not None:
                    self.on_progress(message[1], message[2])
            elif message[0] == "page":
                ocr_page = None
                if layer is not None:
                    layer.add(message[1])
                yield message[1]
            elif message[0] == "done":
                self._finished = True
                if layer is not None and check:
                    layer.finish()
                return
            else:
                self._finished = True
                raise _document_error(self.path, message)

    def close(self) -> None:
        if not self._finished:  # abandoned mid-file (cancel): the child is still sending
            self.worker._kill()


class _PageTimeout(DocumentError):
    pass


class _Cancelled(DocumentError):
    pass


def _document_error(path: Path, message) -> DocumentError:
    _, name, reason = message
    kind = getattr(errors, name, None) or globals().get(name) or DocumentError
    return kind(path, reason)
