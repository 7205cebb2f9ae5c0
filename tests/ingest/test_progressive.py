"""Progressive indexing: a file is searchable by BM25 once its text is stored (stage
`lexical`), by dense search once all its vectors are (stage `indexed`); a job can return at
the lexical stage and a later job finishes the vectors; what a reader sees at each stage is
what the catalog says."""

import numpy as np

from pdfs import FILLER_EN, SAMPLE_PAGES, make_pdf
from rag.events import FileFailed, FileIndexed, FileProgress, FileSearchable, FileSkipped, IngestDone


def pages_about(topic: str, n: int = 6):
    # the fact is not a page's first or last line: those repeat on every page (digits aside)
    # and are blanked as running headers and footers
    return [[FILLER_EN[0], f"Section {p} of the {topic} manual: the {topic} valve number {p} opens at {p * 10}"
             " kilopascal.", *FILLER_EN[1:]] for p in range(1, n + 1)]


def counts(engine, kb_name="default"):
    kb = engine.parts.catalog.get_kb(kb_name)
    (rec,) = [f for f in engine.list_files(kb_name)]
    store = engine.parts.store
    return {
        "state": rec.state, "chunks": rec.chunks, "embedded": rec.embedded,
        "rows": len(store.file_rows(kb.collection, rec.id, rec.sha256)),
        "vectors": len(store.vector_ids(kb.collection, rec.id, rec.sha256)),
        "lexical": engine.parts.lexical.count(kb.id),
    }


def test_text_is_searchable_before_its_vectors_and_dense_search_follows(make_engine, tmp_path):
    engine = make_engine()
    pdf = make_pdf(tmp_path / "pump.pdf", pages_about("pump"))
    events = list(engine.ingest([pdf], wait=False))
    (searchable,) = [e for e in events if isinstance(e, FileSearchable)]
    assert not [e for e in events if isinstance(e, FileIndexed)], "--no-wait returns at the lexical stage"
    done = events[-1]
    assert isinstance(done, IngestDone) and done.searchable == 1 and done.indexed == 0
    c = counts(engine)
    assert c["state"] == "lexical" and c["rows"] == c["chunks"] == c["lexical"] == searchable.chunks > 0
    assert c["vectors"] == 0, "a job that returns at lexical makes no vectors"
    (rec,) = engine.list_files()
    assert rec.status == "searchable · embedding 0%" and rec.to_json()["stage"] == "lexical"

    # BM25 finds every page now; dense search sees nothing of the file yet; hybrid fuses what is there
    hits = engine.search("pump valve number 5 kilopascal", mode="bm25").sources
    assert hits and hits[0].file == "pump.pdf" and hits[0].page == 5
    assert engine.search("pump valve number 5 kilopascal", mode="dense").sources == ()
    hybrid = engine.search("pump valve number 5 kilopascal", mode="hybrid")
    assert hybrid.sources[0].page == 5 and hybrid.support.dense is None  # no cosine speaks for a lexical file

    # a later job makes the vectors; then dense search finds the file too
    later = list(engine.finish())
    (indexed,) = [e for e in later if isinstance(e, FileIndexed)]
    assert indexed.chunks == searchable.chunks and later[-1].indexed == 1 and later[-1].searchable == 0
    c = counts(engine)
    assert c["state"] == "indexed" and c["vectors"] == c["rows"] == c["chunks"] == c["embedded"]
    dense = engine.search("pump valve number 5 kilopascal", mode="dense").sources
    assert dense and dense[0].file == "pump.pdf"
    assert engine.list_files()[0].status == "indexed"


def test_progressive_vectors_equal_those_of_a_one_pass_ingest(make_engine, tmp_path):
    """Full hybrid quality once embedding finishes: the same chunks get the same vectors
    whether the job waited or the vectors were made later."""
    engine = make_engine()
    pdf = make_pdf(tmp_path / "manual.pdf", [SAMPLE_PAGES[0], SAMPLE_PAGES[1], *pages_about("fan", 3)])
    list(engine.ingest([pdf], kb="waited"))
    list(engine.ingest([pdf], kb="later", wait=False))
    list(engine.finish("later"))
    got = {}
    for name in ("waited", "later"):
        kb = engine.parts.catalog.get_kb(name)
        (rec,) = engine.list_files(name)
        assert rec.state == "indexed"
        rows = engine.parts.store.file_rows(kb.collection, rec.id, rec.sha256)
        chunk_ids = [c.id for c in rows]
        vectors = engine.parts.store.vectors_by(kb.collection, "th", [c.metadata["th"] for c in rows])
        got[name] = ([c.text for c in rows], np.stack([vectors[c.metadata["th"]] for c in rows]), len(chunk_ids))
    assert got["waited"][0] == got["later"][0]
    assert np.allclose(got["waited"][1], got["later"][1], atol=1e-6)
    q = "What port does the admin console use?"
    assert ([s.page for s in engine.search(q, kb="waited").sources]
            == [s.page for s in engine.search(q, kb="later").sources])


