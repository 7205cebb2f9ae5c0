"""DOCX, EPUB and HTML against the PDF path: ingest speed and retrieval on the same text.

The documents are renderings of real corpus PDFs (the Debian manuals): every PDF page becomes
one section, headed (Heading 1 / <h1>) by the PDF outline's title in force on that page, its
text cut into paragraphs at line ends after a sentence. Section §N of a rendering is therefore
page N of its PDF, which is how a retrieved passage of a rendering is judged: its section
label `§N "..."` names the PDF page it came from (a long page cut into parts keeps its label),
and a question's hit@5 counts the same gold pages for the PDF and for each rendering.

- ingest: a 100-page DOCX and HTML file and a 300-page EPUB (and the same 100/300 PDF pages)
  through a warm engine (models loaded, reader child started), pages/s from file start to
  commit, the median of ROUNDS rounds that take every format in turn; the ratio to the PDF is
  the median of the rounds' own ratios (a round's PDF and rendering ran back to back, under
  the same load), with the spread of those ratios;
- retrieval: the QA questions of bench/qa/debian-docs.jsonl about the rendered manuals, asked
  in a knowledge base per format (hybrid, k = 5).
"""

from __future__ import annotations

import html as html_lib
import re
import statistics
import sys
import time
from pathlib import Path

from .suites import QA_FILE, RESULTS, corpus, empty_home, row

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

RETRIEVAL_PDFS = ("gnuplot.pdf", "lshort-zh-cn.pdf", "asymptote.pdf")
ROUNDS = 5  # ingest rounds per format (bench/formats: the median is reported)
_SENTENCE_END = re.compile(r"[.!?:。！？；]\s*$")
_SOFT_BREAK = re.compile("[\x02\u00ad][ \t]*\n?[ \t]*")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def pdf_sections(pdf: Path, first: int = 0, count: int | None = None) -> list[tuple[int, str, list[str]]]:
    """(1, heading, paragraphs) per PDF page, from PDFium's text and the outline. Running
    headers and footers are left out as the PDF reader leaves them out (a page's "gnuplot 5.4
    43" line is not text of the document; kept, it gave the renderings 1.3% more tokens to
    embed than the PDF they are compared with)."""
    import pypdfium2 as pdfium

    from rag.ingest.edges import blank_edge_lines, edge_sample, repeated_edge_lines

    doc = pdfium.PdfDocument(str(pdf))
    n = len(doc)

    def layer(i: int) -> str:
        return doc[i].get_textpage().get_text_range().replace("\r\n", "\n")

    boilerplate = repeated_edge_lines([layer(i) for i in edge_sample(n)])
    last = n if count is None else min(n, first + count)
    starts: dict[int, str] = {}
    for mark in doc.get_toc():
        dest = mark.get_dest()
        if dest is not None and dest.get_index() is not None:
            starts[dest.get_index()] = mark.get_title()  # the deepest (latest) bookmark of a page wins
    title = ""
    sections = []
    for i in range(n):
        title = starts.get(i, title)
        if not first <= i < last:
            continue
        raw = blank_edge_lines(layer(i), boilerplate)
        raw = _CONTROL.sub("", _SOFT_BREAK.sub("", raw))  # hyphenation PDFium marks; XML takes no control chars
        lines = raw.split("\n")
        paragraphs, current = [], []
        for line in lines:
            line = line.strip()
            if line:
                current.append(line)
            if current and (not line or (_SENTENCE_END.search(line) and sum(map(len, current)) >= 200)):
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        sections.append((1, title or f"Page {i + 1}", paragraphs or ["(blank page)"]))
    return sections


def write_renderings(pdf: Path, out: Path, stem: str, first: int = 0, count: int | None = None,
                     formats=("docx", "epub", "html")) -> dict[str, Path]:
    from documents import make_docx, make_epub

    sections = pdf_sections(pdf, first, count)
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    if "docx" in formats:
        made["docx"] = make_docx(out / f"{stem}.docx", sections)
    if "epub" in formats:
        chapters = [(f"Pages {i + 1}-{i + len(sections[i:i + 30])}", sections[i:i + 30])
                    for i in range(0, len(sections), 30)]
        made["epub"] = make_epub(out / f"{stem}.epub", chapters)
    if "html" in formats:
        body = "".join(f"<h1>{html_lib.escape(t)}</h1>" + "".join(f"<p>{html_lib.escape(p)}</p>" for p in ps)
                       for _, t, ps in sections)
        path = out / f"{stem}.html"
        path.write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{stem}</title></head>'
                        f"<body>{body}</body></html>", encoding="utf-8")
        made["html"] = path
    return made


def cut_pdf(pdf: Path, out: Path, first: int, count: int) -> Path:
    """Pages first..first+count-1 of `pdf` as a PDF of their own, with the outline entries that
    point into them: the renderings head every section with the outline's title, and the PDF
    reader titles its chunks from the outline, so both sides carry the same headings (a cut that
    drops the outline gives the PDF chunks no titles and fewer tokens to embed)."""
    from pypdf import PdfReader, PdfWriter

    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        writer = PdfWriter()
        writer.append(PdfReader(str(pdf)), pages=(first, first + count), import_outline=True)
        with open(out, "wb") as fh:
            writer.write(fh)
    return out


def _fresh_home(name: str) -> Path:
    return empty_home(RESULTS / name, "chats.sqlite3")


