"""Drive the real window on a display (Xvfb in CI-like machines) and save a screenshot:
an indexed PDF, a streamed answer with citations, and the cited page open and highlighted.

    RAG_HOME=DIR xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshot.py OUT.png PDF QUESTION
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    out, pdf, question = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    from app.appearance import install_translator
    from app.main import make_engine
    from app.selftest import wait_until
    from app.window import MainWindow

    engine, _ = make_engine()
    install_translator(app, engine.settings.ui_language)
    window = MainWindow(engine)
    window.resize(1560, 940)
    window.show()
    t0 = time.perf_counter()
    window.ingest([pdf])
    wait_until(lambda: not window.working, 1200)
    print(f"indexed in {time.perf_counter() - t0:.1f} s: {window.docs.status.text()}", file=sys.stderr)
    window.chat.input.setPlainText(question)
    window.send()
    wait_until(lambda: not window.answering, 600)
    done = window.last_answer
    print(f"answer: {done.answer if done else None!r}", file=sys.stderr)
    cites = [a for a in window.chat.transcript.anchors() if a.startswith("cite:")]
    if cites:
        from PySide6.QtCore import QUrl

        window.chat.transcript.anchorClicked.emit(QUrl(cites[0]))
    else:
        window.open_source(0)
    wait_until(lambda: False, 1.5)  # let the page render
    viewer = window.sources.viewer
    print(f"viewer: {viewer.title.text()}; highlight boxes: {len(viewer.view.highlights)}", file=sys.stderr)
    app.primaryScreen().grabWindow(window.winId()).save(str(out))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
