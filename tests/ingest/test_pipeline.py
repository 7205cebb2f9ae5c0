"""Pipelined ingestion: identical chunk text is embedded once, store writes on their own
thread keep the crash-safety rules, and the knowledge base records the embedding backend."""

import numpy as np
import pytest

from pdfs import SAMPLE_PAGES, make_pdf
from rag.events import FileFailed, FileIndexed
from rag.ingest.indexed import embedded_text, indexed_text
from rag.language import words_only


def run(engine, paths, kb=None):
    return list(engine.ingest(paths, kb=kb))


def test_identical_text_is_embedded_once_across_files(make_engine, tmp_path):
    engine = make_engine()
    pages = [["Chapter one explains the admin console on port 8443."] + SAMPLE_PAGES[1],
             ["Chapter two explains the backup schedule, which runs nightly at 02:00."]]
    a = make_pdf(tmp_path / "a.pdf", pages)
    b = make_pdf(tmp_path / "copy-of-a.pdf", pages)  # another file with the same text
    run(engine, [a])
    first = dict(engine.parts.embed_stats)
    assert first["embedded"] == first["chunks"] > 0
    engine.indexer.files._vector_cache.clear()  # the second file must find the vectors in the store itself
    events = run(engine, [b])
    (done,) = [e for e in events if isinstance(e, FileIndexed)]
    assert done.chunks == first["chunks"]
    assert engine.parts.embed_stats["embedded"] == first["embedded"], "the copy's chunks reuse the stored vectors"
    kb = engine.parts.catalog.get_kb("default")
    stored = engine.parts.store.get(kb.collection)
    assert {c.metadata["file"] for c in stored} == {"a.pdf", "copy-of-a.pdf"}
    hits = engine.search("What port does the admin console use?", k=4).sources
    assert {"a.pdf", "copy-of-a.pdf"} <= {h.file for h in hits}
    # the reused vector is the one the embedder gives for that text
    c = stored[0]
    text = embedded_text(indexed_text(c.metadata.get("section", ""), c.text), engine.embedder.reads_chinese)
    reused = engine.parts.store.vectors_by(kb.collection, "th", [c.metadata["th"]])[c.metadata["th"]]
    assert np.allclose(reused, engine.embedder.embed_documents([text])[0], atol=1e-5)


def test_repeated_text_within_a_file_is_embedded_once(make_engine, tmp_path):
    engine = make_engine()
    boiler = ("This page describes the same warranty terms for every product line in full: repairs are free "
              "for two years, parts for five, and the warranty ends when the seal on the case is broken.")
    last = "The fan runs at 1200 rpm when the case is closed and the temperature is above forty degrees."
    pdf = make_pdf(tmp_path / "rep.pdf", [[boiler], [boiler], [boiler], [last]])
    (done,) = [e for e in run(engine, [pdf]) if isinstance(e, FileIndexed)]
    assert done.chunks == 4
    assert engine.parts.embed_stats["embedded"] == 2


def test_a_failing_store_write_fails_the_file_and_leaves_nothing(make_engine, tmp_path, monkeypatch):
    engine = make_engine()
    pdf = make_pdf(tmp_path / "x.pdf", [SAMPLE_PAGES[0], SAMPLE_PAGES[1]])
    real_add = engine.parts.store.add_rows
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        real_add(*args, **kwargs)  # the texts land, then the write "fails"
        raise OSError("disk full")

    monkeypatch.setattr(engine.parts.store, "add_rows", broken)
    events = run(engine, [pdf])
    (failed,) = [e for e in events if isinstance(e, FileFailed)]
    assert "disk full" in failed.reason and calls
    kb = engine.parts.catalog.get_kb("default")
    assert engine.parts.store.count(kb.collection) == 0, "a failed version's chunks are deleted"
    assert engine.parts.lexical.count(kb.id) == 0
    assert engine.parts.store.payload_ids(kb.collection) == set(), "its texts too"
    (rec,) = engine.list_files()
    assert rec.state == "failed" and rec.pending_sha256 is None


def test_the_knowledge_base_records_backend_and_precision(make_engine, tmp_path):
    engine = make_engine()
    run(engine, [make_pdf(tmp_path / "a.pdf", [SAMPLE_PAGES[0]])])
    kb = engine.parts.catalog.get_kb("default")
    assert kb.embed_backend == f"{engine.embedder.backend}-fp32"


