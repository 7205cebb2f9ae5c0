import os
import time

import pytest

from pdfs import SAMPLE_PAGES, make_image_only_pdf, make_pdf, make_sample_pdf
from rag.errors import EmbeddingMismatchError, KnowledgeBaseError
from rag.events import FileFailed, FileIndexed, FileProgress, FileSkipped, FileStarted, IngestDone


def run(engine, paths, kb=None):
    return list(engine.ingest(paths, kb=kb))


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_ingest_then_search_finds_right_page(make_engine, tmp_path):
    engine = make_engine()
    pdf = make_sample_pdf(tmp_path / "router.pdf")
    events = run(engine, [pdf])
    assert isinstance(events[0], FileStarted)
    assert of(events, FileProgress), "progress must be reported"
    (done,) = of(events, FileIndexed)
    assert done.pages == 4 and done.chunks >= 4
    assert of(events, IngestDone)[0].indexed == 1

    hit = engine.search("What port does the admin console use?").sources[0]
    assert (hit.file, hit.page) == ("router.pdf", 2)
    assert "8443" in hit.text
    zh = engine.search("额定电压是多少").sources
    assert 3 in [s.page for s in zh[:2]]

    (rec,) = engine.list_files()
    assert rec.state == "indexed" and rec.chunks == done.chunks and rec.pages == 4


def test_reingest_unchanged_is_skipped_without_work(make_engine, tmp_path, monkeypatch):
    engine = make_engine()
    folder = tmp_path / "docs"
    for i in range(3):
        make_pdf(folder / f"f{i}.pdf", [[f"Document {i} talks about subject {i}."] + SAMPLE_PAGES[1]])
    run(engine, [folder])
    count = engine.parts.store.count(engine.parts.catalog.get_kb("default").collection)
    import rag.ingest.pipeline

    calls = []
    monkeypatch.setattr(rag.ingest.pipeline, "file_sha256", lambda p: calls.append(p))
    # the same signature as Embedder.embed_documents: a call would be recorded, not raise
    monkeypatch.setattr(engine.embedder, "embed_documents", lambda texts, check=None: calls.append(texts))
    events = run(engine, [folder])
    assert len(of(events, FileSkipped)) == 3 and not of(events, FileIndexed)
    assert calls == [], "an unchanged file is neither re-hashed nor re-embedded"
    assert engine.parts.store.count(engine.parts.catalog.get_kb("default").collection) == count


def test_touched_but_identical_file_is_skipped(make_engine, tmp_path):
    engine = make_engine()
    pdf = make_sample_pdf(tmp_path / "a.pdf")
    run(engine, [pdf])
    os.utime(pdf, (time.time() + 100, time.time() + 100))
    assert of(run(engine, [pdf]), FileSkipped)


def test_changed_file_replaces_its_chunks(make_engine, tmp_path):
    engine = make_engine()
    pdf = make_pdf(tmp_path / "doc.pdf", [["The launch code is ALPHA-7."] * 3])
    run(engine, [pdf])
    make_pdf(pdf, [["The launch code is BRAVO-9. It changed last week."]] * 2)
    events = run(engine, [pdf])
    (done,) = of(events, FileIndexed)
    collection = engine.parts.catalog.get_kb("default").collection
    stored = engine.parts.store.get(collection)
    assert len(stored) == done.chunks
    assert all("BRAVO-9" in c.text for c in stored)
    assert len({c.metadata["sha"] for c in stored}) == 1


def test_bad_files_fail_with_reasons_and_good_ones_index(make_engine, tmp_path):
    engine = make_engine()
    good = make_sample_pdf(tmp_path / "good.pdf")
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "fake.pdf").write_text("just text")
    scan = make_image_only_pdf(tmp_path / "scan.pdf")
    events = run(engine, [tmp_path / "empty.pdf", tmp_path / "fake.pdf", scan, tmp_path / "nope.pdf", good])
    failed = {e.path.name: e.reason for e in of(events, FileFailed)}
    assert set(failed) == {"empty.pdf", "fake.pdf", "scan.pdf", "nope.pdf"}
    assert "empty" in failed["empty.pdf"] and "not a PDF" in failed["fake.pdf"]
    assert "no text layer" in failed["scan.pdf"] and "no such file" in failed["nope.pdf"]
    assert [e.path.name for e in of(events, FileIndexed)] == ["good.pdf"]
    states = {f.name: f.state for f in engine.list_files()}
    assert states["good.pdf"] == "indexed" and states["scan.pdf"] == "failed"
    assert engine.search("admin console port").sources[0].file == "good.pdf"


