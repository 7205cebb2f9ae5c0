"""Grounded answers in the window: the sources pane shows each source's evidence quote, a
citation opens the page with that quote highlighted (not the whole chunk), and the bundled
model's notice offers the recommended download without downloading anything."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from apphelpers import ask, ingest_and_wait, settle, wait_answer  # noqa: E402
from app.sources_pane import elide  # noqa: E402
from app.window import MainWindow  # noqa: E402
from helpers import ScriptedGenerator  # noqa: E402
from pdfs import FILLER_EN, make_pdf  # noqa: E402

pytestmark = pytest.mark.gui

BATTERY = "The backup battery of the Zephyr router keeps it running for nine hours during a power cut."
QUESTION = "How long does the backup battery keep the router running?"


def squash(text: str) -> str:
    return " ".join(text.split())


def click_citation(window, n: int) -> None:
    cites = [a for a in window.chat.transcript.anchors() if a.startswith("cite:") and a.endswith(f"/{n}")]
    assert cites, window.chat.transcript.anchors()
    window.chat.transcript.anchorClicked.emit(QUrl(cites[-1]))


def test_a_grounded_answer_shows_its_quote_and_the_citation_highlights_it(qtbot, open_window, make_engine,
                                                                         tmp_path):
    pdf = make_pdf(tmp_path / "guide.pdf", [
        ["Chapter 1. Introduction", "The Zephyr router is a small network appliance for homes and offices.",
         *FILLER_EN],
        ["Chapter 2. Power", *FILLER_EN[:2], BATTERY, *FILLER_EN[2:]],
    ])
    engine = make_engine(generator=ScriptedGenerator(["The battery lasts nine hours [1]."]))
    assert engine.settings.answer_mode == "grounded"  # the default
    window = open_window(engine)
    ingest_and_wait(qtbot, window, pdf)
    ask(qtbot, window, QUESTION)
    done = wait_answer(qtbot, window)

    assert done is not None and done.evidence, done
    quote = done.evidence[0]
    assert BATTERY in quote.text and quote.page == 2
    assert done.answer.startswith(f"«{quote.text}» [{quote.n}]")  # the bundled (base) model's form
    row = window.sources.row_of(quote.n)
    source = done.sources[row]
    assert (quote.start, quote.end) != (source.char_start, source.char_end)  # the quote is narrower than the chunk

    # the sources pane: file and page, "quoted in the answer", the quote; no raw score
    lines = window.sources.texts()
    assert lines[row] == f"[{quote.n}] guide.pdf p.2 · quoted in the answer\n«{elide(quote.text)}»"
    assert elide(quote.text).startswith(BATTERY)
    assert not any(re.search(r"\(\d+\.\d+\)", line) for line in lines), lines
    assert sum("quoted in the answer" in line for line in lines) == 1  # only the quote the answer shows

    # the citation opens page 2 with the quote's span highlighted
    click_citation(window, quote.n)
    viewer = window.sources.viewer
    qtbot.waitUntil(lambda: viewer.page == quote.page - 1, timeout=10_000)
    assert viewer.path == quote.path and viewer.passage_range == (quote.start, quote.end)
    page_text = viewer.document.getAllText(viewer.page).text()
    assert squash(page_text[quote.start:quote.end]) == squash(quote.text)
    assert viewer.view.highlights and not viewer.view.highlight_rect().isEmpty()
    quote_box = viewer.view.highlight_rect()
    assert window.sources.list.currentRow() == row
    marks = window.sources.passage.extraSelections()  # the passage below the list marks the quote
    assert len(marks) == 1 and squash(marks[0].cursor.selectedText().replace("\u2029", " ")) in (
        squash(quote.text), squash(f"«{quote.text}»"))

    # without a quote the source falls back to its whole chunk, a taller highlight
    window.sources.set_sources(done.sources)
    window.open_source(row)
    assert viewer.passage_range == (source.char_start, source.char_end)
    assert viewer.view.highlight_rect().height() > quote_box.height()
    assert window.sources.passage.extraSelections() == []

    # a reopened chat keeps its evidence: the pane and the citation behave the same
    chat_id = window.conversation.chat_id
    saved = window.engine.chats.messages(chat_id)[-1]
    assert saved.evidence and saved.evidence[0].start == quote.start
    window.new_chat()
    assert window.sources.texts() == []
    window.conversation.open_chat(chat_id)
    settle(qtbot, window)
    assert window.sources.texts()[row] == lines[row]
    viewer.clear()
    click_citation(window, quote.n)
    qtbot.waitUntil(lambda: viewer.page == quote.page - 1, timeout=10_000)
    assert viewer.passage_range == (quote.start, quote.end)

    # and so does a click on the source in the list
    viewer.clear()
    item = window.sources.list.item(row)
    qtbot.mouseClick(window.sources.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.sources.list.visualItemRect(item).center())
    qtbot.waitUntil(lambda: viewer.page == quote.page - 1, timeout=10_000)
    assert viewer.passage_range == (quote.start, quote.end)


def test_the_bundled_model_notice_offers_the_recommended_model_and_stays_away_once_dismissed(
        qtbot, open_window, make_engine, hub_env, rag_home):
    from dataclasses import replace

    from models import catalog

    pick = catalog.recommended_llm()
    engine = make_engine(generator=ScriptedGenerator(["x"]))
    window = open_window(engine)
    notice = window.chat.notice
    assert notice.isVisible()
    text = notice.text.text()
    assert "The bundled model, gemma-3-270m-q4_k_m, is a tiny offline default" in text
    assert f"the recommended {pick.name} is an instruct model for English + Chinese: a 1.1 GB download that " \
           "needs about 1.6 GB RAM" in text
    assert "Nothing is downloaded until you press Pull" in text

    seen = {}

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:  # not on screen yet
            QTimer.singleShot(20, look)
            return
        entry = dialog.selected_entry()
        seen.update(dialog=type(dialog).__name__, selected=entry and entry.name, status=dialog.status_of(pick.name),
                    pull=dialog.pull_button.isEnabled(), note=dialog.note.text())
        dialog.reject()

    QTimer.singleShot(0, look)
    qtbot.mouseClick(notice.open_button, Qt.MouseButton.LeftButton)  # returns once the dialog is closed
    assert seen["dialog"] == "ModelsDialog" and seen["selected"] == pick.name
    assert seen["status"] == "Not downloaded" and seen["pull"]  # one more click would download it
    assert seen["note"].startswith("Recommended · ") and "needs about 1.6 GB RAM" in seen["note"]
    assert hub_env.log == [] and not (rag_home / "models" / pick.name).exists()  # nothing was downloaded
    assert notice.isVisible()

    # it is about the bundled model only
    bundled = engine.settings
    engine.update_settings(replace(bundled, llm_backend="openai", llm_url="http://127.0.0.1:9/v1"))
    window.preferences.update_model_notice()
    assert not notice.isVisible()
    engine.update_settings(bundled)
    window.preferences.update_model_notice()
    assert notice.isVisible()

    qtbot.mouseClick(notice.dismiss_button, Qt.MouseButton.LeftButton)
    assert not notice.isVisible()
    window.close()
    again = MainWindow(engine)
    qtbot.addWidget(again)
    again.show()
    settle(qtbot, again)
    assert again.chat.notice.isHidden() and again.preferences.notice_dismissed()
    again.preferences.update_model_notice()  # after a settings change, say
    assert again.chat.notice.isHidden()
    assert hub_env.log == []
