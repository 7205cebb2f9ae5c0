"""Reciprocal rank fusion (RRF) of ranked hit lists: the rule hybrid search uses for dense and
BM25 (by page), RAG-Fusion for rephrasings and the LLM reranker for its own order."""

from __future__ import annotations

from typing import Callable

from rag.search.hits import Hit


def rrf_fuse(lists: dict[str, list[Hit]], weights: dict[str, float], rrf_k: int,
             key: Callable[[Hit], object] | None = None) -> list[Hit]:
    """Reciprocal rank fusion of ranked lists of hits.

    With `key` (e.g. `page_key`) hits are fused as groups: each list counts a group once, at
    the rank of its first hit in that group among the list's distinct groups. A group is shown
    by its chunk that the lists rank best together, and carries the best dense and lexical
    scores of its chunks. Without `key`, each chunk is its own group."""
    groups: dict[object, dict] = {}
    for name, hits in lists.items():
        weight = weights.get(name, 1.0)
        group_rank: dict[object, int] = {}
        for rank, hit in enumerate(hits, start=1):
            g = hit.chunk.id if key is None else key(hit)
            entry = groups.setdefault(g, {"score": 0.0, "dense": None, "lexical": None, "ranks": {}, "chunks": {}})
            if g not in group_rank:
                group_rank[g] = len(group_rank) + 1
                entry["score"] += weight / (rrf_k + group_rank[g])
                entry["ranks"][name] = group_rank[g]
            chunk = entry["chunks"].setdefault(hit.chunk.id, [hit.chunk, 0.0])
            chunk[1] += weight / (rrf_k + rank)
            if hit.dense is not None:
                entry["dense"] = hit.dense if entry["dense"] is None else max(entry["dense"], hit.dense)
            if hit.lexical is not None:
                entry["lexical"] = hit.lexical if entry["lexical"] is None else max(entry["lexical"], hit.lexical)
    out = []
    for e in sorted(groups.values(), key=lambda e: e["score"], reverse=True):
        best = max(e["chunks"].values(), key=lambda c: c[1])[0]  # first of equals: max keeps it
        out.append(Hit(best, e["score"], e["dense"], e["lexical"], e["ranks"]))
    return out
