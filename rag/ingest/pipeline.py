"""One file through the ingest pipeline: read (in the reader child), chunk, embed, store, commit.

A reader thread takes pages from the reader child and chunks them into a small bounded queue;
this thread embeds each batch (sorted by token length, in slices) and a writer thread stores
each slice while the next one embeds. Identical chunk texts are embedded once: a text-hash
cache plus one lookup of already-stored hashes per batch. A file's new version is *pending*
until every chunk is stored; one transaction then commits it (see rag.store.recovery).
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rag.errors import DocumentError, NoTextError, RagError, UnreadableFileError
from rag.events import FileFailed, FileIndexed, FileProgress, FileSkipped, pages_left_out
from rag.ingest.batches import END, BatchWriter, put_until_stopped
from rag.ingest.chunking import Chunker, encode_offsets
from rag.ingest.discover import check_readable, open_regular
from rag.ingest.ocr import OcrOptions
from rag.ingest.readers import open_document
from rag.threads import in_background
from rag.paths import display
from rag.store import manifest as cat
from rag.store.manifest import FileRecord, KnowledgeBase

EMBED_BATCH = 512  # chunks the reader hands over at a time: sorted by length, they embed with little padding
FIRST_BATCH = 32  # a small first batch: the embedder starts while pages are still read
WRITE_SLICE = 64  # sorted chunks embedded and then stored together: the last store write stays short
VECTOR_CACHE_SIZE = 20_000  # text hash -> vector of recently embedded chunks (~30 MB for MiniLM)


def text_hash(text: str) -> str:
    """The key under which a chunk's vector is reused: identical indexed text, one embedding."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


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
        self._vector_cache_kb: tuple[int, str] | None = None  # (knowledge base id, embedder name)

    def forget_vectors(self) -> None:
        """After a change of embedder or store: cached vectors are no longer valid."""
        self._vector_cache.clear()

    def open(self, path: Path, cancel: threading.Event | None = None):
        """The document, read in the reader child (or in this process when parse_in_subprocess is off)."""
        s = self.parts.settings
        ocr = OcrOptions(s.ocr, s.ocr_engine, s.ocr_page_timeout_s)
        if s.parse_in_subprocess:
            check_readable(path)  # cheap checks stay here: clear errors without a round trip
            return self.parts.parser.open(path, s.pdf_backend, ocr, cancel)
        return open_document(path, s.pdf_backend, ocr)

    def index_file(self, kb: KnowledgeBase, path: Path, cancel: threading.Event, verify: bool = False):
        """Index one file (a generator of its progress events); returns its outcome event."""
        t0 = time.perf_counter()
        key = str(path)
        try:
            st = path.stat()
        except OSError as exc:
            return FileFailed(path, f"cannot read the file ({exc.strerror}); check the path and permissions")
        rec = self.parts.catalog.file(kb, key)
        if rec and rec.state == cat.INDEXED and verify and not self._chunks_present(kb, rec):
            rec = None  # its vectors are gone (`verify`: the store lost chunks): index it again
        if rec and rec.state == cat.INDEXED and rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns:
            return FileSkipped(path, "unchanged")
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
        if rec and rec.state == cat.INDEXED and rec.sha256 == sha:
            self.parts.catalog.touch_file(rec, st.st_size, st.st_mtime_ns)
            return FileSkipped(path, "unchanged")
        twin = next((f for f in self.parts.catalog.files(kb)
                     if f.state == cat.INDEXED and f.sha256 == sha and f.path != key), None)
        if twin is not None:  # a copy (or a hard link): its content is indexed once, shown once
            return FileSkipped(path, f"the same content as {display(twin.path)}, which is indexed")
        # The embedder loads while the reader process starts; an error is reported when
        # _write_chunks loads it for real.
        in_background(self.parts.embedder_for(kb).load, "embedder-load")
        try:
            doc = self.open(path, cancel)
        except DocumentError as err:
            self.parts.catalog.record_failure(kb, key, path.name, err.reason)
            return FileFailed(path, err.reason)
        rec = self.parts.catalog.begin_file(kb, key, path.name, st.st_size, st.st_mtime_ns, sha)
        try:
            pages, chunks, ocr_pages, ocr_failed, undecodable = yield from self._write_chunks(kb, rec, doc, sha,
                                                                                              cancel)
            if cancel.is_set():
                raise IngestCancelled()
            if chunks == 0:
                raise NoTextError(path)
        except BaseException as exc:
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
        committed = self.parts.catalog.commit_file(rec, st.st_size, st.st_mtime_ns, pages, chunks,
                                                   pages_left_out(ocr_failed, undecodable))
        if committed.stale_sha256:
            self.library.delete_chunks(kb, rec.id, committed.stale_sha256)
            self.parts.catalog.clear_stale(rec.id)
        return FileIndexed(path, pages, chunks, time.perf_counter() - t0, ocr_pages, ocr_failed, undecodable)

    def _chunks_present(self, kb: KnowledgeBase, rec: FileRecord) -> bool:
        first = f"{rec.id}-{(rec.sha256 or '')[:16]}-{0:06d}"
        return bool(self.parts.store.get(kb.collection, ids=[first]))

    def _write_chunks(self, kb: KnowledgeBase, rec: FileRecord, doc, sha: str, cancel: threading.Event):
        """Pipelined: a reader thread parses and chunks pages into a small bounded queue while
        this thread embeds and stores batches, so parsing hides behind embedding and memory
        stays bounded (pages are streamed, at most a few batches wait). The reader also passes
        on "page N is being OCR'd" notes, which become FileProgress(stage="ocr") events."""
        emb = self.parts.embedder_for(kb)
        emb.load()
        if self._vector_cache_kb != (kb.id, emb.name):  # a rebuilt knowledge base may have another model
            self._vector_cache.clear()
            self._vector_cache_kb = (kb.id, emb.name)
        # A knowledge base with no chunks yet has no vectors to reuse: no lookups then.
        known = self.parts.store.count(kb.collection) > 0
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
        writer = BatchWriter(lambda job: self._write_batch(kb, rec, sha, *job))
        path = Path(rec.path)
        written = 0
        last_page = 0
        try:
            while True:
                item = batches.get()
                if item is END:
                    break
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, _Progress):
                    yield FileProgress(path, item.stage, item.page, doc.page_count)
                    continue
                page_no, batch = item
                # Chunks of similar token length embed together (little padding); each slice is
                # stored on the writer thread while the next one embeds.
                ordered = sorted(batch, key=lambda c: c.tokens)
                indexed = [self._indexed_text(c) for c in ordered]
                hashes = [text_hash(t) for t in indexed]
                if known:
                    self._prefetch_vectors(kb, hashes)
                for start in range(0, len(ordered), WRITE_SLICE):
                    done_page = last_page + (page_no - last_page) * start // len(ordered)
                    yield FileProgress(path, "embedding", max(done_page, 1), doc.page_count)
                    part = slice(start, start + WRITE_SLICE)
                    vectors = self._embed_batch(indexed[part], hashes[part], cancel, emb)
                    writer.put((ordered[part], indexed[part], hashes[part], vectors))
                    written += len(ordered[part])
                    if cancel.is_set():
                        break
                last_page = page_no
                if cancel.is_set():
                    break
            writer.finish()  # every chunk is in the stores before the caller commits
        finally:
            stop.set()
            writer.close()  # on errors too: nothing may be written after the caller cleans up
            reader.join()
        pages = max(seen[0], 1) if doc.kind != "pdf" else doc.page_count
        yield FileProgress(path, "storing", pages, pages)
        return pages, written, tuple(ocr_pages), tuple(ocr_failed), tuple(undecodable)

    @staticmethod
    def _indexed_text(chunk) -> str:
        # The section title (PDF outline / Markdown heading) gives a chunk its topic.
        return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text

    def _prefetch_vectors(self, kb: KnowledgeBase, hashes: list[str]) -> None:
        """Put the stored vectors of texts the knowledge base already holds (found by the `th`
        text hash in the chunk metadata) into the cache: one store query per batch."""
        cache = self._vector_cache
        missing = list(dict.fromkeys(h for h in hashes if h not in cache))
        found = self.parts.store.vectors_by(kb.collection, "th", missing)
        if len(cache) + len(found) > VECTOR_CACHE_SIZE:
            cache.clear()
        cache.update(found)

    def _embed_batch(self, indexed: list[str], hashes: list[str], cancel: threading.Event | None = None,
                     emb=None):
        """Vectors of texts as indexed (`hashes`: their text hashes). The same text is never
        embedded twice: repeats within the batch, texts met earlier in this run, and texts the
        knowledge base already holds (put in the cache by `_prefetch_vectors`) reuse their vector."""
        import numpy as np

        cache = self._vector_cache
        todo = list(dict.fromkeys(h for h in hashes if h not in cache))
        first = {h: t for h, t in zip(hashes, indexed)}
        fresh = dict(zip(todo, self._embed_cancellable([first[h] for h in todo], cancel, emb))) if todo else {}
        self.parts.embed_stats["chunks"] += len(indexed)
        self.parts.embed_stats["embedded"] += len(todo)
        vectors = np.stack([fresh[h] if h in fresh else cache[h] for h in hashes]).astype(np.float32)
        if len(cache) + len(fresh) > VECTOR_CACHE_SIZE:
            cache.clear()  # only after the vectors above are taken from it
        cache.update(fresh)
        return vectors

    def _write_batch(self, kb: KnowledgeBase, rec: FileRecord, sha: str, batch: list, indexed: list[str],
                     hashes: list[str], vectors) -> None:
        ids = [f"{rec.id}-{sha[:16]}-{c.index:06d}" for c in batch]
        self.parts.lexical.add(kb.id, [(cid, rec.id, sha, c.section, c.text) for cid, c in zip(ids, batch)])
        name = Path(rec.path).name
        self.parts.store.add(
            kb.collection, ids, vectors, [c.text for c in batch],
            [
                {
                    "file": name, "path": rec.path, "file_id": rec.id, "sha": sha, "page": c.page,
                    "page_end": c.page_end, "char_start": c.char_start, "char_end": c.char_end,
                    "chunk": c.index, "tokens": c.tokens, "section": c.section, "ocr": c.ocr,
                    "th": th, "offsets": encode_offsets(c.offsets),
                }
                for c, th in zip(batch, hashes)
            ],
        )

    def _embed_cancellable(self, texts: list[str], cancel: threading.Event | None, emb=None):
        """Embed in length-sorted slices of the embedder's batch size (tokenised once), checking
        `cancel` before every slice, so Cancel and closing the app take effect within a second or
        two while padding stays as small as one big length-sorted call makes it."""

        def check() -> None:
            if cancel is not None and cancel.is_set():
                raise IngestCancelled()

        return (emb or self.parts.embedder).embed_documents(texts, check if cancel is not None else None)
