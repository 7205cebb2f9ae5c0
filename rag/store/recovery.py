"""Keeping a knowledge base consistent across crashes and versions.

- Crash recovery: a file's new version sits in the catalog as *pending* until all its chunks'
  texts are written, and the old one as *stale* until its chunks are deleted. Opening a
  knowledge base deletes the chunks of both, so every file is fully at one stage of one
  version or not indexed. A version at stage `lexical` is committed text whose vectors are
  still being made: it is not a leftover, and the vectors it has are kept (the next job makes
  the rest). Only with the writer lock: a file that another process is writing looks just
  like a crash's leftover, so while a writer is at work this waits for a later call.
- Index migration: a BM25 table written by an older version of RAG Desk is rebuilt from the
  stored chunks the first time a search or an ingest needs it; nothing is embedded again.
"""

from __future__ import annotations

import logging
import time

from rag.errors import KnowledgeBaseError, ReadOnlyDataError, WriterBusyError
from rag.store import manifest as cat
from rag.store.manifest import KnowledgeBase

log = logging.getLogger("rag.store.recovery")


def searchable_rows(store, collection: str, files):
    """The lexical rows of every committed chunk: from the vector store's chunks for files at
    stage `indexed`, from the chunk rows for files at stage `lexical` (which may lack vectors)."""
    from rag.store.bm25 import stored_row
    from rag.store.vectors import all_chunks

    lexical = {f.id: f.sha256 for f in files if f.state == cat.LEXICAL and f.sha256}
    for chunk in all_chunks(store, collection):
        if int(chunk.metadata.get("file_id", -1)) not in lexical:
            yield stored_row(chunk)
    for fid, sha in lexical.items():
        yield from map(stored_row, store.file_rows(collection, fid, sha))


class Recovery:
    def __init__(self, parts):
        self.parts = parts
        self._recovered: set[int] = set()
        self._lexical_current: set[int] = set()

    def forget(self) -> None:
        """After a switch of vector store: check every knowledge base again on next use."""
        self._recovered.clear()
        self._lexical_current.clear()

    def delete_chunks(self, kb: KnowledgeBase, file_id: int, sha: str | None = None) -> None:
        where = {"file_id": file_id} if sha is None else {"$and": [{"file_id": file_id}, {"sha": sha}]}
        self.parts.store.delete(kb.collection, where)
        self.parts.lexical.delete(kb.id, file_id, sha)

    def recover(self, kb: KnowledgeBase) -> None:
        """Roll back whatever a crash left half-written in this knowledge base (see above)."""
        if kb.id in self._recovered:
            return
        catalog = self.parts.catalog
        if catalog.unfinished(kb):
            try:
                with self.parts.writer:
                    for rec in catalog.unfinished(kb):
                        for sha in (rec.pending_sha256, rec.stale_sha256):
                            if sha:
                                self.delete_chunks(kb, rec.id, sha)
                        catalog.settle_interrupted(rec)
            except (WriterBusyError, ReadOnlyDataError):
                return  # a writer is at work (its pending files are not leftovers), or nobody may write
        self._recovered.add(kb.id)

    def check_store(self, kb: KnowledgeBase) -> None:
        """A knowledge base's vectors live in one vector store; refuse to mix stores."""
        here = self.parts.settings.chroma_url.rstrip("/") or "embedded"
        recorded = self.parts.catalog.kb_store(kb)
        if recorded is None:
            self.parts.catalog.set_kb_store(kb, here)
        elif recorded != here:
            where = "the embedded store on this computer" if recorded == "embedded" else f"the Chroma server {recorded}"
            now = "the embedded store" if here == "embedded" else f"the Chroma server {here}"
            raise KnowledgeBaseError(
                f"knowledge base '{kb.name}' is stored in {where}, but the vector store setting now points to {now}; "
                "switch chroma_url back, or rebuild it here with `rag-cli reindex --all`")

    def lexical_for(self, kb: KnowledgeBase, required: bool = False):
        """The BM25 index, its table for `kb` first brought to the current layout if an older
        version of RAG Desk wrote it. Done where BM25 is first needed (a search, an ingest), on
        that caller's thread, so opening the app or listing documents never waits for it. For a
        search (`required` false) the older table still answers while another writer is at work
        or when the rebuild fails (its columns are a subset); an ingest must have the current
        layout."""
        lexical = self.parts.lexical
        if kb.id in self._lexical_current:
            return lexical
        if lexical.outdated(kb.id):
            try:
                with self.parts.writer:
                    if lexical.outdated(kb.id):
                        self._rebuild_lexical(kb)
            except (WriterBusyError, ReadOnlyDataError):
                if required:
                    raise
                return lexical  # try again at the next search
            except Exception as exc:
                if required:
                    raise
                log.warning("could not rebuild the lexical index of %s (%s); searching the older one", kb.name, exc)
        self._lexical_current.add(kb.id)
        return lexical

    def _rebuild_lexical(self, kb: KnowledgeBase) -> None:
        """Write a knowledge base's BM25 table again, in the current layout, from its stored
        chunks. The old table stays in place unless the store holds at least the chunks the
        catalog counts."""
        self.check_store(kb)  # never rebuild from another vector store than the one it was built in
        started = time.perf_counter()
        files = self.parts.catalog.files(kb)
        expected = sum(f.chunks or 0 for f in files if f.state in cat.SEARCHABLE)
        rows = self.parts.lexical.rebuild(kb.id, searchable_rows(self.parts.store, kb.collection, files),
                                          expect=expected)
        log.info("rebuilt the lexical index of %s (%d chunks) in %.1f s", kb.name, rows, time.perf_counter() - started)
