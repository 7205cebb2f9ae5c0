"""The desktop window, driven like a user would: drops, key presses, buttons, closing."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import re  # noqa: E402

from app.widgets import drop_hint  # noqa: E402
from app.window import MainWindow  # noqa: E402
from pdfs import FILLER_EN, make_pdf, make_sample_pdf  # noqa: E402
from rag.store.manifest import INDEXING  # noqa: E402
from helpers import ScriptedGenerator  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def open_window(qtbot):
    def open_(engine) -> MainWindow:
        window = MainWindow(engine)
        qtbot.addWidget(window)
        with qtbot.waitActive(window):  # shortcuts (Esc, Ctrl+N) need an active window
            window.show()
            window.activateWindow()
        return window

    return open_


def drop(target, *paths) -> None:
    """What a file manager drag does: enter, then drop, both with a text/uri-list payload."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    mime.setText("\n".join(str(p) for p in paths))  # file managers send the paths as text too
    where = QPointF(target.rect().center())
    args = (where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    for event in (QDragEnterEvent(*args), QDropEvent(*args)):
        QApplication.sendEvent(target, event)
        assert event.isAccepted()


def doc_line(window: MainWindow, name: str) -> str:
    return next((t for t in window.docs.texts() if t.startswith(name + " ")), "")


def ingest_and_wait(qtbot, window: MainWindow, *paths) -> None:
    drop(window, *paths)
    qtbot.waitUntil(lambda: window._ingest is None, timeout=120_000)


def ask(qtbot, window: MainWindow, question: str) -> None:
    window.chat.input.setFocus()
    qtbot.keyClicks(window.chat.input, question)
    qtbot.keyClick(window.chat.input, Qt.Key.Key_Return)
    assert window._answer is not None and window.chat.input.toPlainText() == ""


def test_drop_pdf_then_ask_the_real_model(qtbot, open_window, make_engine, generator, tmp_path):
    window = open_window(make_engine(generator=generator, max_tokens=48))
    assert window.docs.stack.currentWidget() is window.docs.placeholder
    assert window.docs.placeholder.text() == drop_hint()
    assert window.model_state.text() == "Models load on first use"

    drop(window, make_sample_pdf(tmp_path / "manual.pdf"))
    qtbot.waitUntil(lambda: doc_line(window, "manual.pdf").endswith("indexed"), timeout=120_000)
    assert doc_line(window, "manual.pdf").startswith("manual.pdf — 4 pages, ")
    assert window.docs.stack.currentWidget() is window.docs.files

    ask(qtbot, window, "What is the default port of the admin console?")
    assert not window.chat.send.isEnabled() and window.chat.stop.isEnabled()
    qtbot.waitUntil(lambda: window._answer is None, timeout=120_000)

    done = window.last_answer
    assert done is not None and done.answer and not done.stats.cancelled
    assert done.stats.tokens > 1 and window.token_flushes > 1  # streamed, not written all at once
    sources = window.sources.texts()
    assert any(line.startswith("[") and "manual.pdf p.2 (" in line for line in sources), sources
    transcript = window.chat.transcript.toPlainText()
    assert "What is the default port of the admin console?" in transcript
    words = lambda text: re.findall(r"\w+", text)  # noqa: E731  (Markdown rendering drops markup)
    assert " ".join(words(done.answer)) in " ".join(words(transcript))
    assert window.model_state.text().startswith(f"{done.stats.tokens} tokens, ")
    assert window.history == [("What is the default port of the admin console?", done.answer)]
    assert window.statusBar().currentMessage() == ""

    # the first source opens its page in the viewer with the passage highlighted
    first = window.sources.list.item(0)
    rect = window.sources.list.visualItemRect(first)
    qtbot.mouseClick(window.sources.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    viewer = window.sources.viewer
    top = window.sources.sources[0]
    qtbot.waitUntil(lambda: viewer.page == top.page - 1, timeout=10_000)
    assert viewer.path.endswith("manual.pdf") and viewer.view.pageNavigator().currentPage() == top.page - 1
    assert viewer.view.highlights and viewer.passage_range is not None
    highlighted = viewer.document.getAllText(viewer.page).text()[slice(*viewer.passage_range)]
    assert " ".join(words(top.text)[:6]) in " ".join(words(highlighted))
    assert not viewer.view.highlight_rect().isEmpty()
    assert window.sources.passage.toPlainText() == top.text

    # the conversation was saved and comes back in a new window over the same data
    chat_id = window.chat_id
    assert [c.id for c in window.engine.chats.chats()] == [chat_id]
    window.close()
    again = MainWindow(window.engine)
    qtbot.addWidget(again)
    assert again.chat_id == chat_id and again.chats.ids() == [chat_id]
    assert "What is the default port of the admin console?" in again.chat.transcript.toPlainText()


def test_bad_file_reason_is_shown_and_good_file_still_indexes(qtbot, open_window, make_engine, tmp_path):
    window = open_window(make_engine(generator=ScriptedGenerator(["x"])))
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    ingest_and_wait(qtbot, window, empty, make_sample_pdf(tmp_path / "good.pdf"))

    assert doc_line(window, "good.pdf").endswith(", indexed")
    assert doc_line(window, "empty.pdf").endswith(", failed")
    reason = "the file is empty (0 bytes)"
    assert reason in window.statusBar().currentMessage()
    failed = window.docs.files.findItems("empty.pdf", Qt.MatchFlag.MatchStartsWith)[0]
    assert reason in failed.toolTip()
    assert window.docs.status.text().startswith("Done: 1 indexed")


def test_stop_and_escape_end_a_long_answer_early(qtbot, open_window, make_engine, tmp_path):
    scripted = [f"word{i} " for i in range(300)]
    window = open_window(make_engine(generator=ScriptedGenerator(scripted, delay=0.02), max_tokens=300))
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))

    ask(qtbot, window, "What is the default port of the admin console?")
    qtbot.waitUntil(lambda: "word2 " in window.chat.transcript.toPlainText(), timeout=30_000)
    qtbot.mouseClick(window.chat.stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window._answer is None, timeout=10_000)
    done = window.last_answer
    assert done.stats.cancelled and 3 <= done.stats.tokens < 100
    assert window.chat.transcript.toPlainText().rstrip().endswith("Stopped.")
    assert window.history == []  # a stopped answer is not used as context

    ask(qtbot, window, "How do I change the port of the admin console?")
    qtbot.waitUntil(lambda: "word2 " in window.chat.transcript.toPlainText().split("change the port")[-1],
                    timeout=30_000)
    qtbot.keyClick(window.chat.input, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window._answer is None, timeout=10_000)
    assert window.last_answer.stats.cancelled and window.last_answer.stats.tokens < 100
    qtbot.waitUntil(lambda: not window._workers)  # finished threads are let go


