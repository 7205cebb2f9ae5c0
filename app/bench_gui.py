"""The desktop app measured against the CLI: launch-to-window time, and tokens/s of the
same question through the real window (offscreen Qt) and through `rag-cli ask`.

Run as `python -m app.bench_gui HOME QUESTION RUNS` in its own process (the suite does that),
so Qt never loads into the benchmark runner.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    home, question, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["RAG_HOME"] = home
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from app.selftest import wait_until
    from app.window import MainWindow
    from rag import Engine

    window = MainWindow(Engine())
    window.show()
    wait_until(lambda: not window.working, 600)  # the document list is read before the first question
    out = []
    for _ in range(runs):
        window.new_chat()  # each question alone, like a one-off `rag-cli ask`
        window.chat.input.setPlainText(question)
        window.send()
        wait_until(lambda: not window.answering, 600)
        s = window.last_answer.stats
        out.append({"tokens": s.tokens, "tokens_per_s": s.tokens_per_s, "ttft_s": s.ttft_s})
    window.close()
    app.processEvents()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
