"""Retrieval: the question's passages from a knowledge base (see `searcher`).

Retrievers (dense, BM25, hybrid) in `retrievers`, page-level fusion in `rrf` and `hits`,
RAG-Fusion rephrasings in `rephrase`, second-stage ranking in `rerank`, follow-up questions
made standalone in `followup`, the support for answering at all in `abstain`, and retrieval
evaluation on a QA file in `evaluation`."""

MODES = ("dense", "bm25", "hybrid")
# every mode a caller may ask for: "+rerank" adds the second stage (the reranker setting, or the local LLM)
RETRIEVAL_MODES = MODES + tuple(f"{m}+rerank" for m in MODES)
