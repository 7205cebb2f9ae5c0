"""Bench data built from the Debian corpus: PDFs cut together from its pages (1,000 pages; 20
small files) and the synthetic 100,000-chunk knowledge base of the latency benches."""

from __future__ import annotations

import os
from pathlib import Path

from .suites import RESULTS, corpus


def pdf_from_pages(out: Path, picks: list[tuple[Path, list[int]]]) -> Path:
    import pypdfium2 as pdfium

    if out.exists():
        return out
    doc = pdfium.PdfDocument.new()
    for src_path, pages in picks:
        src = pdfium.PdfDocument(str(src_path))
        doc.import_pages(src, pages)
    tmp = out.with_suffix(".tmp.pdf")
    doc.save(str(tmp))
    os.replace(tmp, out)
    return out


def thousand_page_pdf() -> Path:
    """1,000 real pages: every page of the Debian corpus, then gnuplot's again to reach 1,000."""
    import pypdfium2 as pdfium

    files = corpus()
    picks, total = [], 0
    for name in sorted(files):
        n = len(pdfium.PdfDocument(str(files[name])))
        take = min(n, 1000 - total)
        picks.append((files[name], list(range(take))))
        total += take
        if total >= 1000:
            break
    while total < 1000:
        take = min(1000 - total, len(pdfium.PdfDocument(str(files["gnuplot.pdf"]))))
        picks.append((files["gnuplot.pdf"], list(range(take))))
        total += take
    return pdf_from_pages(RESULTS / "corpus-1000.pdf", picks)


def twenty_small_pdfs() -> Path:
    folder = RESULTS / "twenty"
    folder.mkdir(parents=True, exist_ok=True)
    gnuplot = corpus()["gnuplot.pdf"]
    for i in range(20):
        pdf_from_pages(folder / f"part-{i:02d}.pdf", [(gnuplot, list(range(30 + 5 * i, 35 + 5 * i)))])
    return folder


def synthetic_chunks(home: Path, n: int) -> None:
    """Knowledge base `synthetic`: n chunks with random normalised vectors and real chunk texts
    (lexical rows too), written straight to the stores and committed in the catalog."""
    import numpy as np

    os.environ["RAG_HOME"] = str(home)
    from rag import Engine

    engine = Engine(home=home)
    kb = engine.parts.catalog.ensure_kb("synthetic")
    if engine.parts.store.count(kb.collection) >= n and len(engine.parts.store.payload_ids(kb.collection)) >= n:
        engine.close()  # already there, in the current layout (texts in the catalog)
        return
    engine.parts.store.drop(kb.collection)
    engine.parts.lexical.drop(kb.id)
    base = engine.parts.catalog.get_kb("default")
    texts = [c.text for c in engine.parts.store.get(base.collection)]
    kb = engine.parts.catalog.set_kb_model(kb, base.embed_model, base.embed_dim, base.chunk_tokens, base.chunk_overlap)
    rng = np.random.default_rng(0)
    files = 100
    per_file = n // files
    for f in range(files):
        sha = f"{f:064x}"
        rec = engine.parts.catalog.begin_file(kb, f"/synthetic/doc-{f:03d}.pdf", f"doc-{f:03d}.pdf", 1, 1, sha)
        for start in range(0, per_file, 1000):
            count = min(1000, per_file - start)
            vectors = rng.standard_normal((count, base.embed_dim)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            ids = [f"{rec.id}-{sha[:16]}-{start + i:06d}" for i in range(count)]
            body = [f"{texts[(f * per_file + start + i) % len(texts)]} (copy {f})" for i in range(count)]
            engine.parts.lexical.add(kb.id, [(cid, rec.id, sha, "", t) for cid, t in zip(ids, body)])
            engine.parts.store.add(kb.collection, ids, vectors, body, [
                {"file": rec.name, "path": rec.path, "file_id": rec.id, "sha": sha, "page": 1 + (start + i) // 5,
                 "page_end": 1 + (start + i) // 5, "char_start": 0, "char_end": 1, "chunk": start + i,
                 "tokens": 100, "section": "", "ocr": False} for i in range(count)])
        engine.parts.catalog.commit_file(rec, 1, 1, per_file // 5, per_file)
    engine.close()
