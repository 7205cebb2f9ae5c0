"""Knowledge bases and their files, as the stages use them: open a knowledge base (rolling back
what a crash left half-written first), list, create, rename, delete, remove a file, follow
folders, and the checks that a knowledge base is read with the store and embedder it was
built with."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from rag.errors import EmbeddingMismatchError, KnowledgeBaseError, RagError
from rag.store import manifest as cat
from rag.store.manifest import FileRecord, KnowledgeBase
from rag.store.recovery import Recovery


@dataclass(frozen=True)
class KbInfo:
    name: str
    files: int
    chunks: int
    embed_model: str | None


class Library:
    def __init__(self, parts):
        self.parts = parts
        self.recovery = Recovery(parts)

    @property
    def catalog(self):
        return self.parts.catalog

    # ---- knowledge bases ---------------------------------------------------------------

    def kb(self, name: str | None, create: bool = False) -> KnowledgeBase:
        """The knowledge base `name` (the default one when None), rolled back to a consistent
        state first; the default knowledge base (or any, with `create`) is made if missing."""
        name = name or self.parts.settings.default_kb
        if create or name == self.parts.settings.default_kb:
            kb = self.catalog.ensure_kb(name)
        else:
            kb = self.catalog.get_kb(name)
        self.recovery.recover(kb)
        return kb

    def list_kbs(self) -> list[KbInfo]:
        out = []
        for kb in self.catalog.kbs():
            files = self.catalog.files(kb)
            out.append(KbInfo(kb.name, sum(f.state == cat.INDEXED for f in files),
                              sum(f.chunks for f in files if f.state == cat.INDEXED), kb.embed_model))
        return out

    def create_kb(self, name: str) -> KnowledgeBase:
        return self.catalog.create_kb(name)

    def rename_kb(self, old: str, new: str) -> KnowledgeBase:
        return self.catalog.rename_kb(old, new)

    def delete_kb(self, name: str) -> None:
        with self.parts.writer:
            kb = self.catalog.delete_kb(name)
            self.parts.store.drop(kb.collection)
            self.parts.lexical.drop(kb.id)

    # ---- files ---------------------------------------------------------------------------

    def files(self, kb: str | None = None) -> list[FileRecord]:
        return self.catalog.files(self.kb(kb))

    def remove(self, file: str, kb: str | None = None) -> FileRecord:
        with self.parts.writer:
            kbrec = self.kb(kb)
            rec = self.match_file(kbrec, file)
            self.delete_chunks(kbrec, rec.id)
            self.catalog.remove_file(rec.id)
        return rec

    def match_file(self, kb: KnowledgeBase, file: str) -> FileRecord:
        """The file of `kb` named `file` (a base name, or a path when it holds a separator)."""
        files = self.catalog.files(kb)
        target = str(Path(file).expanduser().resolve()) if ("/" in file or "\\" in file) else None
        matches = [f for f in files if f.path == target] if target else [f for f in files if f.name == file]
        if not matches:
            raise KnowledgeBaseError(f"'{file}' is not in knowledge base '{kb.name}'; see `rag-cli list`")
        if len(matches) > 1:
            paths = ", ".join(m.path for m in matches)
            raise KnowledgeBaseError(f"'{file}' matches several files ({paths}); give the full path")
        return matches[0]

    def file_ids(self, kb: KnowledgeBase, files: Sequence[str]) -> set[int]:
        """Catalog ids of the files named by base name or full path (search filters)."""
        wanted = set(files)
        return {f.id for f in self.catalog.files(kb) if f.name in wanted or f.path in wanted}

    def delete_chunks(self, kb: KnowledgeBase, file_id: int, sha: str | None = None) -> None:
        """A file's chunks (of one version, with `sha`) out of the vector store and the BM25 index."""
        self.recovery.delete_chunks(kb, file_id, sha)

    def missing_sources(self, kb: str | None = None) -> list[FileRecord]:
        return [f for f in self.catalog.files(self.kb(kb)) if not Path(f.path).is_file()]

    def needs_reindex(self, kb: str | None = None) -> list[str]:
        """Settings that differ from what the knowledge base was built with."""
        from models.locate import resolve_embedder

        kbrec = self.kb(kb)
        if kbrec.embed_model is None:
            return []
        s, out = self.parts.settings, []
        loaded = self.parts.embedder_loaded
        try:
            name = loaded.name if loaded is not None else resolve_embedder(s.embedding_model)[0]
        except RagError:
            name = s.embedding_model
        if kbrec.embed_model != name:
            out.append("embedding_model")
        if kbrec.chunk_tokens not in (None, s.chunk_tokens):
            out.append("chunk_tokens")
        if kbrec.chunk_overlap not in (None, s.chunk_overlap):
            out.append("chunk_overlap")
        return out

    # ---- watched folders -----------------------------------------------------------------

    def watched_folders(self, kb: str | None = None) -> list[str]:
        return self.catalog.watches(self.kb(kb))

    def watch(self, folder: str | Path, kb: str | None = None) -> str:
        path = Path(folder).expanduser()
        if not path.is_dir():
            raise RagError(f"{folder}: not a folder; give a folder to follow")
        resolved = str(path.resolve())
        self.catalog.add_watch(self.kb(kb, create=True), resolved)
        return resolved

    def unwatch(self, folder: str | Path, kb: str | None = None) -> None:
        kbrec = self.kb(kb)
        resolved = str(Path(folder).expanduser().resolve())
        if not (self.catalog.remove_watch(kbrec, resolved) or self.catalog.remove_watch(kbrec, str(folder))):
            raise RagError(f"{folder}: knowledge base '{kbrec.name}' does not follow this folder")

    # ---- what a knowledge base was built with ----------------------------------------------

    def check_store(self, kb: KnowledgeBase) -> None:
        """A knowledge base's vectors live in one vector store; refuse to mix stores."""
        self.recovery.check_store(kb)

    def check_model(self, kb: KnowledgeBase) -> KnowledgeBase:
        """Refuse to read or extend `kb` with another embedder than the one it was built with;
        a knowledge base without chunks yet records the current embedder and chunking."""
        self.check_store(kb)
        emb = self.parts.embedder
        s = self.parts.settings
        if kb.embed_model is None:
            return self.catalog.set_kb_model(kb, emb.name, emb.dim, s.chunk_tokens, s.chunk_overlap,
                                             getattr(emb, "precision", None))
        if kb.embed_model != emb.name:
            raise EmbeddingMismatchError(
                f"knowledge base '{kb.name}' was built with embedding model '{kb.embed_model}' "
                f"but the current setting is '{emb.name}'; switch embedding_model back, or create a new "
                "knowledge base for the new model"
            )
        return kb