def _engine(home: Path):
    import os

    os.environ["RAG_HOME"] = str(home)
    from rag import Engine, FileFailed

    engine = Engine()
    warm = RESULTS / "formats-warm.txt"
    warm.write_text("Warm-up text: the embedder loads and the reader child starts before timing.")
    for ev in engine.ingest([warm], kb="warmup"):
        if isinstance(ev, FileFailed):
            raise RuntimeError(ev.reason)
    return engine


def _ingest_seconds(engine, path: Path, kb: str) -> tuple[float, int]:
    from rag import FileFailed, FileIndexed

    for ev in engine.ingest([path], kb=kb):
        if isinstance(ev, FileFailed):
            raise RuntimeError(f"{path.name}: {ev.reason}")
        if isinstance(ev, FileIndexed):
            return ev.seconds, ev.chunks
    raise RuntimeError(f"{path.name} was not indexed")


def bench_formats():
    gnuplot = corpus()["gnuplot.pdf"]
    work = RESULTS / "formats"
    engine = _engine(_fresh_home("home-formats"))
    try:
        # ---- ingest speed: the same pages as PDF and as DOCX / EPUB / HTML -------------------
        jobs = [("100", 20, 100, ("docx", "html")), ("300", 0, 300, ("epub",))]
        for label, first, count, formats in jobs:
            pdf = cut_pdf(gnuplot, work / f"gnuplot-{label}-outlined.pdf", first, count)
            made = write_renderings(gnuplot, work, f"gnuplot-{label}", first, count, formats)
            # Rounds of PDF, then each rendering, one after the other: the machine's load changes
            # within a run (±25% between single runs here), so each figure is the median of its
            # rounds, every round taken under the same conditions for every format.
            files = {"pdf": pdf, **made}
            secs: dict[str, list[float]] = {fmt: [] for fmt in files}
            chunks: dict[str, int] = {}
            for n in range(ROUNDS):
                for fmt, path in files.items():
                    took, chunks[fmt] = _ingest_seconds(engine, path, f"speed-{fmt}-{label}-{n}")
                    secs[fmt].append(took)
            pdf_s = statistics.median(secs["pdf"])
            yield row(f"{count}-page PDF: pages/s ({chunks['pdf']} chunks, median of {ROUNDS})", round(count / pdf_s, 2))
            for fmt in made:
                fmt_s = statistics.median(secs[fmt])
                yield row(f"{count}-page {fmt.upper()}: pages/s ({chunks[fmt]} chunks, median of {ROUNDS})",
                          round(count / fmt_s, 2))
                wins = sum(p >= f for p, f in zip(secs["pdf"], secs[fmt]))
                ratios = sorted(p / f for p, f in zip(secs["pdf"], secs[fmt]))
                paired = statistics.median(ratios)
                yield row(f"{count}-page {fmt.upper()} vs PDF pages/s (median of round ratios)", round(paired, 3),
                          ">= 1.0", ok=paired >= 1.0,
                          note=f"rounds {ratios[0]:.2f}-{ratios[-1]:.2f}; faster than the PDF in {wins} of {ROUNDS}; "
                               f"ratio of the medians {pdf_s / fmt_s:.3f}")
            from rag.ingest.readers import open_document  # the reader alone, no embedding

            for fmt, path in made.items():
                t0 = time.perf_counter()
                pages = sum(1 for _ in open_document(path).pages())
                yield row(f"{count}-page {fmt.upper()}: reading alone (s, {pages} sections)",
                          round(time.perf_counter() - t0, 2))
        # ---- retrieval: the QA questions over each rendering -------------------------------
        yield from _retrieval(engine, work)
    finally:
        engine.close()


def _retrieval(engine, work: Path):
    from rag.search.evaluation import load_qa

    pdfs = corpus()
    qa = [q for q in load_qa(QA_FILE) if q.file in RETRIEVAL_PDFS]
    kbs = {"pdf": "qa-pdf", "docx": "qa-docx", "epub": "qa-epub", "html": "qa-html"}
    for name in RETRIEVAL_PDFS:
        stem = Path(name).stem
        made = write_renderings(pdfs[name], work / "qa", stem)
        _ingest_seconds(engine, pdfs[name], kbs["pdf"])
        for fmt, path in made.items():
            _ingest_seconds(engine, path, kbs[fmt])
    section_page = re.compile(r"§(\d+)\b")

    def page_of(source, fmt: str) -> int | None:
        if fmt == "pdf":
            return source.page
        m = section_page.match(source.section)
        return int(m.group(1)) if m else None

    results = {}
    for fmt, kb in kbs.items():
        hits, by_lang, times = 0, {}, []
        for q in qa:
            target = Path(q.file).stem + ("" if fmt == "pdf" else f".{fmt}")
            want = Path(q.file).name if fmt == "pdf" else target
            t0 = time.perf_counter()
            sources = engine.search(q.question, kb, 5).sources
            times.append((time.perf_counter() - t0) * 1000)
            hit = any(s.file == want and page_of(s, fmt) in q.pages for s in sources)
            hits += hit
            lang = by_lang.setdefault(q.lang, [0, 0])
            lang[0] += hit
            lang[1] += 1
        results[fmt] = hits / len(qa)
        detail = ", ".join(f"{lang} {h}/{n}" for lang, (h, n) in sorted(by_lang.items()))
        yield row(f"QA hit@5 over {fmt.upper()} ({len(qa)} questions: {detail})", round(hits / len(qa), 3),
                  "= PDF" if fmt != "pdf" else "", ok=None if fmt == "pdf" else results[fmt] >= results["pdf"],
                  note=f"p50 {statistics.median(times):.0f} ms")
