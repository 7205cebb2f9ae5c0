"""The desktop window's features beyond ask-and-answer: citations, safe Markdown, chats,
knowledge base and document operations, watched folders (settings: test_app_settings.py)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt, QUrl  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from apphelpers import ask, doc_line, ingest_and_wait, settle, wait_answer  # noqa: E402
from helpers import ScriptedGenerator  # noqa: E402
from pdfs import FILLER_EN, make_pdf, make_sample_pdf  # noqa: E402

pytestmark = pytest.mark.gui


def test_citations_are_links_that_open_the_page_and_markdown_is_safe(qtbot, open_window, make_engine, tmp_path):
    pieces = ["The **admin console** ", "uses port 8443 [1]. ", "![tracker](http://203.0.113.9/pixel.png) ",
              "<script>alert(1)</script> ", "<img src=http://203.0.113.9/x.png> ", "See [the vendor](https://example.com) ",
              "and [9]."]
    window = open_window(make_engine(generator=ScriptedGenerator(pieces), abstain=False, answer_mode="generate"))
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))
    ask(qtbot, window, "What port does the admin console use?")
    done = wait_answer(qtbot, window)
    transcript = window.chat.transcript
    anchors = transcript.anchors()
    cites = [a for a in anchors if a.startswith("cite:")]
    assert len(cites) == 1 and cites[0].endswith("/1")  # [9] is not a source: left as text
    assert "https://example.com" in anchors
    html = transcript.toHtml()
    assert "<script" not in html and "<img" not in html and "203.0.113.9" not in html.split("tracker")[0][-200:]
    text = transcript.toPlainText()
    assert "admin console" in text and "**" not in text and "tracker" in text and "[9]" in text
    assert transcript.external_links == []  # nothing is opened unless clicked

    transcript.anchorClicked.emit(QUrl(cites[0]))
    viewer = window.sources.viewer
    source = done.sources[0]
    qtbot.waitUntil(lambda: viewer.page == source.page - 1)
    assert viewer.path == source.path and viewer.view.highlights
    assert window.sources.list.currentRow() == 0


def test_chats_are_saved_renamed_exported_regenerated_and_deleted(qtbot, open_window, make_engine, tmp_path,
                                                                  monkeypatch):
    gen = ScriptedGenerator(["Port ", "8443 ", "[1]."])
    window = open_window(make_engine(generator=gen, abstain=False, answer_mode="generate"))
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))
    talk = window.conversation
    ask(qtbot, window, "What port does the admin console use?")
    wait_answer(qtbot, window)
    chat_id = talk.chat_id
    assert window.chats.ids() == [chat_id]
    assert window.engine.chats.get(chat_id).title == "What port does the admin console use?"
    first = window.engine.chats.messages(chat_id)
    assert [m.role for m in first] == ["user", "assistant"] and first[1].text == "Port 8443 [1]."
    assert [s.file for s in first[1].sources][:1] == ["manual.pdf"]  # saved with its sources

    gen.pieces = ["It ", "is ", "8443 ", "[1] ", "again."]
    talk.regenerate()
    wait_answer(qtbot, window)
    messages = window.engine.chats.messages(chat_id)
    assert [m.role for m in messages] == ["user", "assistant"] and messages[1].text == "It is 8443 [1] again."
    assert messages[0].id == first[0].id  # the question stays, only the answer is replaced
    text = window.chat.transcript.toPlainText()
    assert text.count("What port does the admin console use?") == 1 and "Port 8443" not in text
    assert "It is 8443 [1] again." in text and window.chats.ids() == [chat_id]

    talk.copy_answer()
    assert QGuiApplication.clipboard().text().startswith("It is 8443 [1] again.\n\n[1] manual.pdf p.")

    talk.rename_chat_to(chat_id, "Ports")
    settle(qtbot, window)
    assert window.chats.title_of(chat_id) == "Ports"
    talk.export_chat(chat_id, str(tmp_path / "chat.md"))
    settle(qtbot, window)
    exported = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert exported.startswith("# Ports") and "It is 8443 [1] again." in exported and "manual.pdf p." in exported
    assert window.statusBar().currentMessage() == f"Exported to {tmp_path / 'chat.md'}"
    talk.export_chat(chat_id, str(tmp_path / "no-such-folder" / "chat.md"))
    settle(qtbot, window)
    assert "cannot write the file" in window.statusBar().currentMessage()

    window.new_chat()
    assert talk.chat_id is None and window.chat.transcript.document().isEmpty()
    talk.open_chat(chat_id)
    settle(qtbot, window)
    assert talk.chat_id == chat_id and "It is 8443 [1] again." in window.chat.transcript.toPlainText()
    assert window.sources.texts() and window.sources.texts()[0].startswith("[1] manual.pdf")

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    talk.delete_chat(chat_id)
    settle(qtbot, window)
    assert window.chats.ids() == [] and talk.chat_id is None
    assert window.engine.chats.chats() == []


def test_an_abstention_is_saved_in_the_chat_like_the_cli_does(qtbot, open_window, make_engine, tmp_path):
    window = open_window(make_engine(generator=ScriptedGenerator(["never used"])))  # abstain on: the default
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))
    question = "Which grape varieties grow best on volcanic soil in northern Portugal?\nAnswer briefly."
    window.chat.input.setPlainText(question)  # two lines (typed, Shift+Enter would separate them)
    window.send()
    assert window.answering
    assert wait_answer(qtbot, window) is None  # no answer, the reason instead
    chat_id = window.conversation.chat_id
    chat = window.engine.chats.get(chat_id)
    assert chat.title == "Which grape varieties grow best on volcanic soil in northern Portugal?"
    messages = window.engine.chats.messages(chat_id)
    assert [m.role for m in messages] == ["user", "assistant"] and messages[0].text == question
    assert messages[1].text in window.chat.transcript.toPlainText()  # the reason shown is the one saved
    assert window.chats.ids() == [chat_id]
    long = "x" * 120
    window.new_chat()
    ask(qtbot, window, long)
    wait_answer(qtbot, window)
    assert window.engine.chats.get(window.conversation.chat_id).title == "x" * 79 + "…"  # as rag-cli titles it


def test_only_selected_documents_limits_the_sources(qtbot, open_window, make_engine, tmp_path):
    window = open_window(make_engine(generator=ScriptedGenerator(["ok"]), abstain=False))
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"),
                    make_pdf(tmp_path / "other.pdf", [["The admin console of the other product uses port 9000.",
                                                       *FILLER_EN]]))
    assert not window.chat.only_selected.isEnabled()
    item = window.docs.files.findItems("other.pdf", Qt_MatchStartsWith())[0]
    item.setSelected(True)
    assert window.chat.only_selected.isEnabled() and "(1)" in window.chat.only_selected.text()
    window.chat.only_selected.setChecked(True)
    ask(qtbot, window, "What port does the admin console use?")
    done = wait_answer(qtbot, window)
    assert done.sources and {s.file for s in done.sources} == {"other.pdf"}


def Qt_MatchStartsWith():
    from PySide6.QtCore import Qt

    return Qt.MatchFlag.MatchStartsWith


def test_knowledge_base_and_document_operations(qtbot, open_window, make_engine, tmp_path, monkeypatch):
    window = open_window(make_engine(generator=ScriptedGenerator(["x"])))
    pdf = make_sample_pdf(tmp_path / "manual.pdf")
    note = tmp_path / "note.txt"
    note.write_text("The gate code is 4711.\n", encoding="utf-8")
    ingest_and_wait(qtbot, window, pdf, note)
    lib = window.library
    lib.rename_kb_to("Work")
    settle(qtbot, window)
    assert window.kb == "Work" and window.docs.kb_box.currentText() == "Work"
    assert {kb.name for kb in window.engine.list_kbs()} >= {"Work"}
    lib.rename_kb_to("bad/name")
    settle(qtbot, window)
    assert "not a valid knowledge base name" in window.statusBar().currentMessage() and window.kb == "Work"

    window.docs.reindex_requested.emit([str(note.resolve())])  # the context menu's Re-index
    settle(qtbot, window, timeout=60_000)
    assert window.docs.status.text().startswith("Done: 1 indexed")
    window.ingest([str(tmp_path / "missing.pdf")])  # a job runs: removing must wait
    lib.remove_documents([str(note.resolve())])
    assert "before removing documents" in window.statusBar().currentMessage()
    settle(qtbot, window, timeout=60_000)
    lib.remove_documents([str(note.resolve()), str(tmp_path / "never-added.txt")])
    settle(qtbot, window)
    assert doc_line(window, "note.txt") == "" and doc_line(window, "manual.pdf").endswith("indexed")
    assert window.statusBar().currentMessage() == "Removed 1 document(s)."
    assert [f.name for f in window.engine.list_files("Work")] == ["manual.pdf"]
    from app.dialogs import file_details

    rec = window.docs.record(str(pdf.resolve()))
    assert "Pages: 4" in file_details(rec) and str(pdf.resolve()) in file_details(rec)

    lib.create_kb("Spare")
    settle(qtbot, window)
    kbs = [window.docs.kb_box.itemText(i) for i in range(window.docs.kb_box.count())]
    assert window.kb == "Spare" and window.docs.kb_box.currentText() == "Spare" and {"Spare", "Work"} <= set(kbs)
    assert window.docs.texts() == [] and window.docs.stack.currentWidget() is window.docs.placeholder
    lib.select_kb("Work")
    settle(qtbot, window)
    assert window.docs.kb_box.currentText() == "Work" and doc_line(window, "manual.pdf").endswith("indexed")
    assert lib.delete_kb_now()
    settle(qtbot, window)
    assert window.kb == window.engine.settings.default_kb
    assert "Work" not in {kb.name for kb in window.engine.list_kbs()}
    assert "Work" not in [window.docs.kb_box.itemText(i) for i in range(window.docs.kb_box.count())]


def test_a_followed_folder_picks_up_new_and_deleted_files_while_running(qtbot, open_window, make_engine, tmp_path):
    window = open_window(make_engine(generator=ScriptedGenerator(["x"])))
    lib = window.library
    lib.sync_timer.setInterval(200)
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "sub").mkdir()
    (folder / "first.txt").write_text("The first memo is about budgets.\n", encoding="utf-8")
    lib.follow(str(folder))
    qtbot.waitUntil(lambda: doc_line(window, "first.txt").endswith("indexed"), timeout=60_000)
    settle(qtbot, window, timeout=60_000)
    assert str(folder.resolve()) in window.docs.watching.text()
    assert {str(folder.resolve()), str(folder.resolve() / "sub")} <= set(lib.watcher.directories())
    assert window.engine.watched_folders() == [str(folder.resolve())]

    (folder / "second.txt").write_text("The second memo is about travel.\n", encoding="utf-8")
    qtbot.waitUntil(lambda: doc_line(window, "second.txt").endswith("indexed"), timeout=60_000)
    settle(qtbot, window, timeout=60_000)
    (folder / "first.txt").unlink()
    qtbot.waitUntil(lambda: doc_line(window, "first.txt") == "", timeout=60_000)
    settle(qtbot, window, timeout=60_000)

    lib.unfollow(str(folder))
    settle(qtbot, window)
    assert window.engine.watched_folders() == [] and lib.watcher.directories() == []
    assert not window.docs.watching.isVisibleTo(window) and doc_line(window, "second.txt").endswith("indexed")
