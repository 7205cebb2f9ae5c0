"""The desktop window's features beyond ask-and-answer: citations, safe Markdown, chats,
knowledge base and document operations, watched folders, settings, window state, data."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt, QUrl  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from apphelpers import ask, doc_line, ingest_and_wait, settle, wait_answer  # noqa: E402
from app.dialogs import SettingsDialog  # noqa: E402
from app.window import MainWindow  # noqa: E402
from helpers import ScriptedGenerator  # noqa: E402
from pdfs import FILLER_EN, make_pdf, make_sample_pdf  # noqa: E402

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


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


def test_settings_dialog_saves_validates_and_offers_a_rebuild(qtbot, open_window, make_engine, tmp_path,
                                                             monkeypatch):
    window = open_window(make_engine(generator=ScriptedGenerator(["x"])))
    ingest_and_wait(qtbot, window, make_pdf(tmp_path / "manual.pdf", [[f"Part {i}.", *FILLER_EN * 3]
                                                                      for i in range(3)]))
    before = doc_line(window, "manual.pdf")

    dialog = SettingsDialog(window.engine.settings, window)
    qtbot.addWidget(dialog)
    dialog.llm.setText(str(tmp_path / "missing.gguf"))
    dialog.accept()
    assert dialog.result_settings() is None and "no such model file" in dialog.error.text()
    dialog.llm.setText("bundled:gemma-3-270m-q4_k_m")
    dialog.gpu_layers.setCurrentText("lots")
    dialog.accept()
    assert dialog.result_settings() is None and "gpu_layers" in dialog.error.text()
    dialog.gpu_layers.setCurrentText("0")
    dialog.chunk_tokens.setValue(90)
    dialog.top_k.setValue(3)
    assert dialog.reranker.currentData() == ""  # off by default
    dialog.reranker.setCurrentIndex(dialog.reranker.findData("llm"))
    dialog.accept()
    new = dialog.result_settings()
    assert new is not None and new.chunk_tokens == 90 and new.top_k == 3 and new.reranker == "llm"
    typed = SettingsDialog(new, window)
    qtbot.addWidget(typed)
    assert typed.reranker.currentData() == "llm"
    typed.reranker.lineEdit().setText(str(tmp_path / "cross-encoder"))
    qtbot.keyClick(typed.reranker.lineEdit(), Qt.Key.Key_Return)  # Enter adds no item without a value
    assert typed.values()["reranker"] == str(tmp_path / "cross-encoder")
    typed.accept()
    assert typed.result_settings() is None and "no config.json" in typed.error.text()
    (tmp_path / "cross-encoder").mkdir()
    (tmp_path / "cross-encoder" / "config.json").write_text("{}")
    typed.accept()
    assert typed.result_settings().reranker == str(tmp_path / "cross-encoder")
    typed.reranker.setEditText(typed.reranker.itemText(0))  # "Off"
    assert typed.values()["reranker"] == ""

    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.preferences.applied, timeout=30_000) as applied:
        window.preferences.apply_settings(new)
    changed = applied.args[0]
    assert {"chunk_tokens", "top_k", "gpu_layers", "reranker"} <= changed
    assert window.engine.settings.top_k == 3
    from rag import config_file, load_settings

    assert load_settings(config_file()).chunk_tokens == 90
    qtbot.waitUntil(lambda: bool(asked), timeout=30_000)
    assert "again" in asked[0]
    settle(qtbot, window, timeout=60_000)
    after = doc_line(window, "manual.pdf")
    assert after.endswith("indexed") and after != before  # more, smaller chunks
    assert window.engine.needs_reindex() == []


def test_window_state_is_remembered(qtbot, make_engine):
    engine = make_engine(generator=ScriptedGenerator(["x"]))
    engine.create_kb("Second")
    window = MainWindow(engine)
    qtbot.addWidget(window)
    window.show()
    window.resize(760, 560)
    window.splitter.setSizes([200, 360, 200])
    window.library.select_kb("Second")
    sizes, size = window.splitter.sizes(), window.size()
    window.close()
    again = MainWindow(engine)
    qtbot.addWidget(again)
    again.show()
    settle(qtbot, again)
    assert again.kb == "Second" and again.docs.kb_box.currentText() == "Second"
    assert again.size() == size and size.width() != 1280
    assert again.splitter.sizes() == sizes


def test_delete_all_data_starts_empty_and_keeps_settings(qtbot, open_window, make_engine, tmp_path):
    from rag import config_file, load_settings, save_settings

    engine = make_engine(generator=ScriptedGenerator(["x"]))
    save_settings(engine.settings.__class__(top_k=4), config_file())
    window = open_window(engine)
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))
    ask(qtbot, window, "What is the default port?")
    wait_answer(qtbot, window)
    places = dict(window.preferences.data_places())
    assert list(places) == ["Data folder", "Settings file", "Log file", "Knowledge bases", "Chats"]
    assert places["Data folder"] == engine.home and places["Settings file"] == config_file()
    assert places["Chats"].parent == engine.home
    assert window.preferences.delete_all_data()
    settle(qtbot, window)
    assert window.statusBar().currentMessage() == "All data deleted."
    assert window.docs.texts() == [] and window.engine.list_files() == [] and window.chats.ids() == []
    assert window.engine.chats.chats() == [] and window.conversation.chat_id is None
    assert config_file().exists() and load_settings(config_file()).top_k == 4
    assert not (engine.home / "catalog.sqlite3").exists() or window.engine.list_kbs()[0].files == 0
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "again.pdf"))  # works after the wipe
    assert doc_line(window, "again.pdf").endswith("indexed")


def test_only_app_imports_qt():
    offenders = []
    for package in ("rag", "models", "bench"):
        for path in (ROOT / package).rglob("*.py"):
            if {"results", "data"} & set(path.relative_to(ROOT).parts):
                continue  # benchmark outputs and their virtual environments
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(re.match(r"(PySide6|PyQt[56]|shiboken6)(\.|$)", n) for n in names):
                    offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    assert any("PySide6" in p.read_text(encoding="utf-8") for p in (ROOT / "app").glob("*.py"))


def test_settings_switch_the_app_to_a_chroma_server_and_an_llm_server(qtbot, open_window, make_engine, tmp_path,
                                                                    llama_server, chroma_server):
    from dataclasses import replace

    engine = make_engine(generator=ScriptedGenerator(["local"]), abstain=False, max_tokens=24)
    window = open_window(engine)
    dialog = SettingsDialog(engine.settings, window)
    qtbot.addWidget(dialog)
    assert not dialog.llm_url.isEnabled()
    dialog.llm_backend.setCurrentIndex(dialog.llm_backend.findData("openai"))
    assert dialog.llm_url.isEnabled() and not dialog.llm.isEnabled()
    dialog.llm_url.setText("not a url")
    dialog.accept()
    assert dialog.result_settings() is None and "llm_url" in dialog.error.text()
    dialog.llm_url.setText(llama_server.url)
    dialog.llm_api.setCurrentIndex(dialog.llm_api.findData("completion"))
    dialog.chroma_url.setText(chroma_server.url)
    dialog.accept()
    remote = dialog.result_settings()
    assert remote is not None and remote.llm_backend == "openai" and remote.chroma_url == chroma_server.url

    with qtbot.waitSignal(window.preferences.applied, timeout=30_000) as applied:
        window.preferences.apply_settings(remote)
    assert {"llm_backend", "llm_url", "chroma_url"} <= applied.args[0]
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))
    assert doc_line(window, "manual.pdf").endswith("indexed")
    assert window.engine.parts.store.url == chroma_server.url
    ask(qtbot, window, "What port does the admin console use?")
    done = wait_answer(qtbot, window)
    assert done is not None and done.stats.tokens > 0 and done.stats.model != "scripted"
    assert "manual.pdf" in done.sources[0].file

    with qtbot.waitSignal(window.preferences.applied, timeout=30_000):
        window.preferences.apply_settings(replace(remote, llm_backend="llama", llm_url="", chroma_url=""))
    assert window.engine.settings.chroma_url == "" and window.engine.parts.store.url == ""
    # the knowledge base's vectors are on the server: a clear message, not a silent empty answer
    ask(qtbot, window, "What port does the admin console use?")
    wait_answer(qtbot, window)
    message = window.statusBar().currentMessage()
    assert "is stored in the Chroma server" in message and "reindex --all" in message
    window.ingestion.run_job("rebuild", [], window.kb)  # rebuild it here
    settle(qtbot, window, timeout=60_000)
    assert doc_line(window, "manual.pdf").endswith("indexed")
    assert window.engine.search("admin console port").sources[0].file == "manual.pdf"


def test_partly_undecodable_pdf_is_indexed_and_the_window_says_which_pages_were_left_out(
        qtbot, open_window, make_engine, tmp_path):
    from pypdf import PdfReader, PdfWriter

    from pdfs import make_garbled_pdf

    good = make_pdf(tmp_path / "good.pdf", [["The spare fuse sits behind the rubber foot.", *FILLER_EN]])
    bad = make_garbled_pdf(tmp_path / "bad.pdf", [["The antenna drawer holds the spare antenna.", *FILLER_EN]])
    writer = PdfWriter()
    for part in (good, bad):
        for page in PdfReader(part).pages:
            writer.add_page(page)
    mixed = tmp_path / "mixed.pdf"
    with mixed.open("wb") as fh:
        writer.write(fh)
    engine = make_engine(ocr=False)
    window = open_window(engine)
    ingest_and_wait(qtbot, window, mixed)
    rec = next(f for f in engine.list_files() if f.name == "mixed.pdf")
    assert rec.state == "indexed" and rec.chunks >= 1
    assert "page(s) 2 cannot be decoded" in rec.error and "turn OCR on" in rec.error
    assert "mixed.pdf: indexed, but" in window.statusBar().currentMessage()
    item = window.docs.files.item(0)
    assert "page(s) 2 cannot be decoded" in item.toolTip() and not item.icon().isNull()
    # indexing it again with OCR on reads the page and clears the note
    from dataclasses import replace

    engine.update_settings(replace(engine.settings, ocr=True))
    list(engine.reindex([str(mixed)]))
    rec = next(f for f in engine.list_files() if f.name == "mixed.pdf")
    assert rec.state == "indexed" and rec.error is None


def test_the_local_api_switch_serves_the_knowledge_bases_and_stops(qtbot, open_window, make_engine, embedder,
                                                                   tmp_path):
    import socket
    from dataclasses import replace

    import httpx

    from rag import Engine, config_file, load_settings

    engine = make_engine(generator=ScriptedGenerator(["x"]))
    window = open_window(engine)
    assert window.api.url == "" and not window.api_state.isVisible()  # off by default
    # the server's own engine, over the same data folder, sharing the session's loaded embedder
    window.api.engine_factory = lambda settings: Engine(settings, home=engine.home, embedder=embedder)
    ingest_and_wait(qtbot, window, make_sample_pdf(tmp_path / "manual.pdf"))

    dialog = SettingsDialog(engine.settings, window)
    qtbot.addWidget(dialog)
    assert not dialog.serve_api.isChecked() and not dialog.serve_port.isEnabled()
    dialog.serve_api.setChecked(True)
    assert dialog.serve_port.isEnabled() and dialog.serve_token.isEnabled()
    dialog.serve_port.setValue(0)  # any free port
    dialog.serve_token.setText("s3cret")
    dialog.accept()
    served = dialog.result_settings()
    assert served is not None and served.serve_api and served.serve_token == "s3cret"
    with qtbot.waitSignal(window.api.state_changed, timeout=60_000) as state:
        window.preferences.apply_settings(served)
    url, error = state.args
    assert error == "" and url.startswith("http://127.0.0.1:") and url in window.api_state.text()
    assert load_settings(config_file()).serve_api  # saved: the next start serves again

    assert httpx.get(f"{url}/models").status_code == 401  # the token is asked for
    auth = {"Authorization": "Bearer s3cret"}
    assert window.kb in [m["id"] for m in httpx.get(f"{url}/models", headers=auth).json()["data"]]
    found = httpx.post(f"{url}/search", headers=auth, json={"query": "admin console port", "k": 2}).json()
    assert found["results"][0]["file"] == "manual.pdf"
    # what the app indexes later is served too (the server reads the same data folder)
    ingest_and_wait(qtbot, window, make_pdf(tmp_path / "later.pdf", [["The backup battery lasts nine years.",
                                                                       *FILLER_EN]]))
    found = httpx.post(f"{url}/search", headers=auth, json={"query": "backup battery", "k": 1}).json()
    assert found["results"][0]["file"] == "later.pdf"

    with qtbot.waitSignal(window.api.state_changed, timeout=30_000) as state:
        window.preferences.apply_settings(replace(served, serve_api=False))
    assert list(state.args) == ["", ""] and not window.api_state.isVisible()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/models", headers=auth)

    with socket.socket() as taken:  # a port another program holds: a clear message, the app goes on
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with qtbot.waitSignal(window.api.state_changed, timeout=30_000) as state:
            window.preferences.apply_settings(replace(served, serve_port=port))
        url, error = state.args
        assert url == "" and f"127.0.0.1:{port}" in error and "another port" in error
        assert error in window.statusBar().currentMessage() and window.api_state.text() == "API off"
    window.close()  # stops whatever serves; nothing is left listening
    assert window.api.server is None


def test_a_chinese_library_is_offered_the_multilingual_embedder_and_switches_on_a_click(
        qtbot, open_window, make_engine, e5_embedder, tmp_path):
    from models.locate import E5_SETTING

    engine = make_engine(generator=ScriptedGenerator(["x"]), ui_language="en")
    engine.parts.add_embedder(e5_embedder)  # the session's loaded e5: nothing is built twice
    window = open_window(engine)
    notice = window.chat.embedder_notice
    english = tmp_path / "en"
    english.mkdir()
    (english / "console.txt").write_text("The admin console listens on port 8443; change it under Network.")
    ingest_and_wait(qtbot, window, english / "console.txt")
    assert not notice.isVisible()  # an English library: nothing to suggest

    window.library.select_kb("中文资料")
    chinese = tmp_path / "zh"
    chinese.mkdir()
    for name, text in (("voltage.txt", "额定电压为 220 伏，频率为 50 赫兹；请勿在潮湿的环境中使用本设备。"),
                       ("fonts.txt", "在 ctex 文档类中，可以用 \\setCJKmainfont 命令设置正文使用的中文字体，例如宋体。")):
        (chinese / name).write_text(text, encoding="utf-8")
    ingest_and_wait(qtbot, window, chinese)
    qtbot.waitUntil(notice.isVisible, timeout=30_000)
    text = notice.text.text()
    assert "中文资料" in text and "Chinese" in text and "multilingual-e5-small" in text
    assert "2 pages" in text and "2 chunks" in text and " s " in text.replace(" s.", " s ")
    assert window.advisor.suggestion.setting == E5_SETTING

    qtbot.mouseClick(notice.open_button, Qt.MouseButton.LeftButton)  # re-index with e5, through the ingest queue
    assert not notice.isVisible()
    settle(qtbot, window, timeout=120_000)
    kb = engine.library.kb("中文资料")
    assert (kb.embed_model, kb.embed_dim) == (e5_embedder.name, e5_embedder.dim)
    assert engine.search("这台设备的额定电压是多少？", kb="中文资料").sources[0].file == "voltage.txt"
    assert not notice.isVisible() and engine.library.kb(None).name == "default"

    # the app in Chinese suggests it for an English library too; "Not now" keeps it away there
    window.library.select_kb("default")
    engine.update_settings(replace_settings(engine.settings, ui_language="zh_CN"))
    window.advisor.check()
    qtbot.waitUntil(notice.isVisible, timeout=30_000)
    qtbot.mouseClick(notice.dismiss_button, Qt.MouseButton.LeftButton)
    assert not notice.isVisible()
    window.advisor.check()
    settle(qtbot, window)
    assert not notice.isVisible() and window.advisor.dismissed("default")


def replace_settings(settings, **changes):
    from dataclasses import replace

    return replace(settings, **changes)