def test_openvino_backend_gives_the_onnx_vectors_to_rounding(models_dir, embedder):
    pytest.importorskip("openvino")
    from rag.embed.embedder import Embedder
    from rag.settings import BUNDLED_EMBEDDER

    ov = Embedder(BUNDLED_EMBEDDER, "cpu", backend="openvino", cache_dir=models_dir)
    onnx = Embedder(BUNDLED_EMBEDDER, "cpu", backend="onnx", cache_dir=models_dir)
    texts = ["The admin console listens on port 8443.", "额定电压是220伏。", "short"]
    a, b = ov.embed_documents(texts), onnx.embed_documents(texts)
    assert a.shape == (3, ov.dim)
    cosine = (a * b).sum(axis=1)  # both normalised; OpenVINO's fp32 kernels round differently
    assert cosine.min() > 0.999, cosine
    assert ov.precision == "openvino-fp32"
    query = ov.embed_query(texts[0])  # queries go through ONNX Runtime (faster to load), read by their words
    assert float(query @ ov.embed_documents([words_only(texts[0])])[0]) > 0.999 and "_query_onnx" in ov.__dict__
    # the compiled graph is cached under the models folder (RAG_HOME), not beside the model
    cache = models_dir / "openvino-cache"
    assert cache.is_dir() and any(cache.iterdir())


def stopped_at_third(embed, texts) -> int:
    """Embed `texts` with a check() that cancels at its third call (KeyboardInterrupt, as
    Ctrl+C): how many checks ran."""
    checks = []

    def stop_at_third():
        checks.append(1)
        if len(checks) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        embed(texts, stop_at_third)
    return len(checks)


def test_onnx_runtime_lanes_run_batches_side_by_side_and_stop_on_cancel(models_dir, embedder, monkeypatch):
    """ONNX Runtime runs several batches at once, a session per lane (as OpenVINO's streams):
    the same vectors as one session, every batch reported once, and a cancel stops the lanes."""
    import threading

    from rag.embed.embedder import Embedder
    from rag.settings import BUNDLED_EMBEDDER

    onnx = Embedder(BUNDLED_EMBEDDER, "cpu", backend="onnx", batch_size=4, cache_dir=models_dir)
    texts = [f"Valve {i} is set to {i * 7} bar" + " before the pump starts" * (i % 5) for i in range(23)]
    onnx.embed_documents(texts[:1])
    encoder = onnx._onnx
    if encoder._lanes < 2:
        pytest.skip("one core here: one session")
    with monkeypatch.context() as m:
        m.setattr(encoder, "_lanes", 1)
        alone = onnx.embed_documents(texts)
    runs = encoder._lane_runs
    lanes_used = set()
    monkeypatch.setattr(encoder, "_lane_runs", [
        lambda feed, run=run: lanes_used.add(threading.current_thread().name) or run(feed) for run in runs])
    finished = []
    side_by_side = onnx.embed_documents(texts, done=finished.extend)
    assert (side_by_side * alone).sum(axis=1).min() > 0.9999
    assert sorted(finished) == list(range(23)) and len(lanes_used) == encoder._lanes
    assert 3 <= stopped_at_third(onnx.embed_documents, texts) <= 3 + encoder._lanes - 1, \
        "the lanes stop after their current batch"
    assert (onnx.embed_documents(texts) * alone).sum(axis=1).min() > 0.9999  # usable after a cancel


def test_openvino_streams_run_batches_side_by_side_in_order_and_stop_on_cancel(models_dir, embedder):
    pytest.importorskip("openvino")
    from rag.embed.embedder import Embedder
    from rag.settings import BUNDLED_EMBEDDER

    ov = Embedder(BUNDLED_EMBEDDER, "cpu", backend="openvino", batch_size=4, cache_dir=models_dir)
    onnx = Embedder(BUNDLED_EMBEDDER, "cpu", backend="onnx", batch_size=4, cache_dir=models_dir)
    texts = [f"Valve {i} is set to {i * 7} bar" + " before the pump starts" * (i % 5) for i in range(23)]
    ov.load()
    encoder = ov._onnx
    if encoder._streams < 2:
        pytest.skip("OpenVINO chose one stream on this machine")
    for n in (1, 2, 5, 23):  # one batch, one split across streams, several batches in flight
        reported = {"ov": [], "onnx": []}  # done(indices): each finished batch, for progress
        a = ov.embed_documents(texts[:n], done=lambda idx: reported["ov"].append(list(idx)))
        b = onnx.embed_documents(texts[:n], done=lambda idx: reported["onnx"].append(list(idx)))
        assert a.shape == (n, ov.dim) and (a * b).sum(axis=1).min() > 0.999, n
        for name, batches in reported.items():
            assert sorted(i for batch in batches for i in batch) == list(range(n)), (name, batches)
            assert all(0 < len(batch) <= 4 for batch in batches)
    assert stopped_at_third(ov.embed_documents, texts) == 3, "no batch is started after the cancel"
    again = ov.embed_documents(texts)  # the queue is idle and usable after a cancel
    assert (again * onnx.embed_documents(texts)).sum(axis=1).min() > 0.999
