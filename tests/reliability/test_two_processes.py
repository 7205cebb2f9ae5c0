"""Two real processes on one RAG_HOME: one writer at a time, with a message naming the holder."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pdfs import make_sample_pdf
from rag.errors import KnowledgeBaseError
from rag.store.lock import WriterLock

HOLD = """
import sys, time
from pathlib import Path
from rag.store.lock import WriterLock
with WriterLock(Path(sys.argv[1]) / "write.lock"):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_second_writer_is_refused_with_the_holders_pid(rag_home, tmp_path):
    pdf = make_sample_pdf(tmp_path / "a.pdf")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(rag_home), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        env = dict(os.environ, RAG_HOME=str(rag_home))
        proc = subprocess.run([str(Path(sys.executable).parent / "rag-cli"), "ingest", str(pdf)],
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 1
        assert f"being updated by another RAG Desk process (pid {holder.pid})" in proc.stderr
        assert "Traceback" not in proc.stderr
    finally:
        holder.kill()
        holder.wait()
    # a killed holder leaves no lock behind
    with WriterLock(rag_home / "write.lock"):
        pass


def test_threads_of_one_process_take_turns(rag_home):
    lock = WriterLock(rag_home / "write.lock")
    import threading

    errors = []
    with lock:
        with lock:  # re-entrant in the same thread
            pass
        t = threading.Thread(target=lambda: _try(lock, errors))
        t.start()
        t.join()
    assert errors and "indexing is running" in errors[0]
    with lock:
        pass


def _try(lock, errors):
    try:
        with lock:
            pass
    except KnowledgeBaseError as err:
        errors.append(str(err))


def test_readers_work_while_a_writer_holds_the_lock(make_engine, rag_home, tmp_path):
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "a.pdf")]))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(rag_home), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert engine.search("admin console port").sources[0].page == 2
        assert [f.name for f in engine.list_files()] == ["a.pdf"]
        with pytest.raises(KnowledgeBaseError, match="another RAG Desk process"):
            engine.remove("a.pdf")
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_leaves_the_file_another_process_is_writing_alone(make_engine, rag_home, tmp_path, embedder):
    """A file being written looks like a crash's leftover (pending version, uncommitted
    chunks). A reader that opens the knowledge base meanwhile must not roll it back: the
    writer's commit would then make an indexed file of nothing."""
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "a.pdf")]))
    engine.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(rag_home), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        # what the holder has written so far: a pending version with one chunk
        writer = make_engine()
        kb = writer.parts.catalog.get_kb("default")
        rec = writer.parts.catalog.begin_file(kb, str(tmp_path / "b.pdf"), "b.pdf", 10, 1, "b" * 64)
        writer.parts.store.add(kb.collection, ["b-1"], embedder.embed_documents(["the pump runs at 40 bar"]),
                         ["the pump runs at 40 bar"], [{"file": "b.pdf", "path": rec.path, "file_id": rec.id,
                                                        "sha": "b" * 64, "page": 1, "page_end": 1}])
        writer.parts.lexical.add(kb.id, [("b-1", rec.id, "b" * 64, "", "the pump runs at 40 bar")])

        reader = make_engine()
        assert reader.search("admin console port").sources[0].file == "a.pdf"
        assert {f.name: f.state for f in reader.list_files()}["b.pdf"] == "indexing"
        assert reader.parts.store.get(kb.collection, ids=["b-1"])  # the writer's chunk is still there
        assert reader.parts.catalog._db.execute(f"SELECT count(*) FROM lex_{kb.id} WHERE chunk_id = 'b-1'").fetchone()[0] == 1
        assert writer.parts.catalog.commit_file(rec, 10, 1, 1, 1).sha256 == "b" * 64
        assert reader.search("pump pressure bar", files=["b.pdf"]).sources[0].file == "b.pdf"
    finally:
        holder.kill()
        holder.wait()


def test_an_older_bm25_table_answers_while_another_process_writes(make_engine, older_bm25_layout, rag_home,
                                                                  tmp_path):
    """The rebuild to the current layout needs the writer lock; until it gets it, the older
    table (section title inside the body) still answers."""
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "a.pdf")]))
    kb = engine.library.kb(None, create=True)
    older_bm25_layout(engine, kb)
    engine.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(rag_home), "60"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        reader = make_engine()
        assert reader.search("admin console port", mode="bm25").sources[0].page == 2
        assert reader.parts.lexical.outdated(kb.id)
    finally:
        holder.kill()
        holder.wait()
    assert reader.search("admin console port", mode="bm25").sources[0].page == 2
    assert not reader.parts.lexical.outdated(kb.id)
