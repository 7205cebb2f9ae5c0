"""Chunk text and metadata live in the catalog, vectors in the vector store (rag/chunkstore.py)."""

from pdfs import SAMPLE_PAGES, make_pdf, make_sample_pdf
from rag.store.chunks import VECTOR_KEYS


def test_the_vector_store_holds_vectors_and_filter_keys_only(make_engine, tmp_path):
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    kb = engine.parts.catalog.get_kb("default")
    raw = engine.parts.store.vectors.get(kb.collection)
    assert raw and all(c.text is None for c in raw), "no document text is written to chromadb"
    assert all(set(c.metadata) == set(VECTOR_KEYS) for c in raw)

    chunks = engine.parts.store.get(kb.collection)
    assert {c.id for c in chunks} == {c.id for c in raw}
    port = next(c for c in chunks if "8443" in c.text)
    assert port.metadata["file"] == "router.pdf" and port.metadata["page"] == 2
    assert port.metadata["char_end"] > port.metadata["char_start"]
    hit = engine.search("What port does the admin console use?", mode="dense").sources[0]
    assert (hit.file, hit.page) == ("router.pdf", 2) and "8443" in hit.text


def test_chunks_written_by_an_earlier_version_still_read_and_delete(make_engine, embedder, tmp_path):
    """Before this layout, text and metadata were in chromadb: such chunks need no migration."""
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "new.pdf")]))
    kb = engine.parts.catalog.get_kb("default")
    old = make_pdf(tmp_path / "old.pdf", [["The spare key hangs behind the blue door in the hall."]])
    rec = engine.parts.catalog.begin_file(kb, str(old), "old.pdf", old.stat().st_size, old.stat().st_mtime_ns, "0ld" * 21 + "0")
    text = "The spare key hangs behind the blue door in the hall."
    meta = {"file": "old.pdf", "path": str(old), "file_id": rec.id, "sha": rec.pending_sha256, "page": 1,
            "page_end": 1, "char_start": 0, "char_end": len(text), "chunk": 0, "tokens": 12, "section": "", "ocr": False,
            "th": "old-text"}
    cid = f"{rec.id}-{rec.pending_sha256[:16]}-000000"
    engine.parts.store.vectors.add(kb.collection, [cid], embedder.embed_documents([text]), [text], [meta])  # the old way
    engine.parts.lexical.add(kb.id, [(cid, rec.id, rec.pending_sha256, "", text)])
    engine.parts.catalog.commit_file(rec, old.stat().st_size, old.stat().st_mtime_ns, 1, 1)
    assert cid not in engine.parts.store.payload_ids(kb.collection)

    for mode in ("dense", "bm25", "hybrid"):
        top = engine.search("Where is the spare key?", mode=mode).sources[0]
        assert (top.file, top.page, top.text) == ("old.pdf", 1, text), mode
    assert engine.search("Where is the spare key?", files=["old.pdf"], mode="dense").sources[0].file == "old.pdf"
    assert engine.doctor("default") == []

    engine.remove("old.pdf")
    assert engine.parts.store.get(kb.collection, ids=[cid]) == []
    assert {s.file for s in engine.search("Where is the spare key?").sources} == {"new.pdf"}


def test_removing_a_file_deletes_its_text_rows(make_engine, tmp_path):
    engine = make_engine()
    a = make_sample_pdf(tmp_path / "a.pdf")
    b = make_pdf(tmp_path / "b.pdf", [SAMPLE_PAGES[1]])
    list(engine.ingest([a, b]))
    kb = engine.parts.catalog.get_kb("default")
    before = engine.parts.store.payload_ids(kb.collection)
    b_ids = {c.id for c in engine.parts.store.get(kb.collection) if c.metadata["file"] == "b.pdf"}
    assert b_ids and b_ids < before
    engine.remove("b.pdf")
    assert engine.parts.store.payload_ids(kb.collection) == before - b_ids
    assert engine.parts.store.count(kb.collection) == len(before - b_ids)


