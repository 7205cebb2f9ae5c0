"""The collaborators every stage shares, built lazily and rebuilt when their settings change.

`Parts` is the engine's dependency wiring: the SQLite catalog (knowledge bases, files, BM25
and chunk texts), the vector store, the writer lock, the embedder, the LLM, the reranker,
the reader child process and the chat history. Nothing is built (or created on disk) until
first used. A model given by the caller (tests share one loaded model) is not the engine's
to close.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from models.locate import embedder_setting as recorded_setting
from rag.settings import Settings

LLM_FIELDS = ("llm_model", "context_size", "threads", "gpu_layers", "seed", "memory_limit_mb", "llm_backend",
              "llm_url", "llm_api_key", "llm_api", "llm_server_model", "llm_timeout_s")
STORE_FIELDS = ("chroma_url", "chroma_token", "chroma_token_header")
EMBEDDER_FIELDS = ("embedding_model", "embedding_device", "embedding_batch_size", "embedding_backend",
                   "embedding_precision")
PARSER_FIELDS = ("parse_timeout_s", "parse_memory_mb")
RERANKER_FIELDS = ("reranker", "rerank_candidates", "rrf_k", *LLM_FIELDS)
QUERY_CACHE = 16  # query vectors remembered (a search embeds while the store opens, then reuses it)


class Parts:
    def __init__(self, settings: Settings, home: Path, *, embedder=None, generator=None, store=None):
        self.settings = settings
        self.home = home
        self._embedder = embedder
        self._generator = generator
        self._own_embedder = embedder is None
        self._own_generator = generator is None
        self._vectors = store  # a vector store given by the caller; else the settings' one
        self._store = None
        self._store_lock = threading.Lock()
        self._query_vectors: dict = {}
        self._kb_embedders: dict[str, object] = {}  # recorded model name -> embedder, for knowledge
        self._kb_embedders_lock = threading.Lock()  # bases built with another than the settings' one
        self.embed_stats = {"chunks": 0, "embedded": 0}  # chunks stored / texts actually embedded

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @cached_property
    def writer(self):
        from rag.store.lock import WriterLock

        return WriterLock(self.home / "write.lock")

    @cached_property
    def catalog(self):
        from rag.store.manifest import Catalog

        return Catalog(self.home / "catalog.sqlite3")

    @cached_property
    def lexical(self):
        return self.catalog.lexical()

    @property
    def store(self):
        """Vectors in the vector store, chunk texts and metadata in the catalog (`ChunkStore`)."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    from rag.store.chunks import ChunkStore
                    from rag.store.vectors import open_store

                    vectors = self._vectors or open_store(self.settings, self.home / "chroma")
                    self._store = ChunkStore(vectors, self.catalog._db, self.catalog._lock)
        return self._store

    @property
    def store_open(self) -> bool:
        return self._store is not None

    @property
    def embedder(self):
        if self._embedder is None:
            from rag.embed.embedder import Embedder

            s = self.settings
            self._embedder = Embedder(s.embedding_model, s.embedding_device, s.embedding_batch_size,
                                      s.embedding_backend, self.models_dir, s.embedding_precision)
            self._own_embedder = True
        return self._embedder

    @property
    def embedder_loaded(self):
        """The embedder if one is built, else None (nothing is loaded to answer)."""
        return self._embedder

    def embedder_for(self, kb=None):
        """The embedder that reads and extends knowledge base `kb`: the one it records (it was
        built, or created, with it), else the settings' `embedding_model` (a new knowledge base).
        Raises EmbeddingMismatchError, saying how to get it, when the recorded one is not here."""
        recorded = getattr(kb, "embed_model", None)
        precision = self._precision_of(kb)
        if precision != self.settings.embedding_precision:  # built with another precision: keep to it
            return self._embedder_with_precision(recorded, precision, kb)
        if recorded is None or (self._embedder is not None and self._embedder.name == recorded):
            return self.embedder
        emb = self._kb_embedders.get(recorded)
        if emb is not None:
            return emb
        if self._embedder is None and self._settings_embedder_name() == recorded:
            return self.embedder
        return self.embedder_for_setting(recorded_setting(recorded), kb)

    def _precision_of(self, kb) -> str:
        """The precision of `kb`'s vectors: what it records (fp32 for catalogs older than the
        record), or the setting's for a knowledge base without vectors yet."""
        from rag.embed.embedder import precision_of

        if not getattr(kb, "embed_model", None):
            return self.settings.embedding_precision
        return precision_of(getattr(kb, "embed_backend", None))

    def _embedder_with_precision(self, recorded: str | None, precision: str, kb):
        """A knowledge base's vectors are of one precision: it is read and extended by an
        embedder of the precision it records, whatever embedding_precision says now."""
        key = f"{recorded}|{precision}"
        with self._kb_embedders_lock:
            emb = self._kb_embedders.get(key)
            if emb is None:
                from rag.embed.embedder import Embedder
                from rag.errors import EmbeddingMismatchError, RagError

                s = self.settings
                try:
                    emb = Embedder(recorded_setting(recorded) if recorded else s.embedding_model, s.embedding_device,
                                   s.embedding_batch_size, s.embedding_backend, self.models_dir, precision)
                except RagError as err:
                    raise EmbeddingMismatchError(
                        f"knowledge base '{kb.name}' holds {precision} vectors of '{recorded}', which cannot be made "
                        f"here ({err}); set embedding_precision = '{precision}' or index it again "
                        "(`rag-cli reindex --all`)") from None
                self._kb_embedders[key] = emb
            return emb

    def add_embedder(self, embedder) -> None:
        """Read and build knowledge bases recorded with `embedder.name` with this (loaded)
        embedder; the caller keeps owning it (tests and benchmarks share one)."""
        with self._kb_embedders_lock:
            self._kb_embedders[embedder.name] = embedder

    def embedder_for_setting(self, setting: str, kb=None):
        """The embedder an embedding_model value names, built once (the settings' own one when
        it is that model); `kb`: the knowledge base that needs it, for the error message."""
        if setting == self.settings.embedding_model:
            return self.embedder
        with self._kb_embedders_lock:
            for known in (self._embedder, *self._kb_embedders.values()):
                if known is not None and getattr(known, "setting", None) == setting:
                    return known
            emb = self.new_embedder(setting, kb)
            if self._embedder is not None and emb.name == self._embedder.name:
                return self._embedder
            return self._kb_embedders.setdefault(emb.name, emb)

    def new_embedder(self, setting: str, kb=None):
        """An embedder for `setting` with the settings' device, batch size and backend. With
        `kb`, an embedder that is not available says which knowledge base needs it."""
        from rag.embed.embedder import Embedder
        from rag.errors import EmbeddingMismatchError, RagError

        s = self.settings
        try:
            return Embedder(setting, s.embedding_device, s.embedding_batch_size, s.embedding_backend, self.models_dir,
                            s.embedding_precision)
        except RagError as err:
            if kb is None:
                raise
            raise EmbeddingMismatchError(
                f"knowledge base '{kb.name}' was built with embedding model '{kb.embed_model}', which cannot be "
                f"loaded here ({err}); install it, or index the knowledge base again with another embedder "
                f"(`rag-cli reindex --all --kb \"{kb.name}\" --embedder NAME`, see `rag-cli models list`)") from None

    def _settings_embedder_name(self) -> str | None:
        from models.locate import resolve_embedder

        try:
            return resolve_embedder(self.settings.embedding_model)[0]
        except Exception:
            return None

    def embed_query(self, text: str, kb=None):
        """A query's vector by the embedder of knowledge base `kb` (the settings' one when None),
        remembered for the last few queries; cleared with the embedder."""
        emb = self.embedder_for(kb)
        key = (emb.name, text)
        vec = self._query_vectors.get(key)
        if vec is None:
            vec = emb.embed_query(text)
            if len(self._query_vectors) >= QUERY_CACHE:
                self._query_vectors.clear()
            self._query_vectors[key] = vec
        return vec

    @property
    def generator(self):
        if self._generator is None:
            from rag.llm.llama import make_generator

            self._generator = make_generator(self.settings, self.models_dir)
            self._own_generator = True
        return self._generator

    def use_generator(self, generator) -> None:
        """Answer with `generator` from now on (the caller keeps owning it)."""
        self._drop_generator()
        self._generator, self._own_generator = generator, False

    @cached_property
    def reranker(self):
        """The configured reranker; `--mode ...+rerank` without one uses the local LLM."""
        from rag.search.rerank import LLM_RERANKER, make_reranker

        return make_reranker(self.settings.reranker or LLM_RERANKER, self.settings, self.models_dir)

    @cached_property
    def chats(self):
        from rag.store.chats import ChatHistory

        return ChatHistory(self.home / "chats.sqlite3")

    @cached_property
    def parser(self):
        """The reader child process (a stall timeout and a memory limit per file)."""
        from rag.ingest.worker import ParserProcess

        return ParserProcess(self.settings.parse_timeout_s, self.settings.parse_memory_mb)

    # ---- settings changes and shutdown -------------------------------------------------

    def update_settings(self, settings: Settings) -> set[str]:
        """Use new settings; the parts whose settings changed are rebuilt on next use.
        Returns the names of the settings that changed."""
        old, self.settings = self.settings, settings
        changed = {f for f in Settings.__dataclass_fields__ if getattr(old, f) != getattr(settings, f)}
        if changed & set(LLM_FIELDS):
            self._drop_generator()
        if changed & set(EMBEDDER_FIELDS):
            self._embedder = None
            self._kb_embedders.clear()
            self._query_vectors.clear()
        if changed & set(STORE_FIELDS):
            self._store = self._vectors = None  # the next use connects to the new store (embedded or server)
        if changed & set(PARSER_FIELDS):
            self._pop("parser")
        if changed & set(RERANKER_FIELDS):
            self._pop("reranker")
        return changed

    def _drop_generator(self) -> None:
        if self._generator is not None and self._own_generator and hasattr(self._generator, "close"):
            self._generator.close()
        self._generator = None

    def _pop(self, name: str) -> None:
        part = self.__dict__.pop(name, None)
        if hasattr(part, "close"):
            part.close()

    def close(self) -> None:
        self._pop("reranker")
        self._store = None  # these two use the catalog's connection, closed below
        self.__dict__.pop("lexical", None)
        self._drop_generator()
        self._pop("parser")
        self._pop("catalog")
        self._pop("chats")
