"""Chunks as the engine sees them: vectors in the vector store, text and metadata in the catalog.

The vector store (chromadb) is given each chunk's id, vector and the three metadata keys
that its own filters need (`file_id`, `sha`, `th`). The chunk's text and full metadata (file,
page, character span, section...) go to a plain table in the catalog's SQLite file, one per
knowledge base, keyed by chunk id. Why: chromadb keeps a full-text index of every document
and a row per metadata key, and writing them cost 0.37 s of CPU for a 100-page manual's 451
chunks, 0.13 s in this layout (`bench/`); on a 2-core machine that CPU is taken from the
embedder, which is what ingestion waits for. Chromadb also holds Python's lock while it
writes, so nothing else of the app runs meanwhile.

This is the embedded store's layout. With a Chroma server (`chroma_url`), everything is
written to the server as before: its writes cost the server's CPU, not the desktop's.

`ChunkStore` has the vector store's interface and answers reads with both halves joined.
Chunks written by earlier versions of RAG Desk (text and metadata inside chromadb, no row
here) read as before, so a knowledge base needs no migration. Writes put the table's rows
first and the vectors second; deletes go the other way round. So a vector never lacks its
text, except after a crash in between, which the engine's recovery (deleting a file
version's chunks again) and `rag-cli doctor` clean up.

Progressive indexing writes the two halves at different times: a file's rows (`add_rows`,
with its BM25 rows) as it is read, its vectors (`add_vectors`) as they are made. A row
without a vector is then a chunk of a `lexical` file: `texts` reads chunks by id from the
rows, so BM25 hits show before their vectors exist. With a Chroma server the rows are kept
here too (the server also gets the texts, as before).
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Sequence

from rag.store.vectors import StoredChunk

VECTOR_KEYS = ("file_id", "sha", "th")  # what the vector store's own filters use
# chromadb's HNSW search looks at max(ef_search = 100, k) candidates. On the QA store (3,308
# chunks), asking for the 60 nearest missed the two best chunks of one question altogether
# (exact cosine 0.44 and 0.38, ranks 1 and 2; HNSW found them only from k = 200 on). Asking
# for 400 ids and distances alone made the nearest 60 exact for all 80 questions, on this store
# and on one built by the previous version, for 0.4 ms more at 3,300 chunks and 3 ms at
# 100,000; the texts and metadata are then read for the k kept.
SEARCH_DEPTH = 400
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_BATCH = 500  # ids per SQL statement (SQLite's variable limit is 999 in older builds)


class ChunkStore:
    def __init__(self, vectors, db, lock: threading.RLock):
        self.vectors = vectors
        self._db = db
        self._lock = lock
        self._ready: set[str] = set()

    def __getattr__(self, name: str) -> Any:  # url, prefix, client, reading_light...
        return getattr(self.vectors, name)

    # ---- the table ---------------------------------------------------------------------

    @staticmethod
    def _table(collection: str) -> str:
        if not _NAME.match(collection):
            raise ValueError(f"bad collection name {collection!r}")
        return f"chunks_{collection}"

    def _ensure(self, collection: str) -> str:
        t = self._table(collection)
        if t not in self._ready:
            with self._lock:
                self._db.execute(f"CREATE TABLE IF NOT EXISTS {t} (id TEXT PRIMARY KEY, file_id INTEGER, sha TEXT, "
                                 "text TEXT NOT NULL, meta TEXT NOT NULL)")
                self._db.execute(f"CREATE INDEX IF NOT EXISTS {t}_file ON {t} (file_id, sha)")
            self._ready.add(t)
        return t

    def _readable(self, collection: str) -> str | None:
        """The table's name if it exists. Reads never create it: creating needs SQLite's write
        lock, which a reader beside an ingesting app would wait for (chunks of earlier
        versions have no table)."""
        t = self._table(collection)
        if t not in self._ready:
            with self._lock:
                if self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                    (t,)).fetchone() is None:
                    return None
            self._ready.add(t)
        return t

    def _write(self, *statements) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._db.executemany(sql, args)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _rows(self, collection: str, ids: Sequence[str]) -> dict[str, tuple[str, dict]]:
        ids = list(ids)
        t = self._readable(collection) if ids else None
        out: dict[str, tuple[str, dict]] = {}
        if t is None:
            return out
        with self._lock:
            for i in range(0, len(ids), _BATCH):
                part = ids[i : i + _BATCH]
                for cid, text, meta in self._db.execute(
                        f"SELECT id, text, meta FROM {t} WHERE id IN ({','.join('?' * len(part))})", part):
                    out[cid] = (text, json.loads(meta))
        return out

    def _joined(self, collection: str, chunks: list[StoredChunk]) -> list[StoredChunk]:
        """Chunks with their text and metadata from the table. A chunk that has none there
        and none in the vector store (its row was lost) is left out: it cannot be shown.
        `rag-cli doctor` finds such chunks by comparing with `self.vectors`."""
        rows = self._rows(collection, [c.id for c in chunks if c.text is None or "page" not in (c.metadata or {})])
        out = []
        for c in chunks:
            row = rows.get(c.id)
            if row is not None:
                out.append(StoredChunk(c.id, row[0], row[1], c.score))
            elif c.text is not None:
                out.append(c)  # written by an earlier version: all of it is in the vector store
        return out

    def payload_ids(self, collection: str) -> set[str]:
        t = self._readable(collection)
        if t is None:
            return set()
        with self._lock:
            return {r[0] for r in self._db.execute(f"SELECT id FROM {t}")}

    def delete_rows(self, collection: str, ids: Sequence[str]) -> None:
        t = self._ensure(collection)
        ids = list(ids)
        self._write(*[(f"DELETE FROM {t} WHERE id = ?", [(i,) for i in ids[s : s + _BATCH]])
                      for s in range(0, len(ids), _BATCH)])

    # ---- the vector store's interface --------------------------------------------------

    def add(self, collection, ids, vectors, texts, metadatas) -> None:
        """Rows and vectors at once (a chunk that is at once `indexed`)."""
        if len(ids) == 0:
            return
        if getattr(self.vectors, "url", ""):
            # A Chroma server keeps the texts too: its writes cost the server's CPU, not this
            # desktop's, and a corpus then lives where it is backed up ("Scaling out").
            self.vectors.add(collection, ids, vectors, texts, metadatas)
            return
        metadatas = list(metadatas)
        self.add_rows(collection, ids, texts, metadatas)
        self.add_vectors(collection, ids, vectors, texts, metadatas)

    def add_rows(self, collection, ids, texts, metadatas) -> None:
        """The chunks' texts and metadata, without vectors (a file's `lexical` stage)."""
        if len(ids) == 0:
            return
        t = self._ensure(collection)
        self._write((f"INSERT OR REPLACE INTO {t} (id, file_id, sha, text, meta) VALUES (?, ?, ?, ?, ?)",
                     [(cid, m.get("file_id"), m.get("sha"), text, json.dumps(m, ensure_ascii=False))
                      for cid, text, m in zip(ids, texts, metadatas)]))

    def add_vectors(self, collection, ids, vectors, texts, metadatas) -> None:
        """The vectors of chunks whose rows are stored (`add_rows`)."""
        if len(ids) == 0:
            return
        if getattr(self.vectors, "url", ""):
            self.vectors.add(collection, ids, vectors, texts, metadatas)
            return
        slim = [{k: m[k] for k in VECTOR_KEYS if k in m} or {"file_id": -1} for m in metadatas]
        self.vectors.add(collection, ids, vectors, None, slim)

    def texts(self, collection: str, ids: Sequence[str]) -> list[StoredChunk]:
        """Chunks by id, read from the rows (so chunks without a vector yet are found too); a
        chunk written by an earlier version of RAG Desk (no row) comes from the vector store."""
        ids = list(ids)
        rows = self._rows(collection, ids)
        out = [StoredChunk(cid, rows[cid][0], rows[cid][1], 0.0) for cid in ids if cid in rows]
        older = [cid for cid in ids if cid not in rows]
        if older:
            out += [c for c in self.vectors.get(collection, ids=older) if c.text is not None]
        return out

    def file_rows(self, collection: str, file_id: int, sha: str) -> list[StoredChunk]:
        """Every stored row of one file version, in chunk order (what its vectors are made from)."""
        t = self._readable(collection)
        if t is None:
            return []
        with self._lock:
            found = self._db.execute(f"SELECT id, text, meta FROM {t} WHERE file_id = ? AND sha = ?",
                                     (file_id, sha)).fetchall()
        chunks = [StoredChunk(cid, text, json.loads(meta), 0.0) for cid, text, meta in found]
        return sorted(chunks, key=lambda c: c.id)

    def vector_ids(self, collection: str, file_id: int, sha: str) -> set[str]:
        """Ids of the chunks of one file version that have a vector."""
        return {c.id for c in self.vectors.get(collection, {"$and": [{"file_id": file_id}, {"sha": sha}]})}

    def query(self, collection, vector, k, where=None, hidden: frozenset = frozenset()) -> list[StoredChunk]:
        """The k nearest chunks that have a text, best first (see SEARCH_DEPTH). `hidden`:
        (file id, sha) versions whose vectors must not be returned (not committed, or a
        `lexical` file whose vectors are still being made): dropped by their id prefix, and
        when that leaves fewer than k, asked for again with a filter that excludes them."""
        near = self.vectors.nearest(collection, vector, max(k, SEARCH_DEPTH), where)
        out = self._texts_of(collection, near, k, hidden)
        if len(out) < k and hidden and len(near) >= SEARCH_DEPTH:
            shas = sorted({sha for _, sha in hidden})
            exclude = {"sha": {"$nin": shas}}
            near = self.vectors.nearest(collection, vector, max(k, SEARCH_DEPTH),
                                        {"$and": [where, exclude]} if where else exclude)
            out = self._texts_of(collection, near, k, hidden)
        return out

    def _texts_of(self, collection, near, k, hidden) -> list[StoredChunk]:
        if hidden:
            prefixes = {f"{fid}-{sha[:16]}" for fid, sha in hidden}
            near = [(cid, s) for cid, s in near if cid.rsplit("-", 1)[0] not in prefixes]
        out: list[StoredChunk] = []
        pos = 0
        while len(out) < k and pos < len(near):  # more only where a chunk had no text
            part = near[pos : pos + k - len(out)]
            pos += len(part)
            rows = self._rows(collection, [cid for cid, _ in part])
            older = [cid for cid, _ in part if cid not in rows]  # chunks written by an earlier version
            found = {c.id: c for c in self.vectors.get(collection, ids=older)} if older else {}
            for cid, s in part:
                if cid in rows:
                    chunk = StoredChunk(cid, rows[cid][0], rows[cid][1], s)
                elif cid in found and found[cid].text is not None:
                    chunk = StoredChunk(cid, found[cid].text, found[cid].metadata, s)
                else:
                    continue
                if hidden and (_int(chunk.metadata.get("file_id")), chunk.metadata.get("sha")) in hidden:
                    continue  # an id of another form than fileid-sha16-index
                out.append(chunk)
        return out

    def scan(self, collection: str, page: int = 5000):
        """(id, chunk) of every vector, read a page at a time; chunk is None where the text is
        gone. The paging is the vector store's, so such a chunk never ends the reading early."""
        offset = 0
        while True:
            raw = self.vectors.get(collection, limit=page, offset=offset)
            joined = {c.id: c for c in self._joined(collection, raw)}
            for c in raw:
                yield c.id, joined.get(c.id)
            if len(raw) < page:
                return
            offset += page

    def all_chunks(self, collection: str, page: int = 5000):
        """Every chunk that has a text (see `scan`)."""
        return (c for _, c in self.scan(collection, page) if c is not None)

    def get(self, collection, where=None, ids=None, limit=None, offset=0) -> list[StoredChunk]:
        return self._joined(collection, self.vectors.get(collection, where, ids, limit, offset))

    def vectors_by(self, collection, key, values):
        return self.vectors.vectors_by(collection, key, values)

    def count(self, collection) -> int:
        return self.vectors.count(collection)

    def delete(self, collection, where) -> None:
        clause = _sql_where(where)
        if clause is None:  # not a file (version) filter: find the ids first
            ids = [c.id for c in self.vectors.get(collection, where)]
            self.vectors.delete(collection, where)
            self.delete_rows(collection, ids)
            return
        t = self._ensure(collection)
        self.vectors.delete(collection, where)
        self._write((f"DELETE FROM {t} WHERE {clause[0]}", [clause[1]]))

    def delete_ids(self, collection, ids) -> None:
        ids = list(ids)
        for s in range(0, len(ids), _BATCH):  # chromadb fails on too many ids at once
            self.vectors.delete_ids(collection, ids[s : s + _BATCH])
        self.delete_rows(collection, ids)

    def drop(self, collection) -> None:
        self.vectors.drop(collection)
        t = self._table(collection)
        with self._lock:
            self._db.execute(f"DROP TABLE IF EXISTS {t}")
        self._ready.discard(t)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _sql_where(where: dict) -> tuple[str, tuple] | None:
    """The engine's two deletes, `{"file_id": n}` and `{"$and": [{"file_id": n}, {"sha": s}]}`,
    as SQL; None for any other filter."""
    parts = where.get("$and") if set(where) == {"$and"} else [{k: v} for k, v in where.items()]
    if not isinstance(parts, list):
        return None
    clauses, args = [], []
    for part in parts:
        if not isinstance(part, dict) or len(part) != 1:
            return None
        (key, value), = part.items()
        if key not in ("file_id", "sha") or isinstance(value, (dict, list)):
            return None
        clauses.append(f"{key} = ?")
        args.append(value)
    return (" AND ".join(clauses), tuple(args)) if clauses else None
