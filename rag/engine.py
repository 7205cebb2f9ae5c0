"""The engine facade: the one API behind the CLI, the GUI and Python users.

    engine = Engine()                      # settings from settings.toml + RAG_* variables
    for event in engine.ingest(["docs/"]): ...
    for event in engine.ask("What is the default port?"): ...

Heavy pieces (chromadb, the embedder, llama.cpp) load on first use. Knowledge bases are
one chroma collection each, with their files tracked in the SQLite catalog.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from . import catalog as cat
from .catalog import Catalog, FileRecord, KnowledgeBase
from .chunking import Chunker
from .errors import (DocumentError, EmbeddingMismatchError, KnowledgeBaseError, NoTextError, RagError,
                     UnreadableFileError, WriterBusyError)
from .events import (
    Abstained,
    AnswerDone,
    AnswerEvent,
    AnswerStats,
    FileFailed,
    FileIndexed,
    FileProgress,
    FileRemoved,
    FileSkipped,
    FileStarted,
    IngestDone,
    IngestEvent,
    Source,
    SourcesFound,
    Token,
)
from .loaders import discover, open_document
from .retrieval import DenseRetriever, HybridRetriever, LexicalRetriever, Retriever, one_per_page, to_sources
from .textclean import cjk_ratio
from .settings import Settings, data_dir, load_settings

EMBED_BATCH = 512  # chunks the reader hands over at a time: sorted by length, they embed with little padding
FIRST_BATCH = 32  # a small first batch: the embedder starts while pages are still read
WRITE_SLICE = 64  # sorted chunks embedded and then stored together: the last store write stays short
VECTOR_CACHE_SIZE = 20_000  # text hash -> vector of recently embedded chunks (~30 MB for MiniLM)
NOT_FOUND_EN = "I couldn't find this in your documents. The closest passages are listed below."
NOT_FOUND_ZH = "在你的文档中没有找到相关内容。下面列出了最接近的段落。"  # chunks per embedding + store write


@dataclass(frozen=True)
class SearchResult:
    sources: tuple[Source, ...]
    retrieval_ms: float
    evidence: object = None  # abstain.Evidence


@dataclass(frozen=True)
class KbInfo:
    name: str
    files: int
    chunks: int
    embed_model: str | None


MULTILINGUAL_HINTS = ("multilingual", "bge-m3", "e5", "labse", "xlm", "m3e", "text2vec", "chinese", "-zh")


def is_multilingual(model_name: str) -> bool:
    name = model_name.lower()
    return any(h in name for h in MULTILINGUAL_HINTS)


def text_hash(text: str) -> str:
    """The key under which a chunk's vector is reused: identical indexed text, one embedding."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class Engine:
    def __init__(self, settings: Settings | None = None, *, home: Path | None = None,
                 embedder=None, generator=None, store=None):
        self.settings = settings or load_settings()
        self.home = Path(home) if home else data_dir()
        self._embedder = embedder
        self._generator = generator
        self._vectors = store  # a vector store given by the caller; else the settings' one
        self._store = None
        self._store_lock = threading.Lock()
        self._query_vectors: dict = {}
        self._recovered: set[int] = set()
        self._lexical_current: set[int] = set()
        self._write_lock = threading.Lock()
        self._vector_cache: dict[str, object] = {}  # text hash -> vector, within one knowledge base
        self._vector_cache_kb: int | None = None
        self.embed_stats = {"chunks": 0, "embedded": 0}  # chunks stored / texts actually embedded

    # ---- lazily built parts ------------------------------------------------------------

    @cached_property
    def writer(self):
        from .locking import WriterLock

        return WriterLock(self.home / "write.lock")

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.home / "catalog.sqlite3")

    @property
    def store(self):
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    from .chunkstore import ChunkStore
                    from .store import open_store

                    vectors = self._vectors or open_store(self.settings, self.home / "chroma")
                    self._store = ChunkStore(vectors, self.catalog._db, self.catalog._lock)
        return self._store

    def _embed_query(self, text: str):
        """Query vector, remembered for the last few queries (a search opens the store while it
        embeds the query, then retrieves with the same vector); cleared with the embedder."""
        vec = self._query_vectors.get(text)
        if vec is None:
            vec = self.embedder.embed_query(text)
            if len(self._query_vectors) >= 16:
                self._query_vectors.clear()
            self._query_vectors[text] = vec
        return vec

    @property
    def embedder(self):
        if self._embedder is None:
            from .embedding import Embedder

            s = self.settings
            self._embedder = Embedder(s.embedding_model, s.embedding_device, s.embedding_batch_size,
                                      s.embedding_backend, self.home / "models")
        return self._embedder

    @property
    def generator(self):
        if self._generator is None:
            from .generation import make_generator

            self._generator = make_generator(self.settings, self.home / "models")
        return self._generator

    @cached_property
    def lexical(self):
        return self.catalog.lexical()

    @cached_property
    def reranker(self):
        """The configured reranker; `--mode ...+rerank` without one uses the local LLM."""
        from .rerank import LLM_RERANKER, make_reranker

        return make_reranker(self.settings.reranker or LLM_RERANKER, self.settings, self.home / "models")

    @cached_property
    def chats(self):
        from .history import ChatHistory

        return ChatHistory(self.home / "chats.sqlite3")

    def retriever(self, kb: KnowledgeBase, mode: str | None = None, query: str = "") -> Retriever:
        mode = (mode or self.settings.retrieval_mode).removesuffix("+rerank")
        if mode not in ("dense", "bm25", "hybrid"):
            raise RagError(f"unknown retrieval mode {mode!r}; use dense, bm25 or hybrid")
        file_ids = lambda files: self._file_ids(kb, files)  # noqa: E731
        dense = DenseRetriever(self.store, self._embed_query, file_ids)
        if mode == "dense":
            return dense
        lexical = LexicalRetriever(self.store, self._lexical_for(kb), kb.id, file_ids)
        if mode == "bm25":
            return lexical
        s = self.settings
        dense_weight = s.dense_weight
        if cjk_ratio(query) >= 0.2 and not is_multilingual(self.embedder.name):
            # An English-only embedder ranks Chinese text close to randomly: let BM25 decide.
            dense_weight = 0.0
        return HybridRetriever(dense, lexical, s.rrf_k, dense_weight, s.lexical_weight)

    def _file_ids(self, kb: KnowledgeBase, files: Sequence[str]) -> set[int]:
        wanted = set(files)
        return {f.id for f in self.catalog.files(kb) if f.name in wanted or f.path in wanted}

    def _delete_chunks(self, kb: KnowledgeBase, file_id: int, sha: str | None = None) -> None:
        where = {"file_id": file_id} if sha is None else {"$and": [{"file_id": file_id}, {"sha": sha}]}
        self.store.delete(kb.collection, where)
        self.lexical.delete(kb.id, file_id, sha)

    LLM_FIELDS = ("llm_model", "context_size", "threads", "gpu_layers", "seed", "memory_limit_mb", "llm_backend",
                  "llm_url", "llm_api_key", "llm_api", "llm_server_model", "llm_timeout_s")
    STORE_FIELDS = ("chroma_url", "chroma_token", "chroma_token_header")
    EMBEDDER_FIELDS = ("embedding_model", "embedding_device", "embedding_batch_size", "embedding_backend")
    PARSER_FIELDS = ("parse_timeout_s", "parse_memory_mb")

    def update_settings(self, settings: Settings) -> set[str]:
        """Use new settings from now on; models whose settings changed reload on next use."""
        old, self.settings = self.settings, settings
        changed = {f for f in Settings.__dataclass_fields__ if getattr(old, f) != getattr(settings, f)}
        if changed & set(self.LLM_FIELDS) and self._generator is not None:
            if hasattr(self._generator, "close"):
                self._generator.close()
            self._generator = None
        if changed & set(self.EMBEDDER_FIELDS):
            self._embedder = None
            self._query_vectors.clear()
            self._vector_cache.clear()
        if changed & set(self.STORE_FIELDS) and self._store is not None:
            self._store = self._vectors = None  # the next use connects to the new store (embedded or server)
            self._recovered.clear()
            self._vector_cache.clear()
        if changed & set(self.PARSER_FIELDS) and "parser" in self.__dict__:
            self.__dict__.pop("parser").close()
        if changed & {"reranker", "rerank_candidates", "rrf_k", *self.LLM_FIELDS}:
            self._close_reranker()
        return changed

    def _close_reranker(self) -> None:
        reranker = self.__dict__.pop("reranker", None)
        if hasattr(reranker, "close"):
            reranker.close()

    def close(self) -> None:
        self._close_reranker()
        self._store = None  # these two use the catalog's connection, closed below
        self.__dict__.pop("lexical", None)
        if self._generator is not None and hasattr(self._generator, "close"):
            self._generator.close()
        if "parser" in self.__dict__:
            self.__dict__.pop("parser").close()
        for name in ("catalog", "chats"):
            if name in self.__dict__:
                self.__dict__.pop(name).close()

    # ---- knowledge bases ---------------------------------------------------------------

    def _kb(self, name: str | None, create: bool = False) -> KnowledgeBase:
        name = name or self.settings.default_kb
        kb = self.catalog.ensure_kb(name) if create or name == self.settings.default_kb else self.catalog.get_kb(name)
        self._recover(kb)
        return kb

    def _recover(self, kb: KnowledgeBase) -> None:
        """Roll back whatever a crash left half-written in this knowledge base. Only with the
        writer lock: a file that another process (or thread) is writing looks just like a
        crash's leftover, so while a writer is at work this waits for a later call."""
        if kb.id in self._recovered:
            return
        if self.catalog.unfinished(kb):
            try:
                with self.writer:
                    for rec in self.catalog.unfinished(kb):
                        for sha in (rec.pending_sha256, rec.stale_sha256):
                            if sha:
                                self._delete_chunks(kb, rec.id, sha)
                        self.catalog.settle_interrupted(rec)
            except WriterBusyError:
                return  # a writer is at work; its pending files are not leftovers
        self._recovered.add(kb.id)

    def _lexical_for(self, kb: KnowledgeBase, required: bool = False):
        """The BM25 index, its table for `kb` first brought to the current layout if an older
        version of RAG Desk wrote it: rebuilt from the stored chunks, nothing embedded again.
        Done where BM25 is first needed (a search, an ingest), on that caller's thread, so
        opening the app or listing documents never waits for it. For a search (`required`
        false) the older table still answers while another writer is at work or when the
        rebuild fails (its columns are a subset); an ingest must have the current layout."""
        if kb.id in self._lexical_current:
            return self.lexical
        if self.lexical.outdated(kb.id):
            try:
                with self.writer:
                    if self.lexical.outdated(kb.id):
                        self._rebuild_lexical(kb)
            except WriterBusyError:
                if required:
                    raise
                return self.lexical  # try again at the next search
            except Exception as exc:
                if required:
                    raise
                logging.getLogger("rag.engine").warning(
                    "could not rebuild the lexical index of %s (%s); searching the older one", kb.name, exc)
        self._lexical_current.add(kb.id)
        return self.lexical

    def _rebuild_lexical(self, kb: KnowledgeBase) -> None:
        """Write a knowledge base's BM25 table again, in the current layout, from its stored
        chunks (a table from an older version of RAG Desk); nothing is embedded again. The old
        table stays in place unless the store holds at least the chunks the catalog counts."""
        from .lexical import stored_row
        from .store import all_chunks

        self._check_store(kb)  # never rebuild from another vector store than the one it was built in
        started = time.perf_counter()
        expected = sum(f.chunks or 0 for f in self.catalog.files(kb) if f.state == cat.INDEXED)
        rows = self.lexical.rebuild(kb.id, map(stored_row, all_chunks(self.store, kb.collection)), expect=expected)
        logging.getLogger("rag.engine").info("rebuilt the lexical index of %s (%d chunks) in %.1f s", kb.name,
                                             rows, time.perf_counter() - started)

    def list_kbs(self) -> list[KbInfo]:
        out = []
        for kb in self.catalog.kbs():
            files = self.catalog.files(kb)
            out.append(KbInfo(kb.name, sum(f.state == cat.INDEXED for f in files),
                              sum(f.chunks for f in files if f.state == cat.INDEXED), kb.embed_model))
        return out

    def create_kb(self, name: str) -> KnowledgeBase:
        return self.catalog.create_kb(name)

    def rename_kb(self, old: str, new: str) -> KnowledgeBase:
        return self.catalog.rename_kb(old, new)

    def delete_kb(self, name: str) -> None:
        with self.writer:
            kb = self.catalog.delete_kb(name)
            self.store.drop(kb.collection)
            self.lexical.drop(kb.id)

    def list_files(self, kb: str | None = None) -> list[FileRecord]:
        return self.catalog.files(self._kb(kb))

    def remove(self, file: str, kb: str | None = None) -> FileRecord:
        with self.writer:
            kbrec = self._kb(kb)
            rec = self._match_file(kbrec, file)
            self._delete_chunks(kbrec, rec.id)
            self.catalog.remove_file(rec.id)
        return rec

    def _match_file(self, kb: KnowledgeBase, file: str) -> FileRecord:
        files = self.catalog.files(kb)
        target = str(Path(file).expanduser().resolve()) if ("/" in file or "\\" in file) else None
        matches = [f for f in files if f.path == target] if target else [f for f in files if f.name == file]
        if not matches:
            raise KnowledgeBaseError(f"'{file}' is not in knowledge base '{kb.name}'; see `rag-cli list`")
        if len(matches) > 1:
            paths = ", ".join(m.path for m in matches)
            raise KnowledgeBaseError(f"'{file}' matches several files ({paths}); give the full path")
        return matches[0]

    # ---- ingestion ---------------------------------------------------------------------

    @cached_property
    def parser(self):
        from .parse_worker import ParserProcess

        return ParserProcess(self.settings.parse_timeout_s, self.settings.parse_memory_mb)

    def _open(self, path: Path, cancel: threading.Event | None = None):
        from .ocr import OcrOptions

        s = self.settings
        ocr = OcrOptions(s.ocr, s.ocr_engine, s.ocr_page_timeout_s)
        if s.parse_in_subprocess:
            from .loaders import check_readable

            check_readable(path)  # cheap checks stay here: clear errors without a round trip
            return self.parser.open(path, s.pdf_backend, ocr, cancel)
        return open_document(path, s.pdf_backend, ocr)

    def _check_store(self, kb: KnowledgeBase) -> None:
        """A knowledge base's vectors live in one vector store; refuse to mix stores."""
        here = self.settings.chroma_url.rstrip("/") or "embedded"
        recorded = self.catalog.kb_store(kb)
        if recorded is None:
            self.catalog.set_kb_store(kb, here)
        elif recorded != here:
            where = "the embedded store on this computer" if recorded == "embedded" else f"the Chroma server {recorded}"
            now = "the embedded store" if here == "embedded" else f"the Chroma server {here}"
            raise KnowledgeBaseError(
                f"knowledge base '{kb.name}' is stored in {where}, but the vector store setting now points to {now}; "
                "switch chroma_url back, or rebuild it here with `rag-cli reindex --all`")

    def _check_model(self, kb: KnowledgeBase) -> KnowledgeBase:
        self._check_store(kb)
        emb = self.embedder
        if kb.embed_model is None:
            return self.catalog.set_kb_model(kb, emb.name, emb.dim, self.settings.chunk_tokens,
                                             self.settings.chunk_overlap, getattr(emb, "precision", None))
        if kb.embed_model != emb.name:
            raise EmbeddingMismatchError(
                f"knowledge base '{kb.name}' was built with embedding model '{kb.embed_model}' "
                f"but the current setting is '{emb.name}'; switch embedding_model back, or create a new "
                "knowledge base for the new model"
            )
        return kb

    def ingest(self, paths: Iterable[str | Path], kb: str | None = None,
               cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        files, problems = discover([Path(p) for p in paths])
        with self.writer:
            yield from self._ingest(files, problems, kb, cancel, started)

    # ---- re-indexing and watched folders -----------------------------------------------

    def reindex(self, files: Sequence[str], kb: str | None = None,
                cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        """Index the given files of `kb` again from their sources (after a parser or OCR change).

        A file whose source is gone keeps its stored text: it is reported, not dropped."""
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        with self.writer:
            kbrec = self._kb(kb)
            paths, problems = [], []
            for name in files:
                rec = self._match_file(kbrec, name)
                if not Path(rec.path).is_file():
                    problems.append(DocumentError(Path(rec.path), "the source file is no longer there; its stored "
                                                                  "text is kept (add the file again to re-index it)"))
                    continue
                self._delete_chunks(kbrec, rec.id)
                self.catalog.remove_file(rec.id)
                paths.append(Path(rec.path))
            yield from self._ingest(paths, problems, kbrec.name, cancel, started)

    def reindex_kb(self, kb: str | None = None, cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        """Rebuild a knowledge base with the current embedding model and chunk settings.

        Files whose sources are gone cannot be rebuilt and are dropped; `missing_sources`
        lists them first so a caller can ask before going ahead."""
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        with self.writer:
            kbrec = self._kb(kb)
            paths = [Path(f.path) for f in self.catalog.files(kbrec) if Path(f.path).is_file()]
            self.store.drop(kbrec.collection)
            self.lexical.drop(kbrec.id)
            kbrec = self.catalog.reset_kb(kbrec)
            yield from self._ingest(paths, [], kbrec.name, cancel, started)

    def missing_sources(self, kb: str | None = None) -> list[FileRecord]:
        return [f for f in self.catalog.files(self._kb(kb)) if not Path(f.path).is_file()]

    def needs_reindex(self, kb: str | None = None) -> list[str]:
        """Settings that differ from what the knowledge base was built with."""
        kbrec = self._kb(kb)
        if kbrec.embed_model is None:
            return []
        s, out = self.settings, []
        from .embedding import resolve_embedder

        try:
            name = self._embedder.name if self._embedder is not None else resolve_embedder(s.embedding_model)[0]
        except RagError:
            name = s.embedding_model
        if kbrec.embed_model != name:
            out.append("embedding_model")
        if kbrec.chunk_tokens not in (None, s.chunk_tokens):
            out.append("chunk_tokens")
        if kbrec.chunk_overlap not in (None, s.chunk_overlap):
            out.append("chunk_overlap")
        return out

    def watched_folders(self, kb: str | None = None) -> list[str]:
        return self.catalog.watches(self._kb(kb))

    def watch(self, folder: str | Path, kb: str | None = None) -> str:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise RagError(f"{folder}: not a folder; give a folder to follow")
        resolved = str(path.resolve())
        self.catalog.add_watch(self._kb(kb, create=True), resolved)
        return resolved

    def unwatch(self, folder: str | Path, kb: str | None = None) -> None:
        kbrec = self._kb(kb)
        resolved = str(Path(folder).expanduser().resolve())
        if not (self.catalog.remove_watch(kbrec, resolved) or self.catalog.remove_watch(kbrec, str(folder))):
            raise RagError(f"{folder}: knowledge base '{kbrec.name}' does not follow this folder")

    def sync(self, kb: str | None = None, cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        """Bring a knowledge base in line with its watched folders: index new and changed
        files, drop files that were deleted from a watched folder."""
        cancel = cancel or threading.Event()
        started = time.perf_counter()
        with self.writer:
            kbrec = self._kb(kb)
            folders = self.catalog.watches(kbrec)
            removed = []
            for rec in self.catalog.files(kbrec):
                inside = any(Path(rec.path).is_relative_to(f) for f in folders)
                if inside and not Path(rec.path).exists() and all(Path(f).is_dir() for f in folders
                                                                    if Path(rec.path).is_relative_to(f)):
                    self._delete_chunks(kbrec, rec.id)
                    self.catalog.remove_file(rec.id)
                    removed.append(FileRemoved(Path(rec.path)))
            yield from removed
            present = [f for f in folders if Path(f).is_dir()]
            problems = [DocumentError(Path(f), "the watched folder is missing (unplugged drive?); its files are "
                                               "kept until it is back") for f in folders if not Path(f).is_dir()]
            files, found_problems = discover([Path(f) for f in present])
            problems += [p for p in found_problems if Path(p.path).is_file()]  # an empty folder is fine
            yield from self._ingest(files, problems, kbrec.name, cancel, started, len(removed))

    def _ingest(self, files, problems, kb, cancel, started, removed=0):
        total = len(files) + len(problems)
        indexed = skipped = failed = chunks_total = 0
        kbrec = self._kb(kb, create=True)
        position = 0
        for problem in problems:
            position += 1
            failed += 1
            yield FileStarted(problem.path, position, total)
            yield FileFailed(problem.path, problem.reason)
        if files:
            kbrec = self._check_model(kbrec)  # the right store and model first, then
            self._lexical_for(kbrec, required=True)  # rows are written in the current layout
        with self._write_lock:
            for path in files:
                if cancel.is_set():
                    break
                position += 1
                yield FileStarted(path, position, total)
                outcome = yield from self._ingest_file(kbrec, path, cancel)
                if isinstance(outcome, FileIndexed):
                    indexed += 1
                    chunks_total += outcome.chunks
                elif isinstance(outcome, FileSkipped):
                    skipped += 1
                else:
                    failed += 1
                yield outcome
        yield IngestDone(indexed, skipped, failed, chunks_total, time.perf_counter() - started, cancel.is_set(),
                         removed)

    def _ingest_file(self, kb: KnowledgeBase, path: Path, cancel: threading.Event):
        t0 = time.perf_counter()
        key = str(path)
        try:
            st = path.stat()
        except OSError as exc:
            return FileFailed(path, f"cannot read the file ({exc.strerror}); check the path and permissions")
        rec = self.catalog.file(kb, key)
        if rec and rec.state == cat.INDEXED and rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns:
            return FileSkipped(path, "unchanged")
        try:
            sha = file_sha256(path)
        except PermissionError:
            reason = UnreadableFileError.reason_template
            self.catalog.record_failure(kb, key, path.name, reason)
            return FileFailed(path, reason)
        except OSError as exc:
            reason = f"cannot read the file ({exc.strerror}); check its permissions"
            self.catalog.record_failure(kb, key, path.name, reason)
            return FileFailed(path, reason)
        if rec and rec.state == cat.INDEXED and rec.sha256 == sha:
            self.catalog.touch_file(rec, st.st_size, st.st_mtime_ns)
            return FileSkipped(path, "unchanged")
        # The embedder loads while the reader process starts; an error is reported when
        # _write_chunks loads it for real.
        _in_background(self.embedder.load, "embedder-load")
        try:
            doc = self._open(path, cancel)
        except DocumentError as err:
            self.catalog.record_failure(kb, key, path.name, err.reason)
            return FileFailed(path, err.reason)
        rec = self.catalog.begin_file(kb, key, path.name, st.st_size, st.st_mtime_ns, sha)
        try:
            pages, chunks, ocr_pages, ocr_failed, undecodable = yield from self._write_chunks(kb, rec, doc, sha,
                                                                                              cancel)
            if cancel.is_set():
                raise _Cancelled()
            if chunks == 0:
                raise NoTextError(path)
        except BaseException as exc:
            self._delete_chunks(kb, rec.id, sha)
            if isinstance(exc, _Cancelled):
                reason = "indexing was cancelled; ingest the file again to index it"
            elif isinstance(exc, DocumentError):
                reason = exc.reason
            elif isinstance(exc, RagError):
                reason = str(exc)
            elif isinstance(exc, Exception):
                reason = f"unexpected error while indexing ({type(exc).__name__}: {exc}); please report it"
            else:
                self.catalog.fail_file(rec, "indexing was interrupted; ingest the file again")
                raise
            self.catalog.fail_file(rec, reason)
            return FileFailed(path, reason)
        finally:
            doc.close()
        from .events import pages_left_out

        committed = self.catalog.commit_file(rec, st.st_size, st.st_mtime_ns, pages, chunks,
                                             pages_left_out(ocr_failed, undecodable))
        if committed.stale_sha256:
            self._delete_chunks(kb, rec.id, committed.stale_sha256)
            self.catalog.clear_stale(rec.id)
        return FileIndexed(path, pages, chunks, time.perf_counter() - t0, ocr_pages, ocr_failed, undecodable)

    def _write_chunks(self, kb: KnowledgeBase, rec: FileRecord, doc, sha: str, cancel: threading.Event):
        """Pipelined: a reader thread parses and chunks pages into a small bounded queue while
        this thread embeds and stores batches, so parsing hides behind embedding and memory
        stays bounded (pages are streamed, at most a few batches wait). The reader also passes
        on "page N is being OCR'd" notes, which become FileProgress(stage="ocr") events."""
        emb = self.embedder
        emb.load()
        if self._vector_cache_kb != kb.id:
            self._vector_cache.clear()
            self._vector_cache_kb = kb.id
        # A knowledge base with no chunks yet has no vectors to reuse: no lookups then.
        known = self.store.count(kb.collection) > 0
        max_tokens = min(self.settings.chunk_tokens, emb.max_tokens)
        chunker = Chunker(emb.counter, max_tokens, min(self.settings.chunk_overlap, max_tokens // 3))
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

        def read() -> None:
            batch: list = []
            page_no = 0

            def pages():
                nonlocal page_no
                for page in doc.pages():
                    page_no = page.number
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
                        _put(batches, (page_no, batch), stop)
                        batch, size = [], EMBED_BATCH
                if batch:
                    _put(batches, (page_no, batch), stop)
                _put(batches, _END, stop)
            except BaseException as exc:  # handed to the consuming thread
                _put(batches, exc, stop)

        reader = threading.Thread(target=read, name="ingest-reader", daemon=True)
        reader.start()
        writer = _BatchWriter(lambda job: self._write_batch(kb, rec, sha, *job))
        path = Path(rec.path)
        written = 0
        last_page = 0
        try:
            while True:
                item = batches.get()
                if item is _END:
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
                    vectors = self._embed_batch(indexed[part], hashes[part], cancel)
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
        yield FileProgress(path, "storing", doc.page_count, doc.page_count)
        return doc.page_count, written, tuple(ocr_pages), tuple(ocr_failed), tuple(undecodable)

    @staticmethod
    def _indexed_text(chunk) -> str:
        # The section title (PDF outline / Markdown heading) gives a chunk its topic.
        return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text

    def _prefetch_vectors(self, kb: KnowledgeBase, hashes: list[str]) -> None:
        """Put the stored vectors of texts the knowledge base already holds (found by the `th`
        text hash in the chunk metadata) into the cache: one store query per batch."""
        cache = self._vector_cache
        missing = list(dict.fromkeys(h for h in hashes if h not in cache))
        found = self.store.vectors_by(kb.collection, "th", missing)
        if len(cache) + len(found) > VECTOR_CACHE_SIZE:
            cache.clear()
        cache.update(found)

    def _embed_batch(self, indexed: list[str], hashes: list[str], cancel: threading.Event | None = None):
        """Vectors of texts as indexed (`hashes`: their text hashes). The same text is never
        embedded twice: repeats within the batch, texts met earlier in this run, and texts the
        knowledge base already holds (put in the cache by `_prefetch_vectors`) reuse their vector."""
        import numpy as np

        cache = self._vector_cache
        todo = list(dict.fromkeys(h for h in hashes if h not in cache))
        first = {h: t for h, t in zip(hashes, indexed)}
        fresh = dict(zip(todo, self._embed_cancellable([first[h] for h in todo], cancel))) if todo else {}
        self.embed_stats["chunks"] += len(indexed)
        self.embed_stats["embedded"] += len(todo)
        vectors = np.stack([fresh[h] if h in fresh else cache[h] for h in hashes]).astype(np.float32)
        if len(cache) + len(fresh) > VECTOR_CACHE_SIZE:
            cache.clear()  # only after the vectors above are taken from it
        cache.update(fresh)
        return vectors

    def _write_batch(self, kb: KnowledgeBase, rec: FileRecord, sha: str, batch: list, indexed: list[str],
                     hashes: list[str], vectors) -> None:
        ids = [f"{rec.id}-{sha[:16]}-{c.index:06d}" for c in batch]
        self.lexical.add(kb.id, [(cid, rec.id, sha, c.section, c.text) for cid, c in zip(ids, batch)])
        name = Path(rec.path).name
        self.store.add(
            kb.collection, ids, vectors, [c.text for c in batch],
            [
                {
                    "file": name, "path": rec.path, "file_id": rec.id, "sha": sha, "page": c.page,
                    "page_end": c.page_end, "char_start": c.char_start, "char_end": c.char_end,
                    "chunk": c.index, "tokens": c.tokens, "section": c.section, "ocr": c.ocr,
                    "th": th,
                }
                for c, th in zip(batch, hashes)
            ],
        )

    def _embed_cancellable(self, texts: list[str], cancel: threading.Event | None):
        """Embed in length-sorted slices of the embedder's batch size (tokenised once), checking
        `cancel` before every slice, so Cancel and closing the app take effect within a second or
        two while padding stays as small as one big length-sorted call makes it."""

        def check() -> None:
            if cancel is not None and cancel.is_set():
                raise _Cancelled()

        return self.embedder.embed_documents(texts, check if cancel is not None else None)

    # ---- retrieval and answers ---------------------------------------------------------

    def _with_neighbours(self, kb: KnowledgeBase, sources: Sequence[Source], n: int) -> tuple[Source, ...]:
        """Widen each passage with the chunk(s) before and after it in its file, so an answer
        that straddles a chunk boundary is seen whole."""
        from dataclasses import replace

        out = []
        for src in sources:
            file_id, sha, index = src.chunk_id.rsplit("-", 2)
            index = int(index)
            wanted = [f"{file_id}-{sha}-{i:06d}" for i in range(index - n, index + n + 1) if i >= 0 and i != index]
            got = {c.id: c for c in self.store.get(kb.collection, ids=wanted)} if wanted else {}
            text, page_end = src.text, src.page_end
            for i in range(index - 1, index - n - 1, -1):
                c = got.get(f"{file_id}-{sha}-{i:06d}")
                if c is None:
                    break
                text = _join_overlapping(c.text, text)
            for i in range(index + 1, index + n + 1):
                c = got.get(f"{file_id}-{sha}-{i:06d}")
                if c is None:
                    break
                text = _join_overlapping(text, c.text)
                page_end = max(page_end, int(c.metadata.get("page_end", page_end)))
            out.append(replace(src, text=text, page_end=page_end))
        return tuple(out)

    def search(self, query: str, kb: str | None = None, k: int | None = None,
               files: Sequence[str] = (), mode: str | None = None,
               cancel: threading.Event | None = None) -> SearchResult:
        kbrec = self._kb(kb)
        if not query.strip():
            raise RagError("the question is empty; type a question")
        t0 = time.perf_counter()
        if kbrec.embed_model is not None:
            self._check_store(kbrec)
            if self._store is None and (mode or self.settings.retrieval_mode).split("+")[0] != "bm25":
                # Importing chromadb alone takes about a second: open the store on a helper
                # thread while this one embeds the query; an error is raised again on next use.
                _in_background(lambda: self.store, "store-open")
                try:
                    self._embed_query(query)  # meanwhile; the retriever reuses the vector
                except Exception:
                    pass  # raised again, with its message, where the retriever embeds
        if kbrec.embed_model is None or self.store.count(kbrec.collection) == 0:
            return SearchResult((), (time.perf_counter() - t0) * 1000)
        self._check_model(kbrec)
        k = k or self.settings.top_k
        mode = mode or self.settings.retrieval_mode
        rerank = mode.endswith("+rerank") or bool(self.settings.reranker)
        mode = mode.removesuffix("+rerank")
        retriever = self.retriever(kbrec, mode, query)
        depth = max(k * 3, self.settings.rerank_candidates if rerank else 0)
        hits = retriever.retrieve(kbrec.collection, query, depth, files)
        if self.settings.fusion_queries:
            from .fusion import rephrasings
            from .retrieval import page_key, rrf_fuse

            lists = {"q0": hits}
            for i, extra in enumerate(rephrasings(self.generator, query, self.settings.fusion_queries), start=1):
                lists[f"q{i}"] = self.retriever(kbrec, mode, extra).retrieve(kbrec.collection, extra, depth, files)
            hits = rrf_fuse(lists, {}, self.settings.rrf_k, key=page_key)
        hits = one_per_page(hits)
        if rerank:
            hits = self.reranker.rerank(query, hits, cancel)
        hits = hits[:k]
        from .abstain import measure

        return SearchResult(to_sources(hits), (time.perf_counter() - t0) * 1000, measure(query, hits))

    def ask(self, question: str, kb: str | None = None, history: Sequence[tuple[str, str]] = (),
            k: int | None = None, files: Sequence[str] = (), cancel: threading.Event | None = None,
            language: str = "auto", mode: str | None = None) -> Iterator[AnswerEvent]:
        from .prompting import build_prompt

        from .followup import standalone_query

        cancel = cancel or threading.Event()
        t0 = time.perf_counter()
        if language == "auto":
            language = self.settings.answer_language
        preload = getattr(self.generator, "preload", None)
        if preload:
            from .prompting import prompt_prefix

            # The model loads on its own thread while retrieval runs, then reads the prompt's
            # fixed start (instructions), so the answer pays only for sources and question.
            preload(prompt_prefix(question, language))
        query = standalone_query(question, history, self.settings.followup_rewrite,
                                 self.generator if self.settings.followup_rewrite == "llm" else None)
        found = self.search(query, kb, k, files, mode, cancel)
        if not found.sources:
            kbrec = self._kb(kb)
            if kbrec.embed_model is None or self.store.count(kbrec.collection) == 0:
                yield Abstained(f"knowledge base '{kbrec.name}' is empty; add documents with `rag-cli ingest`")
            else:
                yield Abstained(NOT_FOUND_ZH if cjk_ratio(question) >= 0.2 else NOT_FOUND_EN)
            return
        from .abstain import enough

        s = self.settings
        if s.abstain and not enough(found.evidence, s.abstain_min_dense, s.abstain_min_coverage):
            yield Abstained(NOT_FOUND_ZH if cjk_ratio(question) >= 0.2 else NOT_FOUND_EN, found.sources)
            return
        gen = self.generator
        budget = gen.context_size - s.max_tokens - 8
        sources = found.sources
        if s.neighbours:
            sources = self._with_neighbours(self._kb(kb), sources, s.neighbours)
        prompt = build_prompt(question, sources, gen.count_tokens, budget, history, language)
        retrieval_ms = (time.perf_counter() - t0) * 1000
        yield SourcesFound(prompt.sources, retrieval_ms)
        from .generation import loop_cut
        from .prompting import may_be_label, next_turn, strip_answer_labels, trim_answer_end

        n = pieces = 0  # tokens of every attempt; of the last attempt
        first = last = None  # the last attempt's first and last token
        answer = ""
        cancelled = False
        shown_at = first_any = None  # when the answer's first piece was shown; the model's first token
        # A model that wrote nothing but labels is asked once more, where that can give another
        # answer: its prompt is still cached, and the generator samples anew on each call.
        attempts = 2 if s.temperature > 0 and getattr(gen, "samples_anew", False) else 1
        for _attempt in range(attempts):
            if cancel.is_set():
                cancelled = True
                break
            text = ""
            shown = None  # index in `text` up to which the answer has been shown
            cut = None
            first = last = None
            pieces = 0
            stop = threading.Event()  # ends this attempt's stream; the user's cancel is `cancel`
            stream = gen.stream(prompt, s.max_tokens, s.temperature, stop)
            for piece in stream:
                now = time.perf_counter()
                first = first or now
                first_any = first_any or now
                last = now
                n += 1
                pieces += 1
                if cancel.is_set():  # by the user: what came after is not shown
                    break
                text += piece
                if shown is None:
                    # Held back while the start is only whitespace and labels the model wrote
                    # again ("Answer:", "答案：", ...), or may still grow into one.
                    rest = strip_answer_labels(text)
                    if rest and not may_be_label(rest):
                        shown = len(text) - len(rest)
                if shown is not None:
                    cut, safe = next_turn(text, shown)
                    if safe > shown:
                        shown_at = shown_at or now
                        yield Token(text[shown:safe])
                        shown = safe
                    if cut is not None:  # the model started a made-up next turn
                        break
                cut = loop_cut(text)
                if cut is not None:  # the model repeats itself: stop, keep the first copy
                    break
            cancelled = cancel.is_set()
            stop.set()
            getattr(stream, "close", lambda: None)()
            answer = trim_answer_end(strip_answer_labels(text[:cut]))
            rest = trim_answer_end(text[shown:]) if shown is not None and cut is None else ""
            if rest:
                yield Token(rest)  # the end held back in case it began a next turn or was a »
            elif shown is None and answer:  # the whole answer still looked like a label's start
                shown_at = shown_at or time.perf_counter()
                yield Token(answer)
            if answer or cancelled or shown is not None:
                break
        ttft = ((shown_at or first_any) - t0) if (shown_at or first_any) else 0.0
        # tokens: of every attempt; the rate: of the last one, from its first token to its last
        tps = (pieces - 1) / (last - first) if pieces > 1 and last > first else 0.0
        stats = AnswerStats(found.retrieval_ms, ttft, n, tps, gen.name, cancelled)
        yield AnswerDone(answer, prompt.sources, stats)


def _join_overlapping(a: str, b: str, longest: int = 600) -> str:
    """a + b without repeating the overlap that chunking put at the end of a / start of b."""
    for size in range(min(longest, len(a), len(b)), 15, -1):
        if a.endswith(b[:size]):
            return a + b[size:]
    return f"{a} {b}"


_END = object()


@dataclass(frozen=True)
class _Progress:
    stage: str
    page: int


def _put(q: queue.Queue, item, stop: threading.Event) -> None:
    """Put unless the consumer has gone away (stop set), so the reader never blocks forever."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


class _Cancelled(Exception):
    pass


def _in_background(work, name: str) -> None:
    """Run `work()` on a daemon thread to get ahead of a later call that repeats it for real;
    its errors are dropped here because that later call raises them again."""

    def run() -> None:
        try:
            work()
        except BaseException:
            pass

    threading.Thread(target=run, name=name, daemon=True).start()


class _BatchWriter:
    """Runs `write(job)` for each job on one background thread, in order, at most one job
    waiting, so storing a batch overlaps embedding the next. An error in a write is raised on
    the next put() or at finish(); close() waits for the thread so nothing is written after it."""

    def __init__(self, write):
        self._write = write
        self._jobs: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is _END:
                return
            if self._error is None:
                try:
                    self._write(job)
                except BaseException as exc:  # handed to the producing thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def put(self, job) -> None:
        self._raise()
        self._jobs.put(job)

    def finish(self) -> None:
        self.close()
        self._raise()

    def close(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(_END)
            self._thread.join()
