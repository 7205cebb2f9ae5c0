"""The SQLite manifest: knowledge bases and the state of every file in them.

chromadb has no transactions, so this is the source of truth for what is committed.
A file's chunks carry its `file_id` and the sha256 of the version they came from.
While a version is being written its sha sits in `pending_sha256`; once every chunk's text
is in, one SQLite transaction makes it the committed `sha256` at stage `lexical` (its text
is searchable by BM25) and moves the old version to `stale_sha256`, whose chunks are deleted
next. Its vectors follow; once every chunk has one, another transaction moves it to stage
`indexed` (dense search sees it from then on). Recovery (at open) deletes chunks of any
pending version and of any stale one, and leaves a `lexical` version alone (committed text,
vectors still to come), so a crash at any point leaves each file fully at one stage of one
version, or not indexed.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from pathlib import Path

from rag.errors import DatabaseDamagedError, KnowledgeBaseError
from rag.store.catalog_schema import prepare
from rag.store.records import (  # re-exported: the catalog's records and states
    FAILED, INDEXED, INDEXING, INTERRUPTED, LEXICAL, SEARCHABLE, VECTOR_ERROR, VECTORS_MISSING, FileRecord,
    KnowledgeBase, SearchView,
)
from rag.store.sqlite import Database

KB_NAME = re.compile(r"^[\w][\w .\-]{0,62}$", re.UNICODE)


class Catalog:
    """The catalog file, opened by rag.store.sqlite.Database: nothing is created until the
    first write, a damaged file says so (and how to get back), a read-only folder reads."""

    def __init__(self, path: Path):
        self.path = path
        self.backup_path = path.with_name(path.name + ".bak")
        what = "knowledge bases, files and their texts"
        if path.is_file() and path.stat().st_size == 0 and (
                self.backup_path.is_file() or (path.parent / "chroma" / "chroma.sqlite3").is_file()):
            # SQLite would take an empty file for a new catalog: the data would look simply gone
            raise DatabaseDamagedError(path, what, "the file is empty (0 bytes) but the data folder holds vectors",
                                       self._advice())
        self._db = Database(path, prepare, what, self._advice())
        self._lock = self._db.lock

    def _advice(self) -> str:
        if self.backup_path.is_file():
            return ("`rag-cli doctor --repair` puts back the copy kept after the last change "
                    f"({self.backup_path.name}) and re-indexes what changed since")
        return (f"no copy of it was kept: move it out of {self.path.parent} and ingest your documents again "
                "(`rag-cli doctor --repair` does the moving)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def damage(self) -> str | None:
        """What SQLite's quick_check finds wrong with the file (every page is read), or None."""
        try:
            rows = [r[0] for r in self._db.execute("PRAGMA quick_check").fetchall()]
        except DatabaseDamagedError as err:
            return str(err)
        return None if rows == ["ok"] else "; ".join(rows[:3])

    def backup(self) -> None:
        """Keep a copy of the catalog (SQLite's backup API: a consistent snapshot even while
        readers read), written beside it as `catalog.sqlite3.bak` through a temp file."""
        if self._db.in_memory or self._db.read_only:
            return
        tmp = self.backup_path.with_name(self.backup_path.name + ".tmp")
        with self._lock:
            target = sqlite3.connect(str(tmp))
            try:
                self._db.backup(target)
            finally:
                target.close()
        os.replace(tmp, self.backup_path)

    def lexical(self):
        from rag.store.bm25 import LexicalIndex

        return LexicalIndex(self._db, self._lock)

    def _tx(self):
        return _Transaction(self._db, self._lock)

    # ---- knowledge bases --------------------------------------------------------------

    def kbs(self) -> list[KnowledgeBase]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM kbs ORDER BY name").fetchall()
        return [_kb(r) for r in rows]

    def find_kb(self, name: str) -> KnowledgeBase | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM kbs WHERE name = ?", (name,)).fetchone()
        return _kb(row) if row else None

    def get_kb(self, name: str) -> KnowledgeBase:
        kb = self.find_kb(name)
        if kb is None:
            known = ", ".join(k.name for k in self.kbs()) or "none yet"
            raise KnowledgeBaseError(
                f"knowledge base '{name}' does not exist (known: {known}); create it with `rag-cli kb create {name}`"
            )
        return kb

    def create_kb(self, name: str) -> KnowledgeBase:
        name = name.strip()
        if not KB_NAME.match(name):
            raise KnowledgeBaseError(
                f"'{name}' is not a valid knowledge base name: use letters, digits, spaces, '.', '-' or '_' (max 63)"
            )
        with self._tx() as db:
            if db.execute("SELECT 1 FROM kbs WHERE name = ?", (name,)).fetchone():
                raise KnowledgeBaseError(f"knowledge base '{name}' already exists")
            cur = db.execute(
                "INSERT INTO kbs (name, collection, created) VALUES (?, ?, ?)", (name, "pending", time.time())
            )
            kb_id = cur.lastrowid
            db.execute("UPDATE kbs SET collection = ? WHERE id = ?", (f"kb_{kb_id}", kb_id))
        return self.get_kb(name)

    def ensure_kb(self, name: str) -> KnowledgeBase:
        """The knowledge base `name`, created if missing; safe when two threads (or
        processes) ask at once: the one that loses the race gets the winner's."""
        with self._lock:
            found = self.find_kb(name)
            if found is not None:
                return found
            try:
                return self.create_kb(name)
            except KnowledgeBaseError:
                found = self.find_kb(name)  # created meanwhile by another process
                if found is None:
                    raise
                return found

    def rename_kb(self, old: str, new: str) -> KnowledgeBase:
        kb = self.get_kb(old)
        new = new.strip()
        if not KB_NAME.match(new):
            raise KnowledgeBaseError(f"'{new}' is not a valid knowledge base name")
        with self._tx() as db:
            if db.execute("SELECT 1 FROM kbs WHERE name = ?", (new,)).fetchone():
                raise KnowledgeBaseError(f"knowledge base '{new}' already exists")
            db.execute("UPDATE kbs SET name = ? WHERE id = ?", (new, kb.id))
        return self.get_kb(new)

    def delete_kb(self, name: str) -> KnowledgeBase:
        kb = self.get_kb(name)
        with self._tx() as db:
            db.execute("DELETE FROM files WHERE kb_id = ?", (kb.id,))
            db.execute("DELETE FROM watches WHERE kb_id = ?", (kb.id,))
            db.execute("DELETE FROM kb_store WHERE kb_id = ?", (kb.id,))
            db.execute("DELETE FROM kbs WHERE id = ?", (kb.id,))
        return kb

    def kb_store(self, kb: KnowledgeBase) -> str | None:
        """Where the knowledge base's vectors live: "embedded" or a Chroma server URL."""
        with self._lock:
            row = self._db.execute("SELECT location FROM kb_store WHERE kb_id = ?", (kb.id,)).fetchone()
        return row["location"] if row else None

    def set_kb_store(self, kb: KnowledgeBase, location: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO kb_store (kb_id, location) VALUES (?, ?)", (kb.id, location))

    def reset_kb(self, kb: KnowledgeBase) -> KnowledgeBase:
        """Forget a knowledge base's files and model (its chunks must be dropped by the caller)."""
        with self._tx() as db:
            db.execute("DELETE FROM kb_store WHERE kb_id = ?", (kb.id,))
            db.execute("DELETE FROM files WHERE kb_id = ?", (kb.id,))
            db.execute("UPDATE kbs SET embed_model = NULL, embed_dim = NULL, chunk_tokens = NULL,"
                       " chunk_overlap = NULL, embed_backend = NULL WHERE id = ?", (kb.id,))
        return self.get_kb(kb.name)

    def set_kb_model(self, kb: KnowledgeBase, model: str, dim: int, chunk_tokens: int, overlap: int,
                     backend: str | None = None) -> KnowledgeBase:
        with self._tx() as db:
            db.execute(
                "UPDATE kbs SET embed_model = ?, embed_dim = ?, chunk_tokens = ?, chunk_overlap = ?,"
                " embed_backend = ? WHERE id = ?",
                (model, dim, chunk_tokens, overlap, backend, kb.id),
            )
        return self.get_kb(kb.name)

    # ---- files ------------------------------------------------------------------------

    def files(self, kb: KnowledgeBase) -> list[FileRecord]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM files WHERE kb_id = ? ORDER BY name, path", (kb.id,)).fetchall()
        return [FileRecord(**dict(r)) for r in rows]

    def file(self, kb: KnowledgeBase, path: str) -> FileRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM files WHERE kb_id = ? AND path = ?", (kb.id, path)).fetchone()
        return FileRecord(**dict(row)) if row else None

    def file_by_id(self, file_id: int) -> FileRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM files WHERE id = ?", (file_id,)).fetchone()
        return FileRecord(**dict(row)) if row else None

    def begin_file(self, kb: KnowledgeBase, path: str, name: str, size: int, mtime_ns: int, sha: str) -> FileRecord:
        """Record that version `sha` of `path` is being written (its chunks are pending)."""
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT id FROM files WHERE kb_id = ? AND path = ?", (kb.id, path)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO files (kb_id, path, name, size, mtime_ns, pending_sha256, state, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (kb.id, path, name, size, mtime_ns, sha, INDEXING, now),
                )
            else:
                db.execute(
                    "UPDATE files SET pending_sha256 = ?, state = ?, error = NULL, updated = ? WHERE id = ?",
                    (sha, INDEXING, now, row["id"]),
                )
        return self.file(kb, path)  # type: ignore[return-value]

    def commit_file(self, rec: FileRecord, size: int, mtime_ns: int, pages: int, chunks: int,
                    note: str | None = None) -> FileRecord:
        """Make the pending version the committed one; the previous version becomes stale.
        `note` (kept in `error`) says what an indexed file left out, e.g. unreadable pages."""
        return self._commit(rec, size, mtime_ns, pages, chunks, note, INDEXED, chunks)

    def commit_lexical(self, rec: FileRecord, size: int, mtime_ns: int, pages: int, chunks: int,
                       note: str | None = None, embedded: int = 0) -> FileRecord:
        """Make the pending version the committed one at stage `lexical`: every chunk's text and
        BM25 row is stored, `embedded` of its vectors so far. The previous version becomes stale."""
        return self._commit(rec, size, mtime_ns, pages, chunks, note, LEXICAL, embedded)

    def _commit(self, rec, size, mtime_ns, pages, chunks, note, stage, embedded) -> FileRecord:
        with self._tx() as db:
            db.execute(
                "UPDATE files SET stale_sha256 = CASE WHEN sha256 IS NOT NULL AND sha256 != pending_sha256"
                " THEN sha256 ELSE stale_sha256 END, sha256 = pending_sha256, pending_sha256 = NULL,"
                " size = ?, mtime_ns = ?, state = ?, stage = ?, pages = ?, chunks = ?, embedded = ?, error = ?,"
                " updated = ? WHERE id = ?",
                (size, mtime_ns, stage, stage, pages, chunks, embedded, note, time.time(), rec.id),
            )
        return self.file_by_id(rec.id)  # type: ignore[return-value]

    def set_embedded(self, file_id: int, sha: str, embedded: int) -> None:
        """How many chunks of committed version `sha` have their vector (progress of a `lexical` file)."""
        with self._tx() as db:
            db.execute("UPDATE files SET embedded = ? WHERE id = ? AND sha256 = ? AND stage = ?",
                       (embedded, file_id, sha, LEXICAL))

    def mark_indexed(self, file_id: int, sha: str) -> bool:
        """Every chunk of committed version `sha` has its vector: stage `indexed`, in one
        transaction. False when that version is no longer the committed one at `lexical`."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE files SET stage = ?, embedded = chunks, updated = ?,"
                " state = CASE WHEN state = ? THEN ? ELSE state END,"
                " error = CASE WHEN error LIKE ? THEN NULL ELSE error END"
                " WHERE id = ? AND sha256 = ? AND stage = ?",
                (INDEXED, time.time(), LEXICAL, INDEXED, VECTOR_ERROR + "%", file_id, sha, LEXICAL))
            return cur.rowcount > 0

    def note_vector_error(self, file_id: int, sha: str, error: str) -> None:
        """Version `sha` keeps its text (stage lexical) but its vectors could not be made."""
        with self._tx() as db:
            db.execute("UPDATE files SET error = ?, updated = ? WHERE id = ? AND sha256 = ? AND stage = ?",
                       (error, time.time(), file_id, sha, LEXICAL))

    def lexical_files(self, kb: KnowledgeBase) -> list[FileRecord]:
        """Files whose committed version is at stage `lexical` and no other version is being written."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM files WHERE kb_id = ? AND stage = ? AND sha256 IS NOT NULL AND pending_sha256 IS NULL"
                " ORDER BY updated, id", (kb.id, LEXICAL)).fetchall()
        return [FileRecord(**dict(r)) for r in rows]

    def search_view(self, kb: KnowledgeBase) -> "SearchView":
        """What dense search may show of `kb` right now (one small query, per search)."""
        with self._lock:
            any_indexed = self._db.execute(
                "SELECT 1 FROM files WHERE kb_id = ? AND sha256 IS NOT NULL AND (stage IS NULL OR stage = ?) LIMIT 1",
                (kb.id, INDEXED)).fetchone() is not None
            rows = self._db.execute(
                "SELECT id, sha256, pending_sha256, stale_sha256, stage FROM files WHERE kb_id = ? AND"
                " (pending_sha256 IS NOT NULL OR stale_sha256 IS NOT NULL OR stage = ?)", (kb.id, LEXICAL)).fetchall()
        hidden, lexical = set(), set()
        for r in rows:
            for sha in (r["pending_sha256"], r["stale_sha256"]):
                if sha:
                    hidden.add((r["id"], sha))
            if r["stage"] == LEXICAL and r["sha256"]:
                hidden.add((r["id"], r["sha256"]))
                lexical.add(r["id"])
        return SearchView(any_indexed, frozenset(hidden), frozenset(lexical))

    def clear_stale(self, file_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE files SET stale_sha256 = NULL WHERE id = ?", (file_id,))

    def fail_file(self, rec: FileRecord, error: str) -> None:
        """The pending version failed: keep the committed version (if any, at its stage) and note the error."""
        with self._tx() as db:
            db.execute(
                "UPDATE files SET pending_sha256 = NULL,"
                " state = CASE WHEN sha256 IS NULL THEN ? ELSE COALESCE(stage, ?) END,"
                " error = ?, updated = ? WHERE id = ?",
                (FAILED, INDEXED, error, time.time(), rec.id),
            )

    def record_failure(self, kb: KnowledgeBase, path: str, name: str, error: str) -> None:
        """A file that failed before anything was written (unreadable, wrong type...)."""
        with self._tx() as db:
            row = db.execute("SELECT id, sha256 FROM files WHERE kb_id = ? AND path = ?", (kb.id, path)).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO files (kb_id, path, name, state, error, updated) VALUES (?, ?, ?, ?, ?, ?)",
                    (kb.id, path, name, FAILED, error, time.time()),
                )
            else:
                db.execute(
                    "UPDATE files SET error = ?, state = CASE WHEN sha256 IS NULL THEN ? ELSE state END,"
                    " updated = ? WHERE id = ?",
                    (error, FAILED, time.time(), row["id"]),
                )

    def touch_file(self, rec: FileRecord, size: int, mtime_ns: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, rec.id))

    def remove_file(self, file_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM files WHERE id = ?", (file_id,))

    # ---- watched folders --------------------------------------------------------------

    def watches(self, kb: KnowledgeBase) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT folder FROM watches WHERE kb_id = ? ORDER BY folder", (kb.id,)).fetchall()
        return [r["folder"] for r in rows]

    def add_watch(self, kb: KnowledgeBase, folder: str) -> bool:
        with self._tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO watches (kb_id, folder, added) VALUES (?, ?, ?)",
                             (kb.id, folder, time.time()))
            return cur.rowcount > 0

    def remove_watch(self, kb: KnowledgeBase, folder: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM watches WHERE kb_id = ? AND folder = ?", (kb.id, folder)).rowcount > 0

    def unfinished(self, kb: KnowledgeBase) -> list[FileRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM files WHERE kb_id = ? AND (pending_sha256 IS NOT NULL OR stale_sha256 IS NOT NULL"
                " OR state = ?)",
                (kb.id, INDEXING),
            ).fetchall()
        return [FileRecord(**dict(r)) for r in rows]

    def settle_interrupted(self, rec: FileRecord) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE files SET pending_sha256 = NULL, stale_sha256 = NULL,"
                " state = CASE WHEN sha256 IS NULL THEN ? ELSE COALESCE(stage, ?) END,"
                " error = CASE WHEN sha256 IS NULL THEN 'indexing was interrupted; ingest the file again' ELSE error END"
                " WHERE id = ?",
                (INTERRUPTED, INDEXED, rec.id),
            )


class _Transaction:
    def __init__(self, db, lock: threading.RLock):
        self.db = db
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()


def _kb(row: sqlite3.Row) -> KnowledgeBase:
    return KnowledgeBase(
        id=row["id"],
        name=row["name"],
        collection=row["collection"],
        embed_model=row["embed_model"],
        embed_dim=row["embed_dim"],
        chunk_tokens=row["chunk_tokens"],
        chunk_overlap=row["chunk_overlap"],
        embed_backend=row["embed_backend"],
    )
