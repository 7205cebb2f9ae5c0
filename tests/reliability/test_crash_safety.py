"""kill -9 a real `rag-cli ingest` at several points: the store must open, answer over every
finished file, show each file fully at one stage (indexed; lexical: its text, searchable by
BM25, vectors still to come; or not indexed), and the next ingest must complete it with
exactly the chunks of a clean run (no duplicates). While an ingest runs, what a reader's
search shows agrees with what the list says."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pdfs import FILLER_EN, make_pdf

BIN = Path(sys.executable).parent


def corpus(folder: Path) -> Path:
    for i in range(6):
        pages = [[f"Document {i} page {p} describes widget {i}-{p} and its calibration value {i * 100 + p}.",
                  *FILLER_EN] * 3 for p in range(1, 9)]
        make_pdf(folder / f"doc{i}.pdf", pages)
    return folder


def ingest(home: Path, folder: Path) -> subprocess.Popen:
    env = dict(os.environ, RAG_HOME=str(home))
    return subprocess.Popen([str(BIN / "rag-cli"), "ingest", str(folder)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


STATE = """
import json
from rag.engine import Engine
e = Engine(); kb = e.parts.catalog.ensure_kb('default'); store = e.parts.store
files = e.list_files()
per = {f.name: {'state': f.state, 'chunks': f.chunks,
                'rows': len(store.file_rows(kb.collection, f.id, f.sha256)) if f.sha256 else 0,
                'vectors': len(store.vector_ids(kb.collection, f.id, f.sha256)) if f.sha256 else 0} for f in files}
print(json.dumps({'states': {f.name: f.state for f in files}, 'files': per,
  'catalog': sum(f.chunks for f in files if f.state == 'indexed'),
  'searchable': sum(f.chunks for f in files if f.state in ('indexed', 'lexical')),
  'store': store.count(kb.collection), 'lexical': e.parts.lexical.count(kb.id),
  'rows': len(store.payload_ids(kb.collection)),
  'hit': [s.file for s in e.search(QUERY, mode='bm25').sources[:1]],
  'dense': sorted({s.file for s in e.search(QUERY, mode='dense', k=10).sources})}))
