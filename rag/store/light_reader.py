"""The light reader of an embedded chromadb store: read-only calls straight into chromadb's
compiled engine, so searching needs neither the chromadb package nor its start-up time (see
`ChromaStore`, which writes through the full client and reads through this)."""

from __future__ import annotations

import json
import threading
from pathlib import Path


def reraise_interrupts(exc: BaseException) -> None:
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc


class EmptyStore:
    """The reader of an embedded store that does not exist yet: every collection is empty
    until `created()` sees that its database has appeared."""

    def __init__(self, path: Path | None = None):
        self.path = path

    def created(self) -> bool:
        return self.path is not None and (self.path / "chroma.sqlite3").is_file()

    def count(self, name: str) -> int:
        return 0

    def query(self, name: str, vectors, k: int, where, include: list[str]) -> dict:
        return {"ids": []}

    def get(self, name: str, where, ids, limit, include: list[str], offset: int = 0) -> dict:
        return {"ids": [], "documents": [], "metadatas": [], "embeddings": []}


class LightReader:
    """Read-only calls straight into `chromadb_rust_bindings` (the engine inside chromadb
    1.x) on an existing embedded store: the same database, index files and answers as
    chromadb's `PersistentClient`, without importing the chromadb package. A collection
    that does not exist reads as empty."""

    TENANT, DATABASE = "default_tenant", "default_database"

    def __init__(self, bindings, path: Path | None = None):
        self._b = bindings
        self._ids: dict[str, str] = {}
        # counts as of the last write seen (`_current`): chromadb counts a collection by
        # reading it, 13 ms at 100,000 chunks, and a search asked twice
        self._counts: dict[str, int] = {}
        self.path = path
        self._lock = threading.Lock()
        self._seen = self._written()

    @staticmethod
    def _bindings(path: Path):
        import chromadb_rust_bindings as rb

        try:
            import resource

            handles = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (ImportError, OSError, ValueError):
            handles = 512
        config = rb.SqliteDBConfig(hash_type=rb.MigrationHash.MD5, migration_mode=rb.MigrationMode.Validate,
                                   url=str(path / "chroma.sqlite3"))
        return rb.Bindings(allow_reset=False, sqlite_db_config=config, persist_path=str(path),
                           hnsw_cache_size=max(1, handles // 5))

    @classmethod
    def open(cls, path: Path) -> "LightReader | None":
        if not (path / "chroma.sqlite3").is_file():
            return None  # a new store: the full client creates it
        try:
            return cls(cls._bindings(path), path)
        except BaseException as exc:
            reraise_interrupts(exc)
            return None  # not this chromadb, an older schema...: the full client handles it

    def _written(self):
        """The store's last write (chromadb numbers every add and delete in its queue), read
        with a plain read-only SQLite query: about 0.1 ms."""
        if self.path is None:
            return None
        import sqlite3

        try:
            db = sqlite3.connect(f"file:{self.path / 'chroma.sqlite3'}?mode=ro", uri=True, timeout=2)
            try:
                return db.execute("SELECT max(seq_id) FROM embeddings_queue").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            return None

    def _current(self) -> None:
        """The compiled engine keeps each collection's vector index in memory as it was read:
        when another process (`rag-cli ingest` beside the app) has written since, open the
        engine again so that nearest-neighbour search sees the new vectors too."""
        written = self._written()
        if written == self._seen:
            return
        with self._lock:
            if written != self._seen:
                self._b = self._bindings(self.path)
                self._ids = {}
                self._counts = {}
                self._seen = written

    def _id(self, name: str) -> str | None:
        cid = self._ids.get(name)
        if cid is None:
            try:
                cid = str(self._b.get_collection(name, self.TENANT, self.DATABASE).id)
            except Exception:
                names = {c.name for c in self._b.list_collections(None, 0, self.TENANT, self.DATABASE)}
                if name in names:
                    raise
                return None
            self._ids[name] = cid
        return cid

    def count(self, name: str) -> int:
        self._current()
        n = self._counts.get(name)
        if n is None:
            cid = self._id(name)
            n = 0 if cid is None else self._b.count(cid, self.TENANT, self.DATABASE)
            if self._seen is not None:  # without a write number to check against, no reuse
                self._counts[name] = n
        return n

    def query(self, name: str, vectors, k: int, where: dict | None, include: list[str]) -> dict:
        n = self.count(name)
        if n == 0:
            return {"ids": []}
        r = self._b.query(self._ids[name], None, list(vectors), min(k, n), json.dumps(where) if where else None, None, include,
                          self.TENANT, self.DATABASE)
        return {"ids": r.ids, "documents": r.documents, "metadatas": r.metadatas, "distances": r.distances}

    def get(self, name: str, where: dict | None, ids: list[str] | None, limit: int | None,
            include: list[str], offset: int = 0) -> dict:
        cid = self._id(name)
        if cid is None:
            return {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        r = self._b.get(cid, ids, json.dumps(where) if where else None, limit, offset, None, include,
                        self.TENANT, self.DATABASE)
        blank = [None] * len(r.ids)
        return {"ids": r.ids, "documents": blank if r.documents is None else r.documents,
                "metadatas": blank if r.metadatas is None else r.metadatas,
                "embeddings": [] if r.embeddings is None else r.embeddings}
