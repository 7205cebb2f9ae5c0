"""The desktop window's settings and switches: the settings dialog, window state, deleting
all data, Qt only in app/, a chroma server and an LLM server, the local API, pages left out
of a PDF, and the multilingual embedder offered to a Chinese library."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from apphelpers import ask, doc_line, ingest_and_wait, settle, wait_answer  # noqa: E402
from app.dialogs import SettingsDialog  # noqa: E402
from app.window import MainWindow  # noqa: E402
from helpers import ScriptedGenerator  # noqa: E402
from pdfs import FILLER_EN, make_pdf, make_sample_pdf  # noqa: E402

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]


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