def test_doctor_finds_text_rows_without_vectors_and_vectors_without_text(make_engine, tmp_path):
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "a.pdf"),
                        make_pdf(tmp_path / "b.pdf", [["The spare key hangs behind the blue door."] * 3])]))
    kb = engine.parts.catalog.get_kb("default")
    chunks = engine.parts.store.get(kb.collection)
    a_chunk = next(c for c in chunks if c.metadata["file"] == "a.pdf")
    b_chunk = next(c for c in chunks if c.metadata["file"] == "b.pdf")
    engine.parts.store.vectors.delete_ids(kb.collection, [a_chunk.id])  # its text row stays behind
    engine.parts.store.delete_rows(kb.collection, [b_chunk.id])  # its vector stays behind, with no text
    # a vector without its text is never shown as a passage
    assert all(s.text for s in engine.search("spare key blue door", mode="dense").sources)

    found = {f.kind: f for f in engine.doctor("default")}
    assert {"orphans", "missing-text", "count-mismatch", "lexical-sync"} <= set(found)
    assert "1 stored chunk texts have no vector" in found["orphans"].message
    repaired = {f.kind: f for f in engine.doctor("default", repair=True)}
    assert a_chunk.id not in engine.parts.store.payload_ids(kb.collection)
    # the two files whose chunks went missing are indexed again from their sources
    assert repaired["reindexed"].repaired and "indexed 2 of 2 file(s) again" in repaired["reindexed"].message
    assert engine.doctor("default") == [], "a repaired store is what a clean ingest gives"
    assert engine.search("spare key blue door").sources[0].file == "b.pdf"


def test_dense_search_is_the_exact_nearest_and_asks_hnsw_for_depth(make_engine, tmp_path, monkeypatch):
    import numpy as np

    from rag.store import chunks as chunkstore

    engine = make_engine()
    pages = [[f"Section {i}: the {w} valve is set to {i * 7} bar before the {w} pump starts."] * 3
             for i, w in enumerate(["red", "blue", "green", "yellow", "black", "white", "grey", "brown"])]
    list(engine.ingest([make_pdf(tmp_path / "valves.pdf", pages), make_sample_pdf(tmp_path / "router.pdf")]))
    kb = engine.parts.catalog.get_kb("default")
    chunks = engine.parts.store.get(kb.collection)
    vectors = engine.parts.store.vectors_by(kb.collection, "th", [c.metadata["th"] for c in chunks])
    matrix = np.stack([vectors[c.metadata["th"]] for c in chunks])

    asked = []
    real = engine.parts.store.vectors.nearest
    monkeypatch.setattr(engine.parts.store.vectors, "nearest", lambda *a, **kw: asked.append(a[2]) or real(*a, **kw))
    for question in ("What pressure is the green valve set to?", "admin console port", "额定电压"):
        q = engine.embedder.embed_query(question)
        exact = [chunks[i].id for i in np.argsort(-(matrix @ q))[:5]]
        got = engine.parts.store.query(kb.collection, q, 5)
        assert [c.id for c in got] == exact, question
        assert all(c.text and "page" in c.metadata for c in got)
        assert [round(c.score, 4) for c in got] == [round(float(s), 4) for s in sorted(matrix @ q, reverse=True)[:5]]
    assert asked == [chunkstore.SEARCH_DEPTH] * 3, "HNSW is asked for SEARCH_DEPTH candidates, then cut to k"


def test_a_chunk_without_text_neither_ends_a_full_read_nor_shortens_a_search(make_engine, tmp_path):
    from rag.store.vectors import all_chunks

    engine = make_engine()
    pages = [[f"Page {i}: the {w} valve is set to {i * 7} bar before the {w} pump starts."] * 3
             for i, w in enumerate(["red", "blue", "green", "yellow", "black", "white", "grey", "brown"])]
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf"), make_pdf(tmp_path / "valves.pdf", pages)]))
    kb = engine.parts.catalog.get_kb("default")
    raw = [c.id for c in all_chunks(engine.parts.store.vectors, kb.collection, page=2)]
    assert len(raw) >= 10
    q = engine.embedder.embed_query("What port does the admin console use?")
    top = [c.id for c in engine.parts.store.query(kb.collection, q, 5)]
    lost = {raw[0], top[0], top[1]}  # the first chunk of the first page, and the two best hits
    engine.parts.store.delete_rows(kb.collection, sorted(lost))
    # paging by 2: the first page has a chunk without text; reading goes on to the end
    assert [c.id for c in all_chunks(engine.parts.store, kb.collection, page=2)] == [i for i in raw if i not in lost]
    again = engine.parts.store.query(kb.collection, q, 5)
    assert len(again) == 5 and not {c.id for c in again} & lost
    assert [c.id for c in again][:3] == [i for i in top if i not in lost][:3]


def test_the_store_works_after_the_engine_is_closed(make_engine, tmp_path):
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    engine.close()
    assert engine.search("What port does the admin console use?").sources[0].page == 2
