"""Vector store interface and its embedded chromadb implementation.

Embeddings are always passed in explicitly: chromadb's own default embedding function
downloads a model, so collections are created with `embedding_function=None`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity for queries; 0 for plain gets


class VectorStore(Protocol):
    def add(self, collection: str, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
            metadatas: Sequence[dict]) -> None: ...

    def delete(self, collection: str, where: dict) -> None: ...

    def query(self, collection: str, vector: np.ndarray, k: int, where: dict | None = None) -> list[StoredChunk]: ...

    def get(self, collection: str, where: dict | None = None, ids: Sequence[str] | None = None,
            limit: int | None = None) -> list[StoredChunk]: ...

    def delete_ids(self, collection: str, ids: Sequence[str]) -> None: ...

    def count(self, collection: str) -> int: ...

    def drop(self, collection: str) -> None: ...


class ChromaStore:
    """Embedded chromadb (`PersistentClient`) with telemetry off."""

    def __init__(self, path: Path):
        os.environ["ANONYMIZED_TELEMETRY"] = "False"
        import chromadb

        path.mkdir(parents=True, exist_ok=True)
        self._client = chromadb.PersistentClient(
            path=str(path), settings=chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        )
        self._collections: dict[str, Any] = {}

    def _col(self, name: str):
        col = self._collections.get(name)
        if col is None:
            col = self._client.get_or_create_collection(
                name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
            self._collections[name] = col
        return col

    def add(self, collection, ids, vectors, texts, metadatas) -> None:
        if len(ids) == 0:
            return
        self._col(collection).upsert(
            ids=list(ids), embeddings=np.asarray(vectors, dtype=np.float32), documents=list(texts),
            metadatas=list(metadatas),
        )

    def delete(self, collection, where) -> None:
        self._col(collection).delete(where=where)

    def query(self, collection, vector, k, where=None) -> list[StoredChunk]:
        col = self._col(collection)
        n = col.count()
        if n == 0:
            return []
        res = col.query(
            query_embeddings=np.asarray([vector], dtype=np.float32), n_results=min(k, n), where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredChunk(i, d, m, 1.0 - float(dist))
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ]

    def get(self, collection, where=None, ids=None, limit=None) -> list[StoredChunk]:
        res = self._col(collection).get(
            where=where or None, ids=list(ids) if ids is not None else None, limit=limit,
            include=["documents", "metadatas"],
        )
        return [StoredChunk(i, d, m, 0.0) for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])]

    def delete_ids(self, collection, ids) -> None:
        if ids:
            self._col(collection).delete(ids=list(ids))

    def count(self, collection) -> int:
        return self._col(collection).count()

    def drop(self, collection) -> None:
        self._collections.pop(collection, None)
        try:
            self._client.delete_collection(collection)
        except Exception:
            pass
