"""Should we answer at all? Signs that the documents hold the answer.

Two signals, both cheap: the best dense cosine among the passages found (when the dense
side ran) and lexical coverage, the share of the question's own terms (after stop words,
with CJK bigrams) that occur in the top passages. With a dense signal, an answer is attempted when
the cosine clears its threshold (or nearly every question term is found); without one,
coverage decides; otherwise the app says it could not find this in the
documents and shows the closest passages instead of letting the model invent an answer.
Thresholds are calibrated on bench/qa (see `bench` suite `abstain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rag.store.bm25 import tokenize
from rag.language import is_cjk


def _terms(text: str) -> set[str]:
    """Question terms; single CJK characters say too little alone, so CJK counts by bigrams."""
    return {t for t in tokenize(text) if not (len(t) == 1 and is_cjk(t))}


@dataclass(frozen=True)
class Support:
    dense: float | None  # best cosine similarity among the hits, None if dense did not run
    coverage: float  # share of distinct question terms found in the top passages
    min_dense: float | None = None  # the embedder's own calibrated threshold, when it has one

    def to_json(self) -> dict:
        return {"dense": None if self.dense is None else round(self.dense, 4), "coverage": round(self.coverage, 4)}


def measure(query: str, hits: Sequence, top: int = 3) -> Support:
    dense = [h.dense for h in hits if getattr(h, "dense", None) is not None]
    terms = _terms(query)
    if not terms:
        coverage = 0.0
    else:
        found: set[str] = set()
        for hit in hits[:top]:
            found.update(_terms(hit.chunk.text))
        coverage = len(terms & found) / len(terms)
    return Support(max(dense) if dense else None, coverage)


def enough(support: Support, min_dense: float, min_coverage: float, sure_coverage: float = 0.8) -> bool:
    """With a dense signal, trust it (or near-complete term coverage, for exact identifiers);
    without one (e.g. Chinese on an English-only embedder), term coverage decides."""
    if support.dense is not None:
        if support.min_dense is not None:
            min_dense = support.min_dense  # e5's cosines sit higher than MiniLM's (rag.embed.embedder)
        return support.dense >= min_dense or support.coverage >= sure_coverage
    return support.coverage >= min_coverage
