"""Knowledge bases and their files, as the stages use them: open a knowledge base (rolling back
what a crash left half-written first), list, create, rename, delete, remove a file, follow
folders, and the checks that a knowledge base is read with the store and embedder it was
built with."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from rag.errors import EmbeddingMismatchError, KnowledgeBaseError, RagError
from rag.store import manifest as cat
from rag.store.manifest import FileRecord, KnowledgeBase
from rag.store.recovery import Recovery


def nothing_yet(name: str) -> KnowledgeBase:
    """The default knowledge base before anything was added to it: empty, and not stored."""
    return KnowledgeBase(0, name, "kb_0", None, None, None, None)


@dataclass(frozen=True)
class EmbedderSuggestion:
    """Index knowledge base `kb` again with `suggested` (a multilingual embedder) instead of
    `current`: `Engine.reindex_kb(kb, embedder=setting)` does it, in about `estimate_s`."""
    kb: str
    current: str  # the embedder the knowledge base is built with (or will be, when empty)
    suggested: str  # catalog name of the suggested embedder
    setting: str  # the embedding_model value that selects it (what reindex_kb(embedder=...) takes)
    reason: str  # "chinese-text": most indexed text is Chinese; "ui-language": the app speaks Chinese
    chinese_share: float  # share of the indexed characters that are Chinese (a sample of chunks)
    pages: int
    chunks: int
    estimate_s: float  # time to index it again with `suggested` on this machine
    measured: bool  # the estimate times the suggested embedder on a sample of the chunks here


SUGGEST_CHINESE_SHARE = 0.5  # "most indexed text is Chinese"
SAMPLE_CHUNKS = 24  # chunks the estimate embeds to time the suggested embedder here
# Without a measurement: e5 chunks/s and the per-page cost of everything but embedding, from
# `./desk bench multilingual` on an AVX2 laptop-class CPU (2 cores).
E5_CHUNKS_PER_S = 20.0
READ_S_PER_PAGE = 0.05


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
        if create:
            kb = self.catalog.ensure_kb(name)
        else:
            kb = self.catalog.find_kb(name)
            if kb is None and name == self.parts.settings.default_kb:
                return nothing_yet(name)  # reading a new data folder creates nothing
            if kb is None:
                kb = self.catalog.get_kb(name)  # the error names the knowledge bases there are
        self.recovery.recover(kb)
        return kb

    def list_kbs(self) -> list[KbInfo]:
        out = []
        for kb in self.catalog.kbs():
            files = self.catalog.files(kb)
            out.append(KbInfo(kb.name, sum(f.state in cat.SEARCHABLE for f in files),
                              sum(f.chunks for f in files if f.state in cat.SEARCHABLE), kb.embed_model))
        return out

    def create_kb(self, name: str, embedder: str | None = None) -> KnowledgeBase:
        """A new, empty knowledge base; `embedder` (an embedding_model value) is the one it will
        be built with, else the settings' embedding_model when the first file is added."""
        emb = self.parts.embedder_for_setting(embedder) if embedder else None  # refused before anything is made
        kb = self.catalog.create_kb(name)
        return self.assign_embedder(kb, emb) if emb is not None else kb

    def assign_embedder(self, kb: KnowledgeBase, emb) -> KnowledgeBase:
        """Record `emb` (and the current chunking) as what `kb` is built with; `kb` holds no chunks."""
        s = self.parts.settings
        return self.catalog.set_kb_model(kb, emb.name, emb.dim, s.chunk_tokens, s.chunk_overlap,
                                         getattr(emb, "precision", None))

    def rename_kb(self, old: str, new: str) -> KnowledgeBase:
        return self.catalog.rename_kb(old, new)

    def delete_kb(self, name: str) -> None:
        with self.parts.writer:
            kb = self.catalog.delete_kb(name)
            self.parts.store.drop(kb.collection)
            self.parts.lexical.drop(kb.id)
            self.catalog.backup()

    # ---- files ---------------------------------------------------------------------------

    def files(self, kb: str | None = None) -> list[FileRecord]:
        """The files of `kb` as the catalog has them, except that files whose vectors are gone
        (the vector store folder deleted) say so instead of "indexed"."""
        kbrec = self.kb(kb)
        records = self.catalog.files(kbrec)
        if not self.store_folder_gone(kbrec, records):
            return records
        why = ("its chunks are gone from the vector store (the chroma folder was deleted?); "
               "`rag-cli doctor --repair` indexes it again from its source")
        return [replace(r, state=cat.VECTORS_MISSING, error=why) if r.state == cat.INDEXED else r for r in records]

    def store_folder_gone(self, kb: KnowledgeBase, records=None) -> bool:
        """Whether `kb` has indexed chunks but the embedded vector store is not there at all."""
        if self.parts.settings.chroma_url:
            return False
        records = self.catalog.files(kb) if records is None else records
        expected = any(r.state == cat.INDEXED and r.chunks for r in records)
        return expected and not (self.parts.home / "chroma" / "chroma.sqlite3").is_file()

    def vectors_lost(self, kb: KnowledgeBase) -> bool:
        """Whether the vector store holds fewer chunks of `kb` than its indexed files have."""
        expected = sum(r.chunks or 0 for r in self.catalog.files(kb) if r.state == cat.INDEXED)
        if not expected:
            return False
        if self.store_folder_gone(kb):
            return True
        return self.parts.store.count(kb.collection) < expected

    def remove(self, file: str, kb: str | None = None) -> FileRecord:
        with self.parts.writer:
            kbrec = self.kb(kb)
            rec = self.match_file(kbrec, file)
            self.delete_chunks(kbrec, rec.id)
            self.catalog.remove_file(rec.id)
            self.catalog.backup()
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
        """Settings that differ from what the knowledge base was built with. Each knowledge base
        keeps its own embedder (embedding_model is the one for new ones): "embedding_model" is
        listed only when the one it was built with cannot be loaded here."""
        kbrec = self.kb(kb)
        if kbrec.embed_model is None:
            return []
        s, out = self.parts.settings, []
        try:
            self.parts.embedder_for(kbrec)
        except RagError:
            out.append("embedding_model")
        if kbrec.chunk_tokens not in (None, s.chunk_tokens):
            out.append("chunk_tokens")
        if kbrec.chunk_overlap not in (None, s.chunk_overlap):
            out.append("chunk_overlap")
        return out

    def embedder_suggestion(self, kb: str | None = None, ui_language: str | None = None,
                            measure: bool = True) -> EmbedderSuggestion | None:
        """Whether to suggest the multilingual e5 embedder for `kb`: when it is built with an
        English-only embedder and most of its indexed text is Chinese, or the app's language
        (`ui_language`, default the setting) is Chinese. None when there is nothing to suggest
        (already multilingual, or e5 not installed). The estimate of the re-index embeds a
        sample of the chunks with e5 here (`measure`; a second or two after e5 loads), else it
        uses the bench's figures."""
        import importlib.util
        import time

        from models.locate import E5_PACKAGE, E5_SETTING
        from rag.embed.embedder import is_multilingual
        from rag.language import cjk_ratio

        kbrec = self.kb(kb)
        current = kbrec.embed_model or self._settings_embedder_name()
        if is_multilingual(current) or importlib.util.find_spec(E5_PACKAGE) is None:
            return None
        records = [f for f in self.catalog.files(kbrec) if f.state == cat.INDEXED] if kbrec.id else []
        pages, chunks = sum(f.pages or 0 for f in records), sum(f.chunks or 0 for f in records)
        sample = self._sample_texts(kbrec, chunks)
        letters = sum(sum(1 for c in t if not c.isspace()) for t in sample)
        share = sum(cjk_ratio(t) * sum(1 for c in t if not c.isspace()) for t in sample) / letters if letters else 0.0
        language = (ui_language or self.parts.settings.ui_language or "").lower()
        if share >= SUGGEST_CHINESE_SHARE:
            reason = "chinese-text"
        elif language.startswith("zh"):
            reason = "ui-language"
        else:
            return None
        embed_s, measured = chunks / E5_CHUNKS_PER_S, False
        if measure and sample:
            e5 = self.parts.embedder_for_setting(E5_SETTING)
            e5.load()
            part = sample[:SAMPLE_CHUNKS]
            t0 = time.perf_counter()
            e5.embed_documents(part)
            embed_s, measured = chunks * (time.perf_counter() - t0) / len(part), True
        return EmbedderSuggestion(kbrec.name, current, "multilingual-e5-small", E5_SETTING, reason, round(share, 3),
                                  pages, chunks, round(embed_s + pages * READ_S_PER_PAGE, 1), measured)

    def _settings_embedder_name(self) -> str:
        loaded = self.parts.embedder_loaded
        if loaded is not None:
            return loaded.name
        from models.locate import resolve_embedder

        try:
            return resolve_embedder(self.parts.settings.embedding_model)[0]
        except RagError:
            return self.parts.settings.embedding_model

    def _sample_texts(self, kb: KnowledgeBase, chunks: int, windows: int = 8, size: int = 40) -> list[str]:
        """Chunk texts from across the knowledge base (a few windows spread over the store)."""
        if not chunks:
            return []
        step = max(size, chunks // windows)
        texts = []
        for offset in range(0, chunks, step):
            texts += [c.text for c in self.parts.store.get(kb.collection, limit=size, offset=offset)]
            if len(texts) >= windows * size:
                break
        return texts

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
        """`kb` is read and extended only by the embedder it was built with (`parts.embedder_for`
        loads it; one that cannot be loaded is an EmbeddingMismatchError saying how to get it), so
        no knowledge base ever holds vectors of two models; a knowledge base without an embedder
        yet records the settings' one and the current chunking."""
        self.check_store(kb)
        emb = self.parts.embedder_for(kb)
        if kb.embed_model is None:
            return self.assign_embedder(kb, emb)
        from rag.embed.embedder import precision_of

        if kb.embed_backend and precision_of(kb.embed_backend) != precision_of(emb.precision):
            raise EmbeddingMismatchError(
                f"knowledge base '{kb.name}' holds {precision_of(kb.embed_backend)} vectors ({kb.embed_backend}), "
                f"not {emb.precision}; index it again (`rag-cli reindex --all`) or create a new knowledge base")
        if kb.embed_model != emb.name or kb.embed_dim not in (None, emb.dim):
            raise EmbeddingMismatchError(
                f"knowledge base '{kb.name}' was built with embedding model '{kb.embed_model}' "
                f"({kb.embed_dim} dimensions), not with '{emb.name}' ({emb.dim}); index it again "
                "(`rag-cli reindex --all`) or create a new knowledge base")
        return kb