def test_a_later_ingest_finishes_files_left_lexical_and_rereads_a_changed_one(make_engine, tmp_path):
    engine = make_engine()
    a = make_pdf(tmp_path / "a.pdf", pages_about("boiler", 3))
    b = make_pdf(tmp_path / "b.pdf", pages_about("heater", 3))
    list(engine.ingest([a, b], wait=False))
    assert {f.name: f.state for f in engine.list_files()} == {"a.pdf": "lexical", "b.pdf": "lexical"}
    make_pdf(b, pages_about("chiller", 4))  # b changes while it waits for its vectors
    events = list(engine.ingest([a, b]))
    skipped = [e for e in events if isinstance(e, FileSkipped)]
    assert [e.name for e in skipped] == ["a.pdf"] and "searchable" in skipped[0].reason
    assert sorted(e.name for e in events if isinstance(e, FileIndexed)) == ["a.pdf", "b.pdf"]
    assert {f.name: f.state for f in engine.list_files()} == {"a.pdf": "indexed", "b.pdf": "indexed"}
    kb = engine.parts.catalog.get_kb("default")
    files = {f.name: f for f in engine.list_files()}
    assert engine.parts.store.count(kb.collection) == engine.parts.lexical.count(kb.id) == \
        files["a.pdf"].chunks + files["b.pdf"].chunks, "nothing of b's first version is left"
    assert not any("heater" in s.text for s in engine.search("heater valve number", mode="bm25").sources)
    assert engine.search("chiller valve number 4", mode="dense").sources[0].file == "b.pdf"


def test_a_lexical_file_is_committed_text_for_recovery_and_doctor(make_engine, tmp_path):
    engine = make_engine()
    list(engine.ingest([make_pdf(tmp_path / "p.pdf", pages_about("press", 4))], wait=False))
    engine.close()
    again = make_engine()  # a new process opening the data folder runs recovery
    (rec,) = again.list_files()
    assert rec.state == "lexical" and rec.error is None
    assert again.search("press valve number 3", mode="bm25").sources[0].page == 3
    findings = [f for f in again.doctor() if f.kind != "missing-source"]
    assert findings == [], findings
    list(again.finish())
    assert again.list_files()[0].state == "indexed" and [f for f in again.doctor()] == []


def test_vectors_that_cannot_be_stored_leave_the_text_searchable(make_engine, tmp_path, monkeypatch):
    engine = make_engine()
    list(engine.ingest([make_pdf(tmp_path / "v.pdf", pages_about("valve", 4))], wait=False))
    real = engine.parts.store.add_vectors

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(engine.parts.store, "add_vectors", broken)
    events = list(engine.finish())
    (failed,) = [e for e in events if isinstance(e, FileFailed)]
    assert "its text is searchable" in failed.reason and "disk full" in failed.reason
    (rec,) = engine.list_files()
    assert rec.state == "lexical" and "disk full" in rec.error
    assert engine.search("valve number 2 kilopascal", mode="bm25").sources[0].page == 2
    monkeypatch.setattr(engine.parts.store, "add_vectors", real)
    list(engine.finish())
    (rec,) = engine.list_files()
    assert rec.state == "indexed" and rec.error is None


def test_embedding_progress_is_reported_per_file(make_engine, tmp_path):
    engine = make_engine()
    pdf = make_pdf(tmp_path / "long.pdf", pages_about("turbine", 40))
    events = list(engine.ingest([pdf]))
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("FileSearchable") < kinds.index("FileIndexed")
    progress = [e for e in events if isinstance(e, FileProgress) and e.unit == "chunk"]
    searchable = next(e for e in events if isinstance(e, FileSearchable))
    assert all(0 <= e.done < e.total == searchable.chunks for e in progress)
    assert all(e.describe().startswith("searchable · embedding ") for e in progress)
    reading = [e for e in events if isinstance(e, FileProgress) and e.stage == "reading"]
    assert reading and reading[-1].done == 40


