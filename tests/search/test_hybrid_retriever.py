"""HybridRetriever runs its dense side on a worker thread while BM25 ranks on the caller's."""

from __future__ import annotations

import threading

import pytest

from rag.search.hits import Hit
from rag.search.retrievers import HybridRetriever, LexicalRetriever
from rag.store.vectors import StoredChunk


def chunk(cid: str, page: int) -> StoredChunk:
    return StoredChunk(cid, f"text of {cid}", {"file_id": 1, "file": "a.pdf", "page": page}, 0.0)


class Dense:
    def __init__(self, fail: bool = False):
        self.fail = fail
        self.thread = None
        self.enabled = True

    def retrieve(self, collection, query, k, files=()):
        self.thread = threading.current_thread().name
        if self.fail:
            raise RuntimeError("the vector store is gone")
        return [Hit(chunk("c2", 2), 0.9, dense=0.9), Hit(chunk("c1", 1), 0.8, dense=0.8)]


class Index:
    def __init__(self, fail: bool = False):
        self.fail = fail
        self.thread = None

    def search(self, kb_id, query, k, wanted=None):
        self.thread = threading.current_thread().name
        if self.fail:
            raise RuntimeError("the catalog is damaged")
        return [("c1", 7.0), ("c3", 5.0)]


class Store:
    def __init__(self):
        self.read = []

    def texts(self, collection, ids):
        self.read.extend(ids)
        return [chunk(i, int(i[1:])) for i in ids]


def test_both_sides_run_at_once_and_fuse_by_page():
    dense, index, store = Dense(), Index(), Store()
    hybrid = HybridRetriever(dense, LexicalRetriever(store, index, 1, lambda files: set()))
    hits = hybrid.retrieve("kb_1", "question", 3)
    assert [h.chunk.metadata["page"] for h in hits] == [1, 2, 3]  # page 1: a vote from each side
    assert dense.thread.startswith("rag-dense") and index.thread == threading.current_thread().name
    assert store.read == ["c3"]  # the chunk the dense side already read is not read again


@pytest.mark.parametrize("failing", ["dense", "lexical"])
def test_an_error_on_either_side_reaches_the_caller(failing):
    dense, index = Dense(fail=failing == "dense"), Index(fail=failing == "lexical")
    hybrid = HybridRetriever(dense, LexicalRetriever(Store(), index, 1, lambda files: set()))
    with pytest.raises(RuntimeError, match="gone" if failing == "dense" else "damaged"):
        hybrid.retrieve("kb_1", "question", 3)
    assert dense.thread is not None  # the dense side was waited for, not left running
