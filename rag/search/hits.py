"""A hit: one chunk as a search ranks it, with the scores that put it there; grouping hits by
the page they cite, and turning them into the numbered sources an answer shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from rag.events import Source
from rag.store.vectors import StoredChunk


@dataclass(frozen=True)
class Hit:
    chunk: StoredChunk
    score: float
    dense: float | None = None  # cosine similarity, when the dense side found it
    lexical: float | None = None  # BM25 score, when the lexical side found it
    ranks: dict = field(default_factory=dict)

def page_key(hit: Hit) -> tuple:
    """The page a hit cites: (file, first page)."""
    m = hit.chunk.metadata
    return (m.get("file_id", m.get("file")), m.get("page"))

def one_per_page(hits: Sequence[Hit]) -> list[Hit]:
    """Keep the best hit of each (file, first page): k passages then cover k different pages."""
    seen: set[tuple] = set()
    out = []
    for hit in hits:
        key = page_key(hit)
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
                offsets=str(m.get("offsets", "")),
                section=str(m.get("section", "") or ""),
            )
        )
    return tuple(out)
