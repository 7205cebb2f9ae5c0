"""One file through the ingest pipeline: read (in the reader child), chunk, store the texts,
commit at stage `lexical`; its vectors follow (rag.ingest.embedding).

A reader thread takes pages from the reader child and chunks them into a small bounded queue;
this thread stores each batch's texts and BM25 rows (under the version's pending sha, unseen
by search) and hands the chunks to the VectorWorker, which embeds them on its own thread while
later pages are read. When the last page is stored, one transaction commits the version at
stage `lexical`: BM25 search finds all of it from then on, dense search once its vectors are
all stored and a second transaction has moved it to `indexed` (see rag.store.recovery).
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rag.errors import DocumentError, NoTextError, RagError, UnreadableFileError
from rag.events import FileFailed, FileProgress, FileSearchable, FileSkipped, pages_left_out
from rag.ingest.batches import END, put_until_stopped
from rag.ingest.chunking import Chunker, encode_offsets
from rag.ingest.discover import check_readable, open_regular
from rag.ingest.embedding import Piece, VectorWorker
from rag.ingest.indexed import embedded_text, indexed_text, text_hash
from rag.ingest.ocr import OcrOptions
from rag.ingest.readers import open_document
from rag.threads import in_background
from rag.paths import display
from rag.store import manifest as cat
from rag.store.manifest import FileRecord, KnowledgeBase

EMBED_BATCH = 512  # chunks the reader hands over at a time
FIRST_BATCH = 32  # a small first batch: the embedder starts while pages are still read


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as f:  # never blocks, and refuses what is not a regular file
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Progress:
    stage: str
    page: int


class IngestCancelled(Exception):
    """Cancel was pressed: the file being indexed is rolled back."""


class FilePipeline:
    def __init__(self, parts, library):
        self.parts = parts
        self.library = library
        self._vector_cache: dict[str, object] = {}  # text hash -> vector, within one knowledge base
        self._vector_cache_kb: tuple | None = None  # (knowledge base id, embedder name, precision)

    def forget_vectors(self) -> None:
        """After a change of embedder or store: cached vectors are no longer valid."""
        self._vector_cache.clear()

    def vector_worker(self, kb: KnowledgeBase, cancel: threading.Event, active: bool = True) -> VectorWorker:
        """The background embedder of one job over `kb` (see rag.ingest.embedding)."""
        from rag.embed.embedder import precision_of

        emb = self.parts.embedder_for(kb)
        key = (kb.id, emb.name, precision_of(getattr(emb, "precision", None)))
        if self._vector_cache_kb != key:  # a rebuilt knowledge base may have another model or precision
            self._vector_cache.clear()
            self._vector_cache_kb = key
        return VectorWorker(self.parts, kb, cancel, self._vector_cache, active)

    def open(self, path: Path, cancel: threading.Event | None = None):
        """The document, read in the reader child (or in this process when parse_in_subprocess is off)."""
        s = self.parts.settings
        ocr = OcrOptions(s.ocr, s.ocr_engine, s.ocr_page_timeout_s)
        if s.parse_in_subprocess:
            check_readable(path)  # cheap checks stay here: clear errors without a round trip
            return self.parts.parser.open(path, s.pdf_backend, ocr, cancel)
        return open_document(path, s.pdf_backend, ocr)

    def index_file(self, kb: KnowledgeBase, path: Path, cancel: threading.Event, verify: bool = False,
                   vectors: VectorWorker | None = None):
        """Read one file up to stage `lexical` (a generator of its progress events, and of the
        vector worker's); returns its outcome event: FileSearchable, FileSkipped or FileFailed."""
        t0 = time.perf_counter()
        key = str(path)
        vectors = vectors or self.vector_worker(kb, cancel, active=False)
        try:
            st = path.stat()
        except OSError as exc:
            return FileFailed(path, f"cannot read the file ({exc.strerror}); check the path and permissions")
        rec = self.parts.catalog.file(kb, key)
        if rec and rec.state == cat.INDEXED and verify and not self._chunks_present(kb, rec):
            rec = None  # its vectors are gone (`verify`: the store lost chunks): index it again
        searchable = rec is not None and rec.state in cat.SEARCHABLE
        if searchable and rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns:
            return self._unchanged(path, rec)
        try:
            sha = file_sha256(path)
        except DocumentError as err:  # not a regular file any more
            self.parts.catalog.record_failure(kb, key, path.name, err.reason)
            return FileFailed(path, err.reason)
        except PermissionError:
            reason = UnreadableFileError.reason_template
            self.parts.catalog.record_failure(kb, key, path.name, reason)
            return FileFailed(path, reason)
        except OSError as exc:
            reason = f"cannot read the file ({exc.strerror}); check its permissions"
            self.parts.catalog.record_failure(kb, key, path.name, reason)
            return FileFailed(path, reason)
        if searchable and rec.sha256 == sha:
            self.parts.catalog.touch_file(rec, st.st_size, st.st_mtime_ns)
            return self._unchanged(path, rec)
        twin = next((f for f in self.parts.catalog.files(kb)
                     if f.state in cat.SEARCHABLE and f.sha256 == sha and f.path != key), None)
        if twin is not None:  # a copy (or a hard link): its content is indexed once, shown once
            return FileSkipped(path, f"the same content as {display(twin.path)}, which is indexed")
        # The embedder loads while the reader process starts; an error is reported when the
        # vector worker loads it for real.
        in_background(self.parts.embedder_for(kb).load, "embedder-load")
        try:
            doc = self.open(path, cancel)
        except DocumentError as err:
            self.parts.catalog.record_failure(kb, key, path.name, err.reason)
            return FileFailed(path, err.reason)
        if rec is not None and rec.sha256:
            vectors.drop(rec.id, rec.sha256)  # an older lexical version's vectors are not made any more
        again = self.parts.catalog.file(kb, key)
        if again is not None and again.sha256 == sha:  # the same version read again (its vectors were lost)
            self.library.delete_chunks(kb, again.id, sha)
        rec = self.parts.catalog.begin_file(kb, key, path.name, st.st_size, st.st_mtime_ns, sha)
        job = vectors.job(rec.id, sha, path, t0)
        try:
            pages, chunks, ocr_pages, ocr_failed, undecodable = yield from self._write_texts(kb, rec, doc, sha,
                                                                                             cancel, vectors, job)
            if cancel.is_set():
                raise IngestCancelled()
            if chunks == 0:
                raise NoTextError(path)
            note = pages_left_out(ocr_failed, undecodable)
            job.pages, job.extra = pages, (ocr_pages, ocr_failed, undecodable)
            committed = vectors.commit(job, chunks, lambda done: self.parts.catalog.commit_lexical(
                rec, st.st_size, st.st_mtime_ns, pages, chunks, note, done))
        except BaseException as exc:
            vectors.drop(rec.id, sha)  # no vector of this version is written after this
            self.library.delete_chunks(kb, rec.id, sha)
            if isinstance(exc, IngestCancelled):
                reason = "indexing was cancelled; ingest the file again to index it"
            elif isinstance(exc, DocumentError):
                reason = exc.reason
            elif isinstance(exc, RagError):
                reason = str(exc)
            elif isinstance(exc, Exception):
                reason = f"unexpected error while indexing ({type(exc).__name__}: {exc}); please report it"
            else:
                self.parts.catalog.fail_file(rec, "indexing was interrupted; ingest the file again")
                raise
            self.parts.catalog.fail_file(rec, reason)
            return FileFailed(path, reason)
        finally:
            doc.close()
        if committed.stale_sha256:
            self.library.delete_chunks(kb, rec.id, committed.stale_sha256)
            self.parts.catalog.clear_stale(rec.id)
        return FileSearchable(path, pages, chunks, time.perf_counter() - t0, ocr_pages, ocr_failed, undecodable)

    @staticmethod
    def _unchanged(path: Path, rec: FileRecord) -> FileSkipped:
        if rec.state == cat.LEXICAL:
            return FileSkipped(path, "unchanged; its text is searchable and its vectors are being made")
        return FileSkipped(path, "unchanged")

    def _chunks_present(self, kb: KnowledgeBase, rec: FileRecord) -> bool:
        first = f"{rec.id}-{(rec.sha256 or '')[:16]}-{0:06d}"
        return bool(self.parts.store.get(kb.collection, ids=[first]))

    def _write_texts(self, kb: KnowledgeBase, rec: FileRecord, doc, sha: str, cancel: threading.Event,
                     vectors: VectorWorker, job):
        """Pipelined: a reader thread parses and chunks pages into a small bounded queue while
        this thread stores each batch's texts and BM25 rows and hands the chunks to the vector
        worker. The reader also passes on "page N is being OCR'd" notes, which become
        FileProgress(stage="ocr") events; the vector worker's events are passed on too."""
        emb = self.parts.embedder_for(kb)
        max_tokens = min(self.parts.settings.chunk_tokens, emb.max_tokens)
        chunker = Chunker(emb.counter, max_tokens, min(self.parts.settings.chunk_overlap, max_tokens // 3))
        batches: queue.Queue = queue.Queue(maxsize=4)
        stop = threading.Event()
        ocr_pages: list[int] = []
        ocr_failed: list[int] = []
        undecodable: list[int] = []

        def note(stage: str, number: int) -> None:
            try:  # progress only: dropped when the queue is full of batches
                batches.put_nowait(_Progress(stage, number))
            except queue.Full:
                pass

        doc.on_progress = note

        seen = [0]  # pages read: a text file's page count is known only at its end

        def read() -> None:
            batch: list = []
            page_no = 0

            def pages():
                nonlocal page_no
                for page in doc.pages():
                    page_no = page.number
                    seen[0] = max(seen[0], page.number)
                    if page.ocr:
                        ocr_pages.append(page.number)
                    if page.ocr_error:
                        ocr_failed.append(page.number)
                    elif page.undecodable and not page.ocr:
                        undecodable.append(page.number)
                    if cancel.is_set() or stop.is_set():
                        return
                    yield page

            try:
                size = FIRST_BATCH  # a small first batch: the embedder starts while pages are still read
                for chunk in chunker.chunk(pages()):
                    batch.append(chunk)
                    if len(batch) >= size:
                        put_until_stopped(batches, (page_no, batch), stop)
                        batch, size = [], EMBED_BATCH
                if batch:
                    put_until_stopped(batches, (page_no, batch), stop)
                put_until_stopped(batches, END, stop)
            except BaseException as exc:  # handed to the consuming thread
                put_until_stopped(batches, exc, stop)

        reader = threading.Thread(target=read, name="ingest-reader", daemon=True)
        reader.start()
        path = Path(rec.path)
        written = 0
        try:
            while True:
                yield from vectors.events()
                try:
                    item = batches.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item is END:
                    break
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, _Progress):
                    yield FileProgress(path, item.stage, item.page, doc.page_count)
                    continue
                page_no, batch = item
                if job.error is not None:
                    raise job.error  # its vectors cannot be stored: the file is rolled back
                self._store_texts(kb, rec, sha, batch, vectors, job)
                written += len(batch)
                yield FileProgress(path, "reading", max(page_no, 1), doc.page_count)
                if cancel.is_set():
                    break
        finally:
            stop.set()
            reader.join()
        pages = max(seen[0], 1) if doc.kind != "pdf" else doc.page_count
        return pages, written, tuple(ocr_pages), tuple(ocr_failed), tuple(undecodable)

    def _store_texts(self, kb: KnowledgeBase, rec: FileRecord, sha: str, batch: list, vectors: VectorWorker,
                     job) -> None:
        """A batch's texts and metadata (the catalog's chunk table) and BM25 rows, under the
        pending sha (unseen by search until the commit); its chunks go on to the vector worker."""
        ids = [f"{rec.id}-{sha[:16]}-{c.index:06d}" for c in batch]
        # what the knowledge base's embedder reads, as the vector worker embedding them knows it
        indexed = [embedded_text(indexed_text(c.section, c.text), vectors.reads_chinese) for c in batch]
        hashes = [text_hash(t) for t in indexed]
        name = Path(rec.path).name
        metas = [
            {
                "file": name, "path": rec.path, "file_id": rec.id, "sha": sha, "page": c.page,
                "page_end": c.page_end, "char_start": c.char_start, "char_end": c.char_end,
                "chunk": c.index, "tokens": c.tokens, "section": c.section, "ocr": c.ocr,
                "th": th, "offsets": encode_offsets(c.offsets),
            }
            for c, th in zip(batch, hashes)
        ]
        texts = [c.text for c in batch]
        self.parts.store.add_rows(kb.collection, ids, texts, metas)
        self.parts.lexical.add(kb.id, [(cid, rec.id, sha, c.section, c.text) for cid, c in zip(ids, batch)])
        vectors.add(job, [Piece(cid, t, h, c.tokens, c.text, m)
                          for cid, t, h, c, m in zip(ids, indexed, hashes, batch, metas)])