def test_closing_during_ingestion_exits_quickly_and_leaves_a_consistent_catalog(
        qtbot, open_window, make_engine, tmp_path):
    engine = make_engine(generator=ScriptedGenerator(["x"]))
    window = open_window(engine)
    long_pdf = make_pdf(tmp_path / "long.pdf", [[f"Section {i}.", *FILLER_EN * 6] for i in range(60)])
    drop(window, long_pdf)
    # the status moves through reading -> embedding -> storing; any of them means the file is in flight
    qtbot.waitUntil(lambda: "long.pdf (1/1): " in window.docs.status.text(), timeout=60_000)
    assert window.busy()

    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < window.SHUTDOWN_WAIT_S
    assert not window.busy()
    states = {rec.name: rec.state for rec in engine.list_files()}
    assert states.get("long.pdf") != INDEXING
    assert set(states.values()) <= {"indexed", "failed"}


def test_drop_on_the_input_box_reaches_the_window(qtbot, open_window, make_engine, tmp_path):
    window = open_window(make_engine(generator=ScriptedGenerator(["x"])))
    drop(window.chat.input, tmp_path / "missing.pdf")
    qtbot.waitUntil(lambda: window._ingest is None, timeout=30_000)
    assert "missing.pdf: no such file or folder" in window.statusBar().currentMessage()
    assert window.chat.input.toPlainText() == ""


def test_keys_and_empty_knowledge_base(qtbot, open_window, make_engine):
    window = open_window(make_engine(generator=ScriptedGenerator(["x"])))
    box = window.chat.input
    box.setFocus()
    qtbot.keyClicks(box, "first line")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "second line")
    assert box.toPlainText() == "first line\nsecond line"
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.toPlainText() == "" and window._answer is None  # nothing to ask yet
    assert drop_hint() in window.chat.transcript.toPlainText()
    qtbot.keyClick(box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.chat.transcript.document().isEmpty()
