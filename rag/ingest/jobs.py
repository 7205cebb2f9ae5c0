"""Ingest jobs over many files, each under the writer lock: add paths, index files again from
their sources, rebuild a knowledge base, keep one in step with its watched folders, and finish
the vectors of files left searchable by their text alone. A bad file fails alone: it is
reported and the batch goes on.

Every job reads its files first (each becomes searchable by BM25 as soon as its text is
stored: FileSearchable) while one vector worker embeds what was read, in reading order
(rag.ingest.embedding); with `wait` (the default) the job then waits for the last vector
(FileIndexed for each file), else it returns and leaves the files at stage `lexical`. Files
left at `lexical` by an earlier job are finished by the next job on their knowledge base."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from rag.errors import DocumentError, FileMissingError, UnreadableFileError
from rag.events import (FileFailed, FileIgnored, FileIndexed, FileRemoved, FileSearchable, FileSkipped, FileStarted,
                        IngestDone, IngestEvent)
from rag.ingest.discover import EmptyFolderError, discover
from rag.paths import display, is_text
from rag.ingest.pipeline import FilePipeline


class Indexer:
    def __init__(self, parts, library):
        self.parts = parts
        self.library = library
        self.files = FilePipeline(parts, library)
        self._write_lock = threading.Lock()  # one ingest job at a time in this process

    def ingest(self, paths: Iterable[str | Path], kb: str | None = None,
               cancel: threading.Event | None = None, wait: bool = True) -> Iterator[IngestEvent]:
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        found = discover([Path(p) for p in paths])
        with self.parts.writer:
            yield from self._run(found.files, found.problems, kb, cancel, started, ignored=found.ignored, wait=wait)

    def finish(self, kb: str | None = None, cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        """Make the vectors of the files of `kb` left at stage `lexical` (searchable by their
        text only) by an earlier job: `rag-cli ingest --no-wait`, a cancel, a crash."""
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        with self.parts.writer:
            yield from self._run([], [], kb, cancel, started)

    def reindex(self, files: Sequence[str], kb: str | None = None,
                cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        """Index the given files of `kb` again from their sources (after a parser or OCR change).

        A file whose source is gone keeps its stored text: it is reported, not dropped."""
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        with self.parts.writer:
            kbrec = self.library.kb(kb)
            paths, problems = [], []
            for name in files:
                rec = self.library.match_file(kbrec, name)
                if not Path(rec.path).is_file():
                    problems.append(DocumentError(Path(rec.path), "the source file is no longer there; its stored "
                                                                  "text is kept (add the file again to re-index it)"))
                    continue
                self.library.delete_chunks(kbrec, rec.id)
                self.parts.catalog.remove_file(rec.id)
                paths.append(Path(rec.path))
            yield from self._run(paths, problems, kbrec.name, cancel, started)

    def reindex_kb(self, kb: str | None = None, cancel: threading.Event | None = None,
                   embedder: str | None = None) -> Iterator[IngestEvent]:
        """Rebuild a knowledge base with the current chunk settings and the embedder it was built
        with, or with `embedder` (an embedding_model value): switching models is a rebuild, and
        all old vectors are dropped before the first new one is stored, so a knowledge base never
        holds vectors of two models. One whose embedder cannot be loaded here gets the settings'.

        Files whose sources are gone cannot be rebuilt and are dropped; `missing_sources`
        lists them first so a caller can ask before going ahead."""
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        with self.parts.writer:
            kbrec = self.library.kb(kb)
            emb = self._rebuild_embedder(kbrec, embedder)  # a choice that cannot load changes nothing
            paths = [Path(f.path) for f in self.parts.catalog.files(kbrec) if Path(f.path).is_file()]
            self.parts.store.drop(kbrec.collection)
            self.parts.lexical.drop(kbrec.id)
            kbrec = self.library.assign_embedder(self.parts.catalog.reset_kb(kbrec), emb)
            yield from self._run(paths, [], kbrec.name, cancel, started)

    def _rebuild_embedder(self, kb, setting: str | None):
        from rag.errors import RagError

        from models.locate import embedder_setting

        if setting:
            return self.parts.embedder_for_setting(setting)
        try:  # its own model, with the settings' precision (a rebuild is how a precision is switched)
            return self.parts.embedder_for_setting(embedder_setting(kb.embed_model)) if kb.embed_model \
                else self.parts.embedder
        except RagError:
            return self.parts.embedder

    def sync(self, kb: str | None = None, cancel: threading.Event | None = None,
             wait: bool = True) -> Iterator[IngestEvent]:
        """Bring a knowledge base in line with its watched folders: index new and changed
        files, drop files that were deleted from a watched folder."""
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        with self.parts.writer:
            kbrec = self.library.kb(kb)
            folders = self.parts.catalog.watches(kbrec)
            removed = []
            for rec in self.parts.catalog.files(kbrec):
                inside = any(Path(rec.path).is_relative_to(f) for f in folders)
                if inside and not Path(rec.path).exists() and all(Path(f).is_dir() for f in folders
                                                                    if Path(rec.path).is_relative_to(f)):
                    self.library.delete_chunks(kbrec, rec.id)
                    self.parts.catalog.remove_file(rec.id)
                    removed.append(FileRemoved(Path(rec.path)))
            yield from removed
            present = [f for f in folders if Path(f).is_dir()]
            problems = [DocumentError(Path(f), "the watched folder is missing (unplugged drive?); its files are "
                                               "kept until it is back") for f in folders if not Path(f).is_dir()]
            found = discover([Path(f) for f in present])
            problems += [p for p in found.problems if not isinstance(p, EmptyFolderError)]  # empty is fine
            yield from self._run(found.files, problems, kbrec.name, cancel, started, len(removed), found.ignored, wait)

    def _run(self, files, problems, kb, cancel, started, removed=0, ignored=(), wait=True):
        total = len(files) + len(problems)
        skipped = failed = chunks_total = 0
        kbrec = self.library.kb(kb, create=True)
        for path in ignored:
            yield FileIgnored(path)
        position = 0
        for problem in problems:
            position += 1
            failed += 1
            yield FileStarted(problem.path, position, total)
            self._remember_refusal(kbrec, problem)
            yield FileFailed(problem.path, problem.reason)
        verify = False
        leftovers = self.parts.catalog.lexical_files(kbrec) if kbrec.id else []
        if files or leftovers:
            kbrec = self.library.check_model(kbrec)  # the right store and model first, then
            self.library.recovery.lexical_for(kbrec, required=True)  # rows are written in the current layout
            verify = self.library.vectors_lost(kbrec)  # then unchanged files are skipped only if still stored
        indexed_events = 0
        with self._write_lock:
            vectors = self.files.vector_worker(kbrec, cancel, active=wait) if files or leftovers else None
            try:
                for rec in leftovers:  # files an earlier job left searchable by their text only
                    vectors.resume(rec)
                for path in files:
                    if cancel.is_set():
                        break
                    position += 1
                    yield FileStarted(path, position, total)
                    tally = [indexed_events, failed]
                    outcome = yield from _relay(self.files.index_file(kbrec, path, cancel, verify, vectors), tally)
                    indexed_events, failed = tally
                    if isinstance(outcome, FileSearchable):
                        chunks_total += outcome.chunks
                    elif isinstance(outcome, FileSkipped):
                        skipped += 1
                    else:
                        failed += 1
                    yield outcome
                    for ev in vectors.events():
                        indexed_events, failed = _count(ev, indexed_events, failed)
                        yield ev
                if vectors is not None and wait:
                    for ev in vectors.wait():
                        indexed_events, failed = _count(ev, indexed_events, failed)
                        yield ev
            finally:
                if vectors is not None:
                    vectors.close()  # no vector is written after this
            if vectors is not None:
                for ev in vectors.events():
                    indexed_events, failed = _count(ev, indexed_events, failed)
                    yield ev
        searchable = vectors.left_lexical() if vectors is not None else 0
        if indexed_events or removed or problems or failed or searchable:
            self.parts.catalog.backup()  # the copy `doctor --repair` puts back if the catalog is damaged
        yield IngestDone(indexed_events, skipped, failed, chunks_total, time.perf_counter() - started, cancel.is_set(),
                         removed, len(ignored), searchable)

    def _remember_refusal(self, kb, problem: DocumentError) -> None:
        """A file refused before reading is listed with its reason (`rag-cli list`, the app),
        like one that failed while being read; a path that does not exist is not a file."""
        path = problem.path
        if isinstance(problem, (FileMissingError, EmptyFolderError)):
            return  # nothing there (a typo): not a file to list
        if not isinstance(problem, UnreadableFileError) and not os.path.lexists(path):
            return  # an unplugged watched folder
        key = str(path) if is_text(path) else display(path)  # SQLite stores text: escapes for odd bytes
        self.parts.catalog.record_failure(kb, key, display(path.name), problem.reason)


def _count(ev, indexed: int, failed: int) -> tuple[int, int]:
    """Files the vector worker finished (FileIndexed) or could not finish (FileFailed)."""
    if isinstance(ev, FileIndexed):
        return indexed + 1, failed
    if isinstance(ev, FileFailed):
        return indexed, failed + 1
    return indexed, failed


def _relay(gen, tally: list):
    """Pass on the events of one file's reading, counting the vector worker's outcomes among
    them into `tally` ([indexed, failed]); returns the file's own outcome."""
    try:
        while True:
            try:
                ev = next(gen)
            except StopIteration as stop:
                return stop.value
            if isinstance(ev, (FileIndexed, FileFailed)):
                tally[0], tally[1] = _count(ev, tally[0], tally[1])
            yield ev
    finally:
        gen.close()
