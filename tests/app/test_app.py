"""The desktop window, driven like a user would: drops, key presses, buttons, closing."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

import re  # noqa: E402

from apphelpers import ask, doc_line, drop, ingest_and_wait, settle, wait_answer  # noqa: E402
from app.widgets import drop_hint  # noqa: E402
from app.window import MainWindow  # noqa: E402
from helpers import ScriptedGenerator  # noqa: E402
from pdfs import FILLER_EN, make_pdf, make_sample_pdf  # noqa: E402
from rag import INDEXING  # noqa: E402

pytestmark = pytest.mark.gui


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
    done = wait_answer(qtbot, window, timeout=120_000)

    assert done is not None and done.answer and not done.stats.cancelled
    # grounded: the quote is shown at once, then whatever of the model's text passes the check
    # (the streaming in batches is tested with a scripted model in test_stop_and_escape_...)
    assert done.stats.tokens > 1 and window.conversation.token_flushes >= 1 and done.answer.startswith("«")
    sources = window.sources.texts()
    assert any(line.startswith("[") and "manual.pdf p.2" in line for line in sources), sources
    assert not any(re.search(r"\(\d+\.\d+\)", line) for line in sources)  # no raw fusion score
    transcript = window.chat.transcript.toPlainText()
    assert "What is the default port of the admin console?" in transcript
    words = lambda text: re.findall(r"\w+", text)  # noqa: E731  (Markdown rendering drops markup)
    assert " ".join(words(done.answer)) in " ".join(words(transcript))
    assert window.model_state.text().startswith(f"{done.stats.tokens} tokens, ")
    chat_id = window.conversation.chat_id
    assert window.engine.chats.turns(chat_id) == [("What is the default port of the admin console?", done.answer)]
    assert window.statusBar().currentMessage() == ""

    # the first source opens its page in the viewer with the passage highlighted
    first = window.sources.list.item(0)
    rect = window.sources.list.visualItemRect(first)
    qtbot.mouseClick(window.sources.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    viewer = window.sources.viewer
    top = window.sources.sources[0]
    quote = window.sources.quote_of(top.n)  # its evidence quote is highlighted, else its whole passage
    qtbot.waitUntil(lambda: viewer.page == (quote or top).page - 1, timeout=10_000)
    assert viewer.path.endswith("manual.pdf") and viewer.view.pageNavigator().currentPage() == viewer.page
    assert viewer.view.highlights and viewer.passage_range is not None
    highlighted = viewer.document.getAllText(viewer.page).text()[slice(*viewer.passage_range)]
    assert " ".join(words(quote.text if quote else top.text)[:6]) in " ".join(words(highlighted))
    if quote is not None:
        assert viewer.passage_range == (quote.start, quote.end)
    assert not viewer.view.highlight_rect().isEmpty()
    assert top.text in window.sources.passage.toPlainText()

    # the conversation was saved, titled by the question, and comes back in a new window
    assert [(c.id, c.title) for c in window.engine.chats.chats()] == [
        (chat_id, "What is the default port of the admin console?")]
    assert window.chats.ids() == [chat_id]
    window.close()
    again = MainWindow(window.engine)
    qtbot.addWidget(again)
    settle(qtbot, again)
    assert again.conversation.chat_id == chat_id and again.chats.ids() == [chat_id]
    assert "What is the default port of the admin console?" in again.chat.transcript.toPlainText()
    assert again.chats.list.currentItem().text() == "What is the default port of the admin console?"


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
    window = open_window(make_engine(generator=ScriptedGenerator(scripted, delay=0.02), max_tokens=300,
                                     answer_mode="generate"))
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))

    ask(qtbot, window, "What is the default port of the admin console?")
    qtbot.waitUntil(lambda: "word2 " in window.chat.transcript.toPlainText(), timeout=30_000)
    qtbot.mouseClick(window.chat.stop, Qt.MouseButton.LeftButton)
    done = wait_answer(qtbot, window, timeout=10_000)
    assert done.stats.cancelled and 3 <= done.stats.tokens < 100
    assert window.chat.transcript.toPlainText().rstrip().endswith("Stopped.")
    chat_id = window.conversation.chat_id
    assert window.engine.chats.turns(chat_id) == []  # a stopped answer is not saved, nor used as context
    assert [m.role for m in window.engine.chats.messages(chat_id)] == ["user"]

    ask(qtbot, window, "How do I change the port of the admin console?")
    qtbot.waitUntil(lambda: "word2 " in window.chat.transcript.toPlainText().split("change the port")[-1],
                    timeout=30_000)
    qtbot.keyClick(window.chat.input, Qt.Key.Key_Escape)
    wait_answer(qtbot, window, timeout=10_000)
    assert window.last_answer.stats.cancelled and window.last_answer.stats.tokens < 100
    assert window.conversation.chat_id == chat_id  # the follow-up went into the same chat
    qtbot.waitUntil(lambda: not window.workers)  # finished threads are let go


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
    settle(qtbot, window, timeout=30_000)
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
    assert box.toPlainText() == "" and not window.answering  # nothing to ask yet
    assert drop_hint() in window.chat.transcript.toPlainText()
    qtbot.keyClick(box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.chat.transcript.document().isEmpty()


def test_a_job_starts_after_the_engine_work_queued_before_it(qtbot, make_engine, tmp_path):
    engine = make_engine(generator=ScriptedGenerator(["x"]))
    window = MainWindow(engine)  # a fresh data folder: its first reads are still queued
    qtbot.addWidget(window)
    order = []
    window.tasks.run(lambda: (time.sleep(0.3), order.append("earlier op")))
    window.ingest([make_sample_pdf(tmp_path / "manual.pdf")])
    assert window.ingesting and window.working
    window.ingestion.worker.event.connect(lambda ev: order.append(type(ev).__name__))
    settle(qtbot, window)
    assert order[0] == "earlier op" and order[-1] == "IngestDone"
    assert doc_line(window, "manual.pdf").endswith(", indexed")
    assert [f.state for f in engine.list_files()] == ["indexed"]


def test_documents_show_the_stage_and_vectors_left_by_the_cli_are_finished(qtbot, open_window, make_engine,
                                                                           tmp_path):
    """`rag-cli ingest --no-wait` leaves a file searchable by its text only; the app shows its
    stage and makes its vectors in the background when it opens the knowledge base."""
    from dataclasses import replace

    engine = make_engine(generator=ScriptedGenerator(["x"]))
    list(engine.ingest([make_sample_pdf(tmp_path / "manual.pdf")], wait=False))
    (rec,) = engine.list_files()
    assert rec.state == "lexical"
    window = open_window(engine)
    qtbot.waitUntil(lambda: doc_line(window, "manual.pdf").endswith(", indexed"), timeout=120_000)
    assert engine.list_files()[0].state == "indexed"
    assert engine.search("default port of the admin console", mode="dense").sources[0].file == "manual.pdf"
    half = replace(rec, embedded=rec.chunks // 2)
    window.docs.show_files([half])
    assert doc_line(window, "manual.pdf").endswith(f", searchable · embedding {half.embedding_percent}%")
    # vectors made but not stored yet (a group is stored once it is embedded): the events' count
    window.docs.embedding_now[rec.path] = rec.chunks - 1
    window.docs.show_files([half])
    ahead = min(99, 100 * (rec.chunks - 1) // rec.chunks)
    assert ahead > half.embedding_percent
    assert doc_line(window, "manual.pdf").endswith(f", searchable · embedding {ahead}%")


def test_embedding_progress_events_name_the_files_the_list_shows(qtbot, make_engine, tmp_path, monkeypatch):
    """The documents list keys the live "embedding N%" by the events' path: it must be the
    path the catalog lists the file under, and it is forgotten once the file is indexed."""
    from rag.events import FileProgress
    from rag.ingest import group_progress

    monkeypatch.setattr(group_progress, "PROGRESS_EVERY_S", 0.0)
    engine = make_engine(generator=ScriptedGenerator(["x"]))
    monkeypatch.setattr(engine.embedder, "batch_size", 2)
    window = MainWindow(engine)
    qtbot.addWidget(window)
    seen, shown = [], []

    def on_event(ev):  # connected after the window's own handler: sees what it made of the event
        if isinstance(ev, FileProgress) and ev.unit == "chunk":
            seen.append(str(ev.path))
            shown.append((window.docs.status.text(), window.docs.progress.value(), ev.done, ev.total))

    window.ingest([make_sample_pdf(tmp_path / "manual.pdf")])
    window.ingestion.worker.event.connect(on_event)
    settle(qtbot, window)
    (rec,) = engine.list_files()
    assert seen and set(seen) == {rec.path}
    # the file is read: the line under the bar and the bar follow the vectors, not "reading, page 3/3"
    for status, bar, done, total in shown:
        assert status == f"manual.pdf: searchable · embedding {min(99, 100 * done // total)}%", status
        assert bar == int(1000 * done / total) < 1000
    assert window.docs.embedding_now == {} and doc_line(window, "manual.pdf").endswith(", indexed")
