"""A search: the question's passages from a knowledge base, best first, one per page.

Dense (embedder + vector store) and BM25 rankings are fused by page with reciprocal rank
fusion (`rag.search.retrievers`); optional stages are RAG-Fusion rephrasings, an LLM or
cross-encoder reranker, and neighbouring chunks for answers that straddle a chunk boundary.
The result carries the support the answer stage uses to decide whether to answer at all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Sequence

from rag.embed.embedder import calibrated_min_dense, dense_weight_factor
from rag.errors import RagError
from rag.events import Source
from rag.language import is_chinese
from rag.threads import in_background
from rag.search import MODES
from rag.search.abstain import Support, measure
from rag.search.hits import one_per_page, page_key, to_sources
from rag.search.retrievers import DenseRetriever, HybridRetriever, LexicalRetriever, Retriever
from rag.search.rrf import rrf_fuse
from rag.settings import Settings
from rag.store.manifest import KnowledgeBase


PAGE_REACH = 6  # chunks before and after a hit looked at for the rest of its page


@dataclass(frozen=True)
class SearchResult:
    sources: tuple[Source, ...]
    retrieval_ms: float
    support: Support | None = None  # how strongly the passages bear on the question (abstain)


class Searcher:
    def __init__(self, parts, library):
        self.parts = parts
        self.library = library

    def retriever(self, kb: KnowledgeBase, mode: str | None = None, query: str = "", view=None) -> Retriever:
        """`view`: what the search may show (`Catalog.search_view`), read once per search."""
        mode = (mode or self.parts.settings.retrieval_mode).removesuffix("+rerank")
        if mode not in MODES:
            raise RagError(f"unknown retrieval mode {mode!r}; use dense, bm25 or hybrid")
        file_ids = lambda files: self.library.file_ids(kb, files)  # noqa: E731
        view = view or self.view(kb)
        dense = DenseRetriever(self.parts.store, lambda text: self.parts.embed_query(text, kb), file_ids,
                               view.hidden, view.any_indexed)
        if mode == "dense":
            return dense
        lexical = LexicalRetriever(self.parts.store, self.library.recovery.lexical_for(kb), kb.id, file_ids)
        if mode == "bm25":
            return lexical
        s = self.parts.settings
        # an English-only embedder gets no say on Chinese questions; e5 its calibrated share
        dense_weight = s.dense_weight * dense_weight_factor(kb.embed_model or self.parts.embedder.name,
                                                            is_chinese(query))
        return HybridRetriever(dense, lexical, s.rrf_k, dense_weight, s.lexical_weight)

    def search(self, query: str, kb: str | None = None, k: int | None = None,
               files: Sequence[str] = (), mode: str | None = None,
               cancel: threading.Event | None = None) -> SearchResult:
        """The best `k` passages for `query`; `mode` is dense, bm25 or hybrid, with "+rerank"
        for a second stage; `files` limits the search to those files; `cancel` stops a reranker."""
        kbrec = self.library.kb(kb)
        if not query.strip():
            raise RagError("the question is empty; type a question")
        t0 = time.perf_counter()
        s = self.parts.settings
        mode = mode or s.retrieval_mode
        view = self.view(kbrec)
        if kbrec.embed_model is not None:
            self.library.check_store(kbrec)
            if mode.split("+")[0] != "bm25" and view.any_indexed:
                self._get_ahead(query, kbrec)
        if kbrec.embed_model is None or (not view.lexical and self.parts.store.count(kbrec.collection) == 0):
            return SearchResult((), (time.perf_counter() - t0) * 1000)
        self.library.check_model(kbrec)
        k = k or s.top_k
        rerank = mode.endswith("+rerank") or bool(s.reranker)
        mode = mode.removesuffix("+rerank")
        depth = max(k * 3, s.rerank_candidates if rerank else 0)
        hits = one_per_page(self._first_stage(kbrec, query, mode, depth, files, view))
        if rerank:
            hits = self.parts.reranker.rerank(query, hits, cancel)
        hits = hits[:k]
        support = measure(query, hits)
        if s.abstain_min_dense == Settings.abstain_min_dense:  # the default is MiniLM's: use the model's own
            support = replace(support, min_dense=calibrated_min_dense(kbrec.embed_model))
        if view.lexical and any(_file_id(h.chunk.id) in view.lexical for h in hits[:3]):
            # a top passage's file has no vectors yet, so no cosine speaks for it: coverage decides
            support = replace(support, dense=None)
        return SearchResult(to_sources(hits), (time.perf_counter() - t0) * 1000, support)

    def view(self, kb: KnowledgeBase):
        """What a search of `kb` may show now: which versions dense search must skip, which
        files BM25 alone finds (stage `lexical`). See rag.store.manifest.SearchView."""
        from rag.store.manifest import SearchView

        if not kb.id:
            return SearchView(False)
        return self.parts.catalog.search_view(kb)

    def _get_ahead(self, query: str, kb: KnowledgeBase) -> None:
        """Importing chromadb alone takes about a second: open the store on a helper thread
        while this one embeds the query (the retriever reuses the vector). Errors are raised
        again, with their message, where the store or the embedder is used for real."""
        if self.parts.store_open:
            return
        in_background(lambda: self.parts.store, "store-open")
        try:
            self.parts.embed_query(query, kb)
        except Exception:
            pass

    def _first_stage(self, kb: KnowledgeBase, query: str, mode: str, depth: int, files: Sequence[str],
                     view=None) -> list:
        hits = self.retriever(kb, mode, query, view).retrieve(kb.collection, query, depth, files)
        n = self.parts.settings.fusion_queries
        if not n:
            return hits
        from rag.search.rephrase import rephrasings

        lists = {"q0": hits}
        for i, extra in enumerate(rephrasings(self.parts.generator, query, n), start=1):
            lists[f"q{i}"] = self.retriever(kb, mode, extra, view).retrieve(kb.collection, extra, depth, files)
        return rrf_fuse(lists, {}, self.parts.settings.rrf_k, key=page_key)

    def with_neighbours(self, kb: KnowledgeBase, sources: Sequence[Source], n: int) -> tuple[Source, ...]:
        """Widen each passage with the chunk(s) before and after it in its file, so an answer
        that straddles a chunk boundary is seen whole."""
        out = []
        for src in sources:
            file_id, sha, index = src.chunk_id.rsplit("-", 2)
            index = int(index)
            wanted = [f"{file_id}-{sha}-{i:06d}" for i in range(index - n, index + n + 1) if i >= 0 and i != index]
            got = {c.id: c for c in self.parts.store.texts(kb.collection, wanted)} if wanted else {}
            text, page_end = src.text, src.page_end
            for i in range(index - 1, index - n - 1, -1):
                c = got.get(f"{file_id}-{sha}-{i:06d}")
                if c is None:
                    break
                text = _join_overlapping(c.text, text)
            for i in range(index + 1, index + n + 1):
                c = got.get(f"{file_id}-{sha}-{i:06d}")
                if c is None:
                    break
                text = _join_overlapping(text, c.text)
                page_end = max(page_end, int(c.metadata.get("page_end", page_end)))
            out.append(replace(src, text=text, page_end=page_end))
        return tuple(out)


    def page_passages(self, kb: KnowledgeBase, source: Source, reach: int = PAGE_REACH) -> list:
        """The stored chunks that start on the page of `source`, in reading order (its
        neighbours by chunk index): where the answer to a question is found on a page that the
        search found by another of its chunks."""
        try:
            file_id, sha, index = source.chunk_id.rsplit("-", 2)
            index = int(index)
        except ValueError:
            return []
        wanted = [f"{file_id}-{sha}-{i:06d}" for i in range(max(0, index - reach), index + reach + 1)]
        got = {c.id: c for c in self.parts.store.texts(kb.collection, wanted)}
        return [got[cid] for cid in wanted if cid in got and int(got[cid].metadata.get("page", -1)) == source.page]


def _file_id(chunk_id: str) -> int:
    try:
        return int(chunk_id.split("-", 1)[0])
    except ValueError:
        return -1


def overlap_length(a: str, b: str, longest: int = 600) -> int:
    """How much of the start of b repeats the end of a (chunking's overlap); 0 when none."""
    for size in range(min(longest, len(a), len(b)), 15, -1):
        if a.endswith(b[:size]):
            return size
    return 0


def _join_overlapping(a: str, b: str, longest: int = 600) -> str:
    """a + b without repeating the overlap that chunking put at the end of a / start of b."""
    size = overlap_length(a, b, longest)
    return a + b[size:] if size else f"{a} {b}"