def test_crash_leftovers_are_rolled_back_on_open(make_engine, tmp_path, embedder):
    """Simulate a process killed mid-file: pending chunks written, never committed."""
    engine = make_engine()
    good = make_sample_pdf(tmp_path / "good.pdf")
    run(engine, [good])
    kb = engine.parts.catalog.get_kb("default")
    before = engine.parts.store.count(kb.collection)
    rec = engine.parts.catalog.begin_file(kb, str(tmp_path / "half.pdf"), "half.pdf", 10, 1, "deadbeef" * 8)
    vec = embedder.embed_documents(["half written chunk"])
    engine.parts.store.add(kb.collection, ["x-1"], vec, ["half written chunk"],
                     [{"file": "half.pdf", "path": rec.path, "file_id": rec.id, "sha": "deadbeef" * 8,
                       "page": 1, "page_end": 1}])
    engine.parts.lexical.add(kb.id, [("x-1", rec.id, "deadbeef" * 8, "", "half written chunk")])
    lexical_before = engine.parts.lexical.count(kb.id)
    engine.close()

    reopened = make_engine()
    states = {f.name: f.state for f in reopened.list_files()}
    assert states["good.pdf"] == "indexed"
    assert states["half.pdf"].startswith("not indexed")
    assert reopened.parts.store.count(kb.collection) == before
    assert reopened.parts.lexical.count(kb.id) == lexical_before - 1 == before


def test_file_filter_and_remove(make_engine, tmp_path):
    engine = make_engine()
    a = make_sample_pdf(tmp_path / "a.pdf")
    b = make_pdf(tmp_path / "b.pdf", [["The admin console of the other product listens on port 9000."]])
    run(engine, [a, b])
    only_b = engine.search("admin console port", files=["b.pdf"]).sources
    assert only_b and {s.file for s in only_b} == {"b.pdf"}
    engine.remove("b.pdf")
    assert [f.name for f in engine.list_files()] == ["a.pdf"]
    assert {s.file for s in engine.search("admin console port").sources} == {"a.pdf"}
    with pytest.raises(KnowledgeBaseError, match="not in knowledge base"):
        engine.remove("b.pdf")


def test_knowledge_bases_are_separate(make_engine, tmp_path):
    engine = make_engine()
    engine.create_kb("work")
    run(engine, [make_sample_pdf(tmp_path / "a.pdf")], kb="work")
    assert engine.search("admin console port", kb="default").sources == ()
    assert engine.search("admin console port", kb="work").sources
    engine.rename_kb("work", "job")
    assert engine.search("admin console port", kb="job").sources
    with pytest.raises(KnowledgeBaseError, match="does not exist"):
        engine.search("x", kb="work")
    engine.delete_kb("job")
    assert "job" not in [k.name for k in engine.list_kbs()]
    with pytest.raises(KnowledgeBaseError, match="already exists"):
        engine.create_kb("default") if engine.parts.catalog.find_kb("default") else (engine.create_kb("default"),
                                                                               engine.create_kb("default"))


def test_embedding_model_mismatch_is_a_clear_error(make_engine, tmp_path):
    engine = make_engine()
    run(engine, [make_sample_pdf(tmp_path / "a.pdf")])
    kb = engine.parts.catalog.get_kb("default")
    engine.parts.catalog.set_kb_model(kb, "some-other-model", 768, 200, 32)
    with pytest.raises(EmbeddingMismatchError, match="was built with embedding model 'some-other-model'"):
        engine.search("admin console")