def test_chunks_waiting_as_ids_alone_get_the_vectors_of_their_full_text(make_engine, tmp_path, monkeypatch):
    """When reading is far ahead of embedding, waiting chunks are kept as ids (memory stays
    flat on a 200 MB file) and their text and section are read back from the stored rows:
    the vectors are those the chunks would have had, and the file ends indexed."""
    from rag.ingest import embedding

    md = tmp_path / "guide.md"
    md.write_text("".join(f"# Chapter {n}: the {t} unit\n\n" + " ".join(
        f"The {t} unit {n} holds {n * i} litres and drains through outlet {i}." for i in range(1, 40)) + "\n\n"
        for n, t in enumerate(["boiler", "heater", "chiller", "pump", "fan"], 1)), encoding="utf-8")
    engine = make_engine()
    list(engine.ingest([md], kb="full"))
    read_back = []
    real = engine.parts.store.texts
    monkeypatch.setattr(engine.parts.store, "texts", lambda c, ids: read_back.extend(ids) or real(c, ids))
    monkeypatch.setattr(embedding, "LIGHT_BACKLOG", 0)  # every waiting chunk is an id alone
    events = list(engine.ingest([md], kb="light"))
    assert [e.name for e in events if isinstance(e, FileIndexed)] == ["guide.md"]
    vectors = {}
    for name in ("full", "light"):
        kb = engine.parts.catalog.get_kb(name)
        (rec,) = engine.list_files(name)
        assert rec.state == "indexed" and rec.embedded == rec.chunks > 1
        rows = engine.parts.store.file_rows(kb.collection, rec.id, rec.sha256)
        assert any(c.metadata.get("section") for c in rows), "the chunks carry their chapter title"
        found = engine.parts.store.vectors_by(kb.collection, "th", [c.metadata["th"] for c in rows])
        vectors[name] = np.stack([found[c.metadata["th"]] for c in rows])
        if name == "light":
            assert sorted(read_back) == sorted(c.id for c in rows), "every chunk's text was read back"
    np.testing.assert_allclose(vectors["light"], vectors["full"], atol=1e-5)


def test_a_waiting_chunk_whose_row_is_gone_fails_its_file_and_keeps_the_rest(make_engine, tmp_path, monkeypatch):
    from rag.ingest import embedding

    engine = make_engine()
    monkeypatch.setattr(embedding, "LIGHT_BACKLOG", 0)
    real = engine.parts.store.texts
    monkeypatch.setattr(engine.parts.store, "texts",
                        lambda c, ids: [r for r in real(c, ids) if not r.id.startswith(f"{first.id}-")])
    a = make_pdf(tmp_path / "a.pdf", pages_about("boiler", 3))
    list(engine.ingest([a], wait=False))
    (first,) = engine.list_files()
    b = make_pdf(tmp_path / "b.pdf", pages_about("heater", 3))
    events = list(engine.ingest([a, b]))
    (failed,) = [e for e in events if isinstance(e, FileFailed)]
    assert failed.name == "a.pdf" and "missing" in failed.reason
    states = {f.name: f.state for f in engine.list_files()}
    assert states == {"a.pdf": "lexical", "b.pdf": "indexed"}
    monkeypatch.setattr(engine.parts.store, "texts", real)  # search reads the rows too
    hits = engine.search("boiler manual", mode="bm25").sources
    assert any(h.file == "a.pdf" and "boiler" in h.text for h in hits), "a's text stays searchable"


def test_embedding_progress_moves_batch_by_batch_within_a_group(make_engine, tmp_path, monkeypatch):
    """A group (up to 512 chunks) is embedded in one call; the file's "embedding N%" still
    moves as each batch ends, before any of the group's vectors is stored, and never back."""
    from rag.ingest import embedding, group_progress

    engine = make_engine()
    monkeypatch.setattr(embedding, "WRITE_SLICE", 10_000)  # a group's vectors are stored in one write
    monkeypatch.setattr(group_progress, "PROGRESS_EVERY_S", 0.0)
    monkeypatch.setattr(engine.embedder, "batch_size", 4)
    stored_when = []
    real = engine.parts.store.add_vectors
    monkeypatch.setattr(engine.parts.store, "add_vectors",
                        lambda *a, **k: stored_when.append(len(a[1])) or real(*a, **k))
    pdf = make_pdf(tmp_path / "long.pdf", pages_about("turbine", 40))
    events = list(engine.ingest([pdf]))
    searchable = next(e for e in events if isinstance(e, FileSearchable))
    progress = [e.done for e in events if isinstance(e, FileProgress) and e.stage == "embedding"]
    stored = {sum(stored_when[:i + 1]) for i in range(len(stored_when))}  # counts a store write can report
    assert sum(stored_when) == searchable.chunks and len(stored_when) <= 3
    assert len(set(progress) - stored) >= 2, (progress, stored_when)  # moved by finished batches
    assert progress == sorted(progress) and 0 < progress[0] and progress[-1] < searchable.chunks
    assert isinstance(next(e for e in events if isinstance(e, FileIndexed)), FileIndexed)
    assert engine.list_files()[0].state == "indexed"
