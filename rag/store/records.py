"""What the catalog holds, as values: knowledge bases, files with the stage of their committed
version, and the view a search takes of them (rag.store.manifest reads and writes them)."""

from __future__ import annotations

from dataclasses import dataclass


# file states
INDEXED = "indexed"  # the committed version has its text and all its vectors: BM25 and dense search see it
LEXICAL = "lexical"  # the committed version has its text (BM25 sees it); its vectors are being made
INDEXING = "indexing"  # a version is being read; readers see the previous committed version, if any
FAILED = "failed"
INTERRUPTED = "not indexed (interrupted)"
VECTORS_MISSING = "vectors missing"  # shown, never stored: indexed, but the vector store lost its chunks
SEARCHABLE = (INDEXED, LEXICAL)  # stages of a committed version
VECTOR_ERROR = "its text is searchable, but its vectors could not be made"  # a lexical file's error starts so


@dataclass(frozen=True)
class KnowledgeBase:
    id: int
    name: str
    collection: str
    embed_model: str | None
    embed_dim: int | None
    chunk_tokens: int | None
    chunk_overlap: int | None
    embed_backend: str | None = None  # backend and precision of the vectors, e.g. "onnx-fp32"


@dataclass(frozen=True)
class FileRecord:
    id: int
    kb_id: int
    path: str
    name: str
    size: int | None
    mtime_ns: int | None
    sha256: str | None
    pending_sha256: str | None
    stale_sha256: str | None
    state: str
    pages: int
    chunks: int
    error: str | None
    updated: float
    stage: str | None = None  # stage of the committed version: lexical, indexed (None: none, or an older catalog)
    embedded: int = 0  # chunks of the version being embedded that have their vector

    @property
    def committed_stage(self) -> str | None:
        """`lexical` or `indexed` for the committed version (what search sees), else None."""
        if self.sha256 is None:
            return None
        return self.stage or INDEXED  # catalogs written before stages: every committed version is indexed

    @property
    def embedding_percent(self) -> int:
        return min(99, int(100 * self.embedded / self.chunks)) if self.chunks else 0

    @property
    def status(self) -> str:
        """The stage as a person reads it: what search can find of the file right now."""
        if self.state == LEXICAL:
            return f"searchable · embedding {self.embedding_percent}%"
        if self.state == INDEXING and self.committed_stage:
            return f"{self.committed_stage} · re-indexing"
        return self.state

    def to_json(self) -> dict:
        return {
            "file": self.name,
            "path": self.path,
            "pages": self.pages,
            "chunks": self.chunks,
            "status": self.state,
            "stage": self.committed_stage,  # what search sees: lexical (BM25 only), indexed (BM25 + dense), null
            "embedded": self.embedded if self.committed_stage == LEXICAL else
            (self.chunks if self.committed_stage == INDEXED else 0),
            "progress": self.status,
            "error": self.error,
            "sha256": self.sha256,
            "updated": self.updated,
        }


@dataclass(frozen=True)
class SearchView:
    """What a search may show of a knowledge base at one moment: `hidden` (file id, sha)
    versions have chunks in the vector store that dense search must not return (pending,
    stale, or `lexical` ones still being embedded); `lexical` files are found by BM25 only."""
    any_indexed: bool  # at least one file's vectors are complete (else dense search is skipped)
    hidden: frozenset = frozenset()
    lexical: frozenset = frozenset()
