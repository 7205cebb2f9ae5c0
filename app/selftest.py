"""`rag-app --self-test`: prove an installed (or packaged) app works, without a display.

It writes a two-page sample PDF with Qt's own PDF writer into a temporary data folder,
opens the real main window, indexes the sample through it, asks one question with the
embedded models, opens the cited page in the viewer and prints a JSON report. Exit 0
when the cited page is the one that holds the answer.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

QUESTION = "What is the self-test code word?"
FILLER = ("<p>RAG Desk reads documents page by page, cuts them into passages, embeds them and keeps them in "
          "a local store. When a question comes, it finds the best passages by meaning and by words, and a "
          "language model on this computer writes the answer with numbered citations.</p>")
PAGES = [
    "<h1>RAG Desk sample</h1><p>This small document is written by the self-test. It has two pages so that "
    "the citation can be checked.</p>" + FILLER * 6,
    "<h2>Code word</h2><p>The self-test code word is heliotrope. It appears on page two only, so a correct "
    "citation names page 2 of sample.pdf.</p>",
]


def write_sample_pdf(path: Path) -> Path:
    writer = QPdfWriter(str(path))
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(20, 20, 20, 20), QPageLayout.Unit.Millimeter))
    doc = QTextDocument()
    doc.setPageSize(QSizeF(writer.width(), writer.height()))
    doc.setHtml('<div style="page-break-after: always">' + PAGES[0] + "</div>" + PAGES[1])
    doc.print_(writer)
    del writer  # finishes the file
    return path


def wait_until(condition, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if condition():
            return True
        time.sleep(0.01)
    return False


def run(timeout_s: float = 600) -> int:
    from rag import INDEXED, Engine, Settings

    from .window import MainWindow

    t0 = time.perf_counter()
    report: dict = {"ok": False}
    with tempfile.TemporaryDirectory(prefix="rag-desk-selftest-") as tmp:
        home = Path(tmp)
        sample = write_sample_pdf(home / "sample.pdf")
        engine = Engine(Settings(), home=home / "data")
        window = MainWindow(engine)
        window.show()
        try:
            window.ingest([str(sample)])
            if not wait_until(lambda: not window.working, timeout_s):  # indexed, and the list shows it
                report["error"] = "indexing did not finish"
                return _finish(report, window)
            files = engine.list_files()
            report["indexed"] = [(f.name, f.pages, f.chunks, f.state) for f in files]
            if not any(f.state == INDEXED for f in files):
                report["error"] = f"indexing failed: {window.statusBar().currentMessage() or window.docs.status.text()}"
                return _finish(report, window)
            window.chat.input.setPlainText(QUESTION)
            window.send()
            if not wait_until(lambda: not window.answering, timeout_s):
                report["error"] = "the answer did not finish"
                return _finish(report, window)
            done = window.last_answer
            if done is None:
                report["error"] = window.statusBar().currentMessage() or "no answer"
                return _finish(report, window)
            window.open_source(0)
            viewer = window.sources.viewer
            top = done.sources[0]
            report.update(
                answer=done.answer, cited=f"{top.file} p.{top.page}", tokens=done.stats.tokens,
                tokens_per_s=round(done.stats.tokens_per_s, 1), ttft_s=round(done.stats.ttft_s, 2),
                model=done.stats.model, viewer_page=viewer.page + 1, highlighted=bool(viewer.view.highlights),
                seconds=round(time.perf_counter() - t0, 1))
            quote = window.sources.quote_of(top.n)
            if quote is not None:  # grounded: the evidence quote's span is what is highlighted
                report.update(quote=quote.text, quote_highlighted=viewer.passage_range == (quote.start, quote.end))
            report["ok"] = top.file == "sample.pdf" and top.page == 2 and viewer.page == 1 and bool(viewer.view.highlights)
        finally:
            window.close()
            engine.close()
    return _finish(report, None)


def _finish(report: dict, window) -> int:
    if window is not None:
        window.close()
    print(json.dumps(report, ensure_ascii=False, indent=2), flush=True)
    return 0 if report.get("ok") else 1
