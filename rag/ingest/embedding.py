"""Vectors follow text: the background half of progressive indexing.

A file is read, chunked and its texts and BM25 rows stored first (rag.ingest.pipeline); one
transaction then makes it searchable by BM25 (stage `lexical`). `VectorWorker` makes the
vectors of stored chunks on one background thread, in the order they were read (across the
files of a job), while later pages and files are still being read: a file's first chunks
are embedded while its last ones are read. Vectors of a version that is not `indexed` yet are
in the vector store under its sha but hidden from dense search (`Catalog.search_view`); when
the last one is stored, one transaction moves the file to `indexed`. A `lexical` file left by
an earlier job (`rag-cli ingest --no-wait`, a cancel, kill -9) is resumed from its stored
rows, skipping the chunks that already have a vector.

Identical chunk texts are embedded once: a text-hash cache plus one lookup of already-stored
hashes per group of chunks.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rag.events import FileFailed, FileIndexed, FileProgress
from rag.ingest.batches import BatchWriter
from rag.ingest.group_progress import group_progress
from rag.ingest.indexed import embedded_text, indexed_text, text_hash

EMBED_GROUP = 512  # chunks taken at a time: sorted by length, they embed with little padding
WRITE_SLICE = 64  # vectors stored together: the last store write stays short
VECTOR_CACHE_SIZE = 20_000  # text hash -> vector of recently embedded chunks (~30 MB for MiniLM)
# Reading outruns embedding (a 200 MB file is read in minutes, embedded in hours): beyond this
# many waiting chunks, a chunk waits as its id alone and its text is read back from its stored
# row when its turn comes, so memory stays flat however far reading is ahead.
LIGHT_BACKLOG = 4096


class VectorsCancelled(Exception):
    """Cancel was pressed while vectors were being made."""


@dataclass(frozen=True)
class Piece:
    """One stored chunk waiting for its vector. A light piece (`light()`) has only its id,
    hash and length: its text and metadata are read back from its stored row."""
    id: str
    indexed: str | None  # the text as embedded (section title + text)
    hash: str  # text_hash(indexed)
    tokens: int
    text: str | None
    meta: dict | None

    def light(self) -> "Piece":
        return self if self.text is None else Piece(self.id, None, self.hash, self.tokens, None, None)

    @staticmethod
    def of_row(row, reads_chinese: bool, hash: str | None = None, tokens: int | None = None) -> "Piece":
        """The piece of a stored row (`ChunkStore.texts` / `file_rows`), for an embedder that
        reads Chinese or not (`Embedder.reads_chinese`)."""
        m = row.metadata
        indexed = embedded_text(indexed_text(m.get("section") or "", row.text), reads_chinese)
        return Piece(row.id, indexed, hash or m.get("th") or text_hash(indexed),
                     int(m.get("tokens", 0)) if tokens is None else tokens, row.text, m)


@dataclass
class FileJob:
    file_id: int
    sha: str
    path: Path
    started: float
    done: int = 0  # chunks whose vector is stored
    shown: int = 0  # the highest "embedding" count reported, so that the bar never moves back
    queued: int = 0  # chunks handed over
    committed: bool = False  # stage lexical: its texts are committed, `chunks` is known
    chunks: int = 0
    pages: int = 0
    extra: tuple = ((), (), ())  # ocr_pages, ocr_failed, undecodable (for FileIndexed)
    finished: bool = False  # indexed, failed or dropped: nothing more happens to it
    dropped: bool = False
    error: BaseException | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class VectorWorker:
    """Embeds handed-over chunks on a background thread and stores their vectors.

    `active=False` (a job that returns at the lexical stage) embeds nothing: pieces are only
    counted and the files stay `lexical` for a later job. With `TEXT_FIRST`, nothing is
    embedded until the job's first file is searchable (its reading gets the whole CPU)."""

    TEXT_FIRST = False

    def __init__(self, parts, kb, cancel: threading.Event, cache: dict, active: bool = True):
        self.parts = parts
        self.kb = kb
        self.cancel = cancel
        self.cache = cache
        self.active = active
        self.emb = parts.embedder_for(kb)
        self.reads_chinese = getattr(self.emb, "reads_chinese", True)
        self._pieces: collections.deque = collections.deque()  # (job, Piece)
        self._cond = threading.Condition()
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs: dict[tuple[int, str], FileJob] = {}
        self._stop = False
        self._slice_lock = threading.Lock()  # held while a slice of vectors is handed to the writer
        self._thread: threading.Thread | None = None
        self._known: bool | None = None  # whether the store has vectors to reuse
        self._failure: BaseException | None = None  # the embedder itself failed (every file would)
        self.indexed = 0
        self._hold = threading.Event()  # set: embedding may go on (see TEXT_FIRST)
        self._hold.set()

    # ---- what the reading side calls ----------------------------------------------------

    def job(self, file_id: int, sha: str, path: Path, started: float | None = None) -> FileJob:
        key = (file_id, sha)
        job = self._jobs.get(key)
        if job is None:
            if self.TEXT_FIRST and not self._jobs:
                self._hold.clear()  # the first file's text first
            job = self._jobs[key] = FileJob(file_id, sha, path, time.perf_counter() if started is None else started)
        return job

    def add(self, job: FileJob, pieces: list[Piece]) -> None:
        """Chunks of `job` whose rows are stored; their vectors follow."""
        if not pieces:
            return
        with job.lock:
            job.queued += len(pieces)
        if not self.active:
            return
        with self._cond:
            if len(self._pieces) + len(pieces) > LIGHT_BACKLOG:
                pieces = [p.light() for p in pieces]
            self._pieces.extend((job, p) for p in pieces)
            self._cond.notify()
        self._start()

    def commit(self, job: FileJob, chunks: int, commit):
        """The reading side is done with `job`: `commit(embedded)` makes it `lexical` in the
        catalog (given how many vectors are stored by then). If every vector is already
        stored, the file is moved on to `indexed` here. Raises what went wrong while its
        vectors were made before this point (the caller then rolls the file back)."""
        with job.lock:
            if job.error is None and self._failure is not None and self.active:
                job.error = self._failure  # the embedder failed before this file's turn
            if job.error is not None:
                raise job.error
            try:
                committed = commit(job.done)
            finally:
                self._hold.set()
            job.committed, job.chunks = True, chunks
            ready = job.done >= chunks and self.active
        if ready:
            self._finish(job)
        return committed

    def drop(self, file_id: int, sha: str) -> None:
        """Forget version `sha` of a file (rolled back, or replaced by a new version): none of
        its vectors is written after this returns."""
        job = self._jobs.get((file_id, sha))
        if job is None:
            return
        job.dropped = job.finished = True
        self._hold.set()
        with self._cond:
            self._pieces = collections.deque(item for item in self._pieces if item[0] is not job)
        with self._slice_lock:  # a slice of it being handed over now is its last
            pass
        if self._writer is not None:
            self._writer_drain()

    def resume(self, rec) -> FileJob | None:
        """A `lexical` file of an earlier job: its chunks without a vector are handed over."""
        store = self.parts.store
        rows = store.file_rows(self.kb.collection, rec.id, rec.sha256)
        have = store.vector_ids(self.kb.collection, rec.id, rec.sha256)
        job = self.job(rec.id, rec.sha256, Path(rec.path))
        job.committed, job.chunks, job.pages, job.done = True, rec.chunks, rec.pages, len(have)
        todo = []
        for c in rows:
            if c.id in have:
                continue
            todo.append(Piece.of_row(c, self.reads_chinese))
        if not rows or len(rows) < rec.chunks:
            job.finished = job.dropped = True
            return None  # its rows are not all there: `rag-cli doctor` reports it
        if not todo:
            if self.active:
                self._finish(job)
            return job
        self._hold.set()  # files left by an earlier job: nothing to read first
        self.add(job, todo)
        return job

    # ---- events and waiting -----------------------------------------------------------

    def events(self):
        """The events made on the worker's threads since the last call (FileProgress,
        FileIndexed, FileFailed), to be yielded by the job's own thread."""
        while True:
            try:
                yield self._events.get_nowait()
            except queue.Empty:
                return

    def pending(self) -> bool:
        """Whether a handed-over file still waits for vectors (and the worker can make them)."""
        if not self.active or self._failure is not None:
            return False
        return any(not j.finished for j in self._jobs.values())

    def wait(self, poll: float = 0.1):
        """Yield events until every committed file is indexed, one failed, or cancel."""
        while self.pending() and not self.cancel.is_set():
            try:
                yield self._events.get(timeout=poll)
            except queue.Empty:
                if self._thread is None or not self._thread.is_alive():
                    break
        yield from self.events()

    def left_lexical(self) -> int:
        """Files of this job that are searchable but not indexed."""
        return sum(1 for j in self._jobs.values() if j.committed and not j.dropped and
                   not (j.finished and j.error is None))

    def close(self) -> None:
        """Stop after the slice being embedded; nothing is written after this returns."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()

    # ---- the worker thread -------------------------------------------------------------

    _writer: BatchWriter | None = None

    def _start(self) -> None:
        if self._thread is None:
            self._writer = BatchWriter(self._write)
            self._thread = threading.Thread(target=self._run, name="ingest-vectors", daemon=True)
            self._thread.start()

    def _writer_drain(self) -> None:
        """Wait until the writer has stored what it was given (without closing it)."""
        writer = self._writer
        if not writer.alive:
            return
        done = threading.Event()
        try:
            writer.put(("barrier", done))
        except BaseException:
            return
        while not done.wait(0.1):
            if not writer.alive:
                return

    def _take(self) -> list | None:
        while not self._hold.wait(0.1):
            if self._stop:
                return None
        with self._cond:
            while not self._pieces and not self._stop:
                self._cond.wait()
            if self._stop:
                return None
            group = []
            while self._pieces and len(group) < EMBED_GROUP:
                group.append(self._pieces.popleft())
            return group

    def _run(self) -> None:
        try:
            self.emb.load()
            while True:
                group = self._take()
                if group is None:
                    break
                self._embed_group(self._filled(group))
        except VectorsCancelled:
            pass
        except BaseException as exc:  # the embedder failed: every waiting file says so
            self._failure = exc
            for job in list(self._jobs.values()):
                self._fail(job, exc)
        finally:
            try:
                self._writer.finish()
            except BaseException as exc:
                for job in list(self._jobs.values()):
                    self._fail(job, exc)

    def _check(self) -> None:
        if self.cancel.is_set() or self._stop:
            raise VectorsCancelled()

    def _filled(self, group: list) -> list:
        """Light pieces of `group` with their text and metadata, read from their stored rows.
        A chunk whose row is gone belonged to a version being rolled back; if its file is
        still live, the file fails (its vectors could never all be made)."""
        light = [p.id for job, p in group if p.text is None and not job.dropped]
        rows = {c.id: c for c in self.parts.store.texts(self.kb.collection, light)} if light else {}
        out = []
        for job, p in group:
            if p.text is None:
                if job.dropped:
                    continue
                row = rows.get(p.id)
                if row is None:
                    self._fail(job, RuntimeError(f"the stored text of chunk {p.id} is missing"))
                    continue
                p = Piece.of_row(row, self.reads_chinese, p.hash, p.tokens)
            out.append((job, p))
        return out

    def _embed_group(self, group) -> None:
        import numpy as np

        group = sorted(group, key=lambda item: item[1].tokens)  # similar lengths embed with little padding
        if self._known is None:
            self._known = self.parts.store.count(self.kb.collection) > 0
        if self._known:
            self._prefetch([p.hash for _, p in group])
        self._check()
        # The whole group in one call, so that the embedder's streams stay busy from its first
        # batch to its last: calls of 64 chunks left a core idle at the end of every call and
        # between calls (the corpus embedded in 0.8x the time as one call per group, held to
        # AVX2). The vectors are then stored WRITE_SLICE at a time.
        live = [(job, p) for job, p in group if not job.dropped and job.error is None]
        cache = self.cache
        todo = list(dict.fromkeys(p.hash for _, p in live if p.hash not in cache))
        first = {p.hash: p.indexed for _, p in live}
        fresh = (dict(zip(todo, self.emb.embed_documents([first[h] for h in todo], self._check,
                                                         group_progress(live, todo, self._events.put))))
                 if todo else {})
        self.parts.embed_stats["embedded"] += len(todo)
        if not live:
            return
        vectors = np.stack([fresh[p.hash] if p.hash in fresh else cache[p.hash] for _, p in live]).astype(np.float32)
        if len(cache) + len(fresh) > VECTOR_CACHE_SIZE:
            cache.clear()  # only after the vectors above are taken from it
        cache.update(fresh)
        for start in range(0, len(live), WRITE_SLICE):
            self._check()
            with self._slice_lock:  # a file dropped meanwhile (rolled back, replaced) is not written
                keep = [i for i in range(start, min(start + WRITE_SLICE, len(live)))
                        if not live[i][0].dropped and live[i][0].error is None]
                if not keep:
                    continue
                self.parts.embed_stats["chunks"] += len(keep)
                self._writer.put(("vectors", [live[i] for i in keep], vectors[keep]))

    def _prefetch(self, hashes: list[str]) -> None:
        """Put the stored vectors of texts the knowledge base already holds (found by the `th`
        text hash in the chunk metadata) into the cache: one store query per group."""
        cache = self.cache
        missing = list(dict.fromkeys(h for h in hashes if h not in cache))
        found = self.parts.store.vectors_by(self.kb.collection, "th", missing)
        if len(cache) + len(found) > VECTOR_CACHE_SIZE:
            cache.clear()
        cache.update(found)

    # ---- the writer thread -------------------------------------------------------------

    def _write(self, item) -> None:
        """Never raises: a failure is the files' (a raised error would stop the writer)."""
        if item[0] == "barrier":
            item[1].set()
            return
        try:
            self._store(item)
        except BaseException as exc:
            for job in {id(job): job for job, _ in item[1]}.values():
                self._fail(job, exc)

    def _store(self, item) -> None:
        _, part, vectors = item
        part = [(i, job, p) for i, (job, p) in enumerate(part) if not job.dropped]
        if not part:
            return
        keep = [i for i, _, _ in part]
        by_job: dict[int, list] = {}
        for _, job, p in part:
            by_job.setdefault(id(job), [job, 0])[1] += 1
        try:
            self.parts.store.add_vectors(self.kb.collection, [p.id for _, _, p in part], vectors[keep],
                                         [p.text for _, _, p in part], [p.meta for _, _, p in part])
        except BaseException as exc:
            for job, _ in by_job.values():
                self._fail(job, exc)
            return
        for job, n in by_job.values():
            with job.lock:
                job.done += n
                ready = job.committed and job.done >= job.chunks and not job.finished
                committed = job.committed
                show = committed and not ready and job.done > job.shown
                job.shown = max(job.shown, job.done)
            if committed and not ready:
                self.parts.catalog.set_embedded(job.file_id, job.sha, job.done)
            if show:
                self._events.put(FileProgress(job.path, "embedding", job.done, job.chunks, "chunk"))
            if ready:
                self._finish(job)

    def _finish(self, job: FileJob) -> None:
        with job.lock:
            if job.finished:
                return
            job.finished = True
        if self.parts.catalog.mark_indexed(job.file_id, job.sha):
            self.indexed += 1
            self._events.put(FileIndexed(job.path, job.pages, job.chunks, time.perf_counter() - job.started,
                                         *job.extra))

    def _fail(self, job: FileJob, exc: BaseException) -> None:
        with job.lock:
            if job.finished:
                return
            if not job.committed:
                job.error = exc  # raised to the reading side, which rolls the file back
                return
            job.finished = True
            job.error = exc
        reason = _reason(exc)
        try:
            self.parts.catalog.note_vector_error(job.file_id, job.sha, reason)
        except Exception:
            pass  # the catalog itself failed: the event still says so
        self._events.put(FileFailed(job.path, reason))


def _reason(exc: BaseException) -> str:
    from rag.errors import RagError

    what = str(exc) if isinstance(exc, RagError) else f"{type(exc).__name__}: {exc}"
    from rag.store.manifest import VECTOR_ERROR

    return f"{VECTOR_ERROR} ({what}); ingest it again to finish it"
