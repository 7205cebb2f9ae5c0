"""Retrieval: turn a question into ranked passages.

A retriever returns `Hit`s (a stored chunk with a score). The dense retriever is the
first signal; a lexical retriever and a fusion step plug in beside it through the same
`Retriever` protocol without touching callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from .events import Source
from .store import StoredChunk, VectorStore


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float


class Retriever(Protocol):
    def retrieve(self, collection: str, query: str, k: int, files: Sequence[str] = ()) -> list[Hit]: ...


def file_filter(files: Sequence[str]) -> dict | None:
    """Restrict to base names (`manual.pdf`) or full paths."""
    if not files:
        return None
    names = [f for f in files if "/" not in f and "\\" not in f]
    paths = [f for f in files if f not in names]
    clauses = []
    if names:
        clauses.append({"file": {"$in": names}})
    if paths:
        clauses.append({"path": {"$in": paths}})
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


class DenseRetriever:
    def __init__(self, store: VectorStore, embed_query):
        self.store = store
        self.embed_query = embed_query

    def retrieve(self, collection: str, query: str, k: int, files: Sequence[str] = ()) -> list[Hit]:
        vector = self.embed_query(query)
        chunks = self.store.query(collection, vector, k, where=file_filter(files))
        return [Hit(c, c.score) for c in chunks]


def to_sources(hits: Sequence[Hit]) -> tuple[Source, ...]:
    out = []
    for n, hit in enumerate(hits, start=1):
        m = hit.chunk.metadata
        out.append(
            Source(
                n=n,
                file=str(m.get("file", "")),
                path=str(m.get("path", "")),
                page=int(m.get("page", 1)),
                page_end=int(m.get("page_end", m.get("page", 1))),
                score=float(hit.score),
                text=hit.chunk.text,
                chunk_id=hit.chunk.id,
                char_start=int(m.get("char_start", 0)),
                char_end=int(m.get("char_end", 0)),
            )
        )
    return tuple(out)
