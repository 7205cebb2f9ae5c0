"""Store integrity: find (and optionally repair) what can drift between the catalog, the
vector store and the lexical index. Used by `Engine.doctor` (`rag-cli doctor`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    kb: str
    kind: str  # orphans | missing-text | missing-source | model-mismatch | lexical-sync | count-mismatch
    message: str
    repaired: bool = False
    path: str = ""  # a file whose chunks must be indexed again from its source


def check(parts, recovery, kb_name: str, repair: bool = False) -> list[Finding]:
    """What is out of step in knowledge base `kb_name` (`parts`: rag.parts.Parts; `recovery`:
    rag.store.recovery.Recovery, which first rolls back what a crash left); with `repair`,
    what can be fixed here is fixed."""
    from rag.store import manifest as cat
    from rag.store.bm25 import stored_row

    kb = parts.catalog.get_kb(kb_name)
    recovery.recover(kb)
    findings: list[Finding] = []
    files = {f.id: f for f in parts.catalog.files(kb)}
    committed = {fid: f.sha256 for fid, f in files.items() if f.state in cat.SEARCHABLE}
    # Files at stage `lexical`: committed text whose vectors are still being made (rows without
    # vectors are theirs, and BM25 indexes their rows).
    lexical = {fid: f.sha256 for fid, f in files.items() if f.state == cat.LEXICAL}
    lexical_rows = {fid: parts.store.file_rows(kb.collection, fid, sha) for fid, sha in lexical.items()}
    lexical_ids = {c.id for rows in lexical_rows.values() for c in rows}

    if kb.embed_model:  # each knowledge base is read by its own embedder: a problem only if it is not here
        from rag.errors import RagError

        try:
            parts.embedder_for(kb)
        except RagError as err:
            findings.append(Finding(kb.name, "model-mismatch", str(err)))

    scanned = list(parts.store.scan(kb.collection))  # (id, chunk or None where its text is gone)
    stored = [c for _, c in scanned if c is not None]
    orphans = [c.id for c in stored
               if committed.get(int(c.metadata.get("file_id", -1))) != c.metadata.get("sha")]
    if orphans:
        if repair:
            parts.store.delete_ids(kb.collection, orphans)
        findings.append(Finding(kb.name, "orphans", f"{len(orphans)} chunks belong to no committed file version",
                                repaired=repair))
    # Text and metadata rows in the catalog whose vector is gone (see chunkstore.py).
    stray = parts.store.payload_ids(kb.collection) - {cid for cid, _ in scanned} - lexical_ids
    if stray:
        if repair:
            parts.store.delete_rows(kb.collection, sorted(stray))
        findings.append(Finding(kb.name, "orphans", f"{len(stray)} stored chunk texts have no vector",
                                repaired=repair))
    # Vectors whose text is gone: nothing can show them; the file must be ingested again.
    textless = sorted(cid for cid, c in scanned if c is None)
    if textless:
        if repair:
            parts.store.delete_ids(kb.collection, textless)
        findings.append(Finding(kb.name, "missing-text", f"{len(textless)} chunks have lost their text",
                                repaired=repair))

    dropped = set(orphans)
    live = {c.id: c for c in stored if c.id not in dropped and int(c.metadata.get("file_id", -1)) not in lexical}
    per_file: dict[int, int] = {}
    for c in live.values():
        per_file[int(c.metadata["file_id"])] = per_file.get(int(c.metadata["file_id"]), 0) + 1
    for fid, f in files.items():
        if f.state == cat.INDEXED and per_file.get(fid, 0) != f.chunks:
            how = ("`rag-cli doctor --repair` indexes it again from its source" if Path(f.path).is_file()
                   else "its source file is gone too: add it again from a copy")
            findings.append(Finding(kb.name, "count-mismatch",
                                    f"{f.name}: catalog says {f.chunks} chunks, the store holds {per_file.get(fid, 0)}; "
                                    f"{how}", path=f.path if Path(f.path).is_file() else ""))
        if f.state == cat.LEXICAL and len(lexical_rows.get(fid, ())) != f.chunks:
            findings.append(Finding(kb.name, "count-mismatch",
                                    f"{f.name}: catalog says {f.chunks} chunks, {len(lexical_rows.get(fid, ()))} texts "
                                    "are stored; `rag-cli doctor --repair` indexes it again from its source",
                                    path=f.path if Path(f.path).is_file() else ""))
        if f.state in cat.SEARCHABLE and not Path(f.path).exists():
            findings.append(Finding(kb.name, "missing-source",
                                    f"{f.name}: the source file {f.path} is gone; its stored text still answers "
                                    "questions, but citations cannot open the page"))

    indexed_ids = parts.lexical.committed_ids(kb.id)
    expected = set(live) | lexical_ids
    if indexed_ids != expected:
        missing, extra = expected - indexed_ids, indexed_ids - expected
        if repair:
            rows = [*live.values(), *(c for rows in lexical_rows.values() for c in rows)]
            parts.lexical.rebuild(kb.id, map(stored_row, rows))
        findings.append(Finding(kb.name, "lexical-sync",
                                f"lexical index out of sync ({len(missing)} missing, {len(extra)} extra rows)",
                                repaired=repair))
    return findings