"""


def state(home: Path, query: str = "calibration value of widget 0-3"):
    """Per file: state, chunks, stored texts and vectors of its committed version; totals of
    the catalog, the vector store and the lexical index; the top BM25 hit and the files
    dense search shows for `query`."""
    code = f"QUERY = {query!r}\n" + STATE
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, RAG_HOME=str(home)),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def assert_each_file_fully_at_a_stage(after):
    """indexed: every text and every vector; lexical: every text, some vectors (hidden from
    dense search); not indexed: nothing. No chunk of anything else anywhere."""
    assert set(after["states"].values()) <= {"indexed", "lexical", "not indexed (interrupted)"}, after["states"]
    for name, f in after["files"].items():
        if f["state"] == "indexed":
            assert f["rows"] == f["vectors"] == f["chunks"] > 0, (name, f)
        elif f["state"] == "lexical":
            assert f["rows"] == f["chunks"] > 0 and f["vectors"] <= f["chunks"], (name, f)
        else:
            assert f["rows"] == f["vectors"] == 0, (name, f)
    assert after["lexical"] == after["rows"] == after["searchable"], after
    assert after["store"] == sum(f["vectors"] for f in after["files"].values()), "no orphaned vectors"
    indexed = {n for n, s in after["states"].items() if s == "indexed"}
    assert set(after["dense"]) <= indexed, "dense search shows only files whose vectors are complete"


def test_kill_9_at_several_points(tmp_path):
    folder = corpus(tmp_path / "docs")
    clean_home = tmp_path / "clean"
    proc = ingest(clean_home, folder)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    # time a full ingest whose models are already exported, to aim the kills inside it
    timed_home = tmp_path / "timed"
    shutil.copytree(clean_home / "models", timed_home / "models")
    t0 = time.perf_counter()
    assert ingest(timed_home, folder).wait(timeout=600) == 0
    duration = time.perf_counter() - t0
    clean = state(clean_home)
    assert set(clean["states"].values()) == {"indexed"} and clean["store"] == clean["catalog"] == clean["lexical"]
    assert_each_file_fully_at_a_stage(clean)

    home = tmp_path / "crashy"
    shutil.copytree(clean_home / "models", home / "models")  # the one-time ONNX export is not under test
    seen_partial = False
    for fraction in (0.35, 0.5, 0.65, 0.8):
        delay = duration * fraction
        proc = ingest(home, folder)
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        after = state(home)  # opening runs recovery
        states = after["states"]
        assert_each_file_fully_at_a_stage(after)
        searchable = [n for n, s in states.items() if s in ("indexed", "lexical")]
        seen_partial |= 0 < len(searchable) < 6
        if "doc0.pdf" in searchable:
            assert after["hit"] == ["doc0.pdf"]
    if not seen_partial:
        # After the first file, each of the others takes about 0.1 s here, so a kill aimed by
        # time can miss the batch. Aim one by progress instead: kill as soon as the first file
        # of a fresh ingest reports that it is indexed.
        home = tmp_path / "aimed"
        shutil.copytree(clean_home / "models", home / "models")
        proc = ingest(home, folder)
        for line in proc.stderr:
            if ": searchable" in line:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait()
        after = state(home)
        states = after["states"]
        assert_each_file_fully_at_a_stage(after)
        assert 0 < sum(s in ("indexed", "lexical") for s in states.values()) < 6, states
        assert after["hit"] == ["doc0.pdf"]
    proc = ingest(home, folder)
    assert proc.wait(timeout=600) == 0, proc.stderr.read()
    final = state(home)
    assert set(final["states"].values()) == {"indexed"}
    assert final["store"] == final["catalog"] == final["lexical"] == clean["store"]
    assert_each_file_fully_at_a_stage(final)


def manual(real_pdfs, folder: Path, pages: int = 120) -> Path:
    """The first `pages` pages of the real gnuplot manual (long enough to read while polled)."""
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "gnuplot-part.pdf"
    src = pdfium.PdfDocument(str(real_pdfs["gnuplot.pdf"]))
    doc = pdfium.PdfDocument.new()
    doc.import_pages(src, list(range(min(pages, len(src)))))
    doc.save(str(out))
    return out


QUESTION = "How do I set the title of a plot?"


def test_kill_9_while_vectors_are_made_keeps_the_text_searchable(tmp_path, real_pdfs):
    pdf = manual(real_pdfs, tmp_path / "docs", 200)
    home = tmp_path / "home"
    warm = tmp_path / "warm"
    make_pdf(warm / "w.pdf", [["A warm-up page so that the embedder is exported before the run."]])
    assert ingest(home, warm).wait(timeout=600) == 0
    proc = ingest(home, pdf)
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if ": searchable" in line:
            time.sleep(0.3)  # some vectors are stored by now, not all
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    assert any(": searchable" in line for line in lines), lines
    after = state(home, QUESTION)
    assert_each_file_fully_at_a_stage(after)
    part = after["files"]["gnuplot-part.pdf"]
    assert part["state"] == "lexical", "killed while its vectors were made: its text stays committed"
    assert after["hit"] == ["gnuplot-part.pdf"], "BM25 finds it after the crash"
    assert "gnuplot-part.pdf" not in after["dense"]
    # the next ingest finishes it from where it stopped, with exactly the chunks of a clean run
    proc = ingest(home, pdf)
    out = proc.communicate(timeout=600)[1]
    assert proc.returncode == 0, out
    assert "skipped (unchanged; its text is searchable" in out and ": indexed" in out, out
    final = state(home, QUESTION)
    assert_each_file_fully_at_a_stage(final)
    done = final["files"]["gnuplot-part.pdf"]
    assert done["state"] == "indexed" and done["vectors"] == part["chunks"] and done["vectors"] >= part["vectors"]
    assert "gnuplot-part.pdf" in final["dense"]


def test_list_and_search_agree_while_a_real_ingest_runs(tmp_path, real_pdfs):
    """A reader beside a running `rag-cli ingest`: every passage a search shows comes from a
    file that the list (read right after) shows as searchable, dense passages only from files
    it shows as indexed; the file is found by BM25 before its vectors are complete."""
    from rag.engine import Engine

    pdf = manual(real_pdfs, tmp_path / "docs")
    home = tmp_path / "home"
    warm = tmp_path / "warm"
    make_pdf(warm / "w.pdf", [["A warm-up page so that the embedder is exported before the run."]])
    assert ingest(home, warm).wait(timeout=600) == 0
    reader = Engine(home=home)
    proc = ingest(home, pdf)
    seen = []  # (status of the file, BM25 found it, dense found it)
    try:
        while proc.poll() is None:
            bm25 = reader.search(QUESTION, mode="bm25").sources
            dense = reader.search(QUESTION, mode="dense").sources
            listed = {f.name: f for f in reader.list_files()}
            for src in bm25:
                assert listed[src.file].state in ("indexed", "lexical"), (src.file, listed[src.file].state)
            for src in dense:
                assert listed[src.file].state == "indexed", (src.file, listed[src.file].state)
            rec = listed.get(pdf.name)
            if rec is not None:
                kb = reader.parts.catalog.get_kb("default")
                if rec.state == "lexical":  # fully at the stage: every text is there
                    assert len(reader.parts.store.file_rows(kb.collection, rec.id, rec.sha256)) == rec.chunks
                seen.append((rec.status, any(s.file == pdf.name for s in bm25), any(s.file == pdf.name for s in dense)))
            time.sleep(0.05)
    finally:
        proc.wait(timeout=600)
        reader.close()
    assert proc.returncode == 0, proc.stderr.read()
    lexical = [s for s in seen if s[0].startswith("searchable · embedding")]
    assert lexical, seen
    assert any(found for _, found, _ in lexical), "BM25 answered while the vectors were being made"
    assert not any(dense for _, _, dense in lexical)
