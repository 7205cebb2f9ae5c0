"""Retrieval: turn a question into ranked passages.

Two signals: dense (embedding cosine in the vector store) and lexical (BM25 over our own
tokens, see `lexical.py`). `HybridRetriever` fuses their rankings with reciprocal rank
fusion, score = sum(weight / (rrf_k + rank)), which needs no score calibration between the
two. Every hit keeps its component scores so callers can judge evidence (abstention).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

from .events import Source
from .store import StoredChunk, VectorStore

MODES = ("dense", "bm25", "hybrid", "dense+rerank", "bm25+rerank", "hybrid+rerank")


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float
    dense: float | None = None  # cosine similarity, when the dense side found it
    lexical: float | None = None  # BM25 score, when the lexical side found it
    ranks: dict = field(default_factory=dict)


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
    def __init__(self, store: VectorStore, embed_query: Callable):
        self.store = store
        self.embed_query = embed_query

    def retrieve(self, collection: str, query: str, k: int, files: Sequence[str] = ()) -> list[Hit]:
        vector = self.embed_query(query)
        chunks = self.store.query(collection, vector, k, where=file_filter(files))
        return [Hit(c, c.score, dense=c.score) for c in chunks]


class LexicalRetriever:
    def __init__(self, store: VectorStore, index, kb_id: int, file_ids: Callable[[Sequence[str]], set[int]]):
        self.store = store
        self.index = index
        self.kb_id = kb_id
        self.file_ids = file_ids

    def retrieve(self, collection: str, query: str, k: int, files: Sequence[str] = ()) -> list[Hit]:
        wanted = self.file_ids(files) if files else None
        if files and not wanted:
            return []
        scored = self.index.search(self.kb_id, query, k, wanted)
        if not scored:
            return []
        chunks = {c.id: c for c in self.store.get(collection, ids=[cid for cid, _ in scored])}
        return [Hit(chunks[cid], s, lexical=s) for cid, s in scored if cid in chunks]


class HybridRetriever:
    def __init__(self, dense: Retriever, lexical: Retriever, rrf_k: int = 60, dense_weight: float = 1.0,
                 lexical_weight: float = 1.0, candidates: int = 30):
        self.dense = dense
        self.lexical = lexical
        self.rrf_k = rrf_k
        self.weights = {"dense": dense_weight, "lexical": lexical_weight}
        self.candidates = candidates

    def retrieve(self, collection: str, query: str, k: int, files: Sequence[str] = ()) -> list[Hit]:
        n = max(self.candidates, k)
        lists = {"lexical": self.lexical.retrieve(collection, query, n, files)}
        if self.weights["dense"] > 0:
            lists["dense"] = self.dense.retrieve(collection, query, n, files)
        return rrf_fuse(lists, self.weights, self.rrf_k)[:k]


def rrf_fuse(lists: dict[str, list[Hit]], weights: dict[str, float], rrf_k: int) -> list[Hit]:
    fused: dict[str, dict] = {}
    for name, hits in lists.items():
        weight = weights.get(name, 1.0)
        for rank, hit in enumerate(hits, start=1):
            entry = fused.setdefault(hit.chunk.id, {"chunk": hit.chunk, "score": 0.0, "dense": None,
                                                    "lexical": None, "ranks": {}})
            entry["score"] += weight / (rrf_k + rank)
            entry["ranks"][name] = rank
            if hit.dense is not None:
                entry["dense"] = hit.dense
            if hit.lexical is not None:
                entry["lexical"] = hit.lexical
    ordered = sorted(fused.values(), key=lambda e: e["score"], reverse=True)
    return [Hit(e["chunk"], e["score"], e["dense"], e["lexical"], e["ranks"]) for e in ordered]


def one_per_page(hits: Sequence[Hit]) -> list[Hit]:
    """Keep the best hit of each (file, first page): k passages then cover k different pages."""
    seen: set[tuple] = set()
    out = []
    for hit in hits:
        key = (hit.chunk.metadata.get("file_id"), hit.chunk.metadata.get("page"))
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


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
                ocr=bool(m.get("ocr", False)),
            )
        )
    return tuple(out)
