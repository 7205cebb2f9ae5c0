"""The interface speaks English and Chinese: every visible string is translatable, the
zh_CN catalogue is complete and current, and the window really shows it."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "app" / "i18n"
BIN = Path(sys.executable).parent

# Qt calls whose string arguments end up on screen
VISIBLE = {"setText", "setToolTip", "setStatusTip", "setPlaceholderText", "setWindowTitle", "addTab", "addAction",
           "addMenu", "addItem", "addRow", "showMessage", "add_note", "setSpecialValueText", "QLabel", "QPushButton",
           "QCheckBox", "QToolButton", "QAction", "QGroupBox", "information", "warning", "question", "critical",
           "about", "getText", "getItem", "getOpenFileName", "getOpenFileNames", "getSaveFileName",
           "getExistingDirectory", "show_error", "setTitle"}
# text that is the same in every language
NEUTRAL = {"RAG Desk", "English", "简体中文", "auto", "0", "all", "◀", "▶", "↗", "⋯"}


def _literal_texts(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


def test_every_visible_string_in_app_goes_through_translation():
    offenders = []
    for path in sorted((ROOT / "app").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in VISIBLE:
                continue
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(owner, ast.Name) and owner.id in ("log", "logger", "logging"):
                continue  # the log file stays English
            args = list(node.args)
            if name == "addItem" and len(args) >= 2:
                args = args[:-1]  # QComboBox.addItem(text, userData): the data is never shown
            for arg in [*args, *(k.value for k in node.keywords if k.arg in ("text", "title"))]:
                for text in _literal_texts(arg):
                    bare = re.sub(r"<[^>]*>|\{[^}]*\}", " ", text)  # markup and placeholders are not words
                    words = [w for w in bare.split() if any(c.isalpha() for c in w)]
                    if re.fullmatch(r"\w+://\S+", text.strip()):
                        continue  # an example address reads the same in every language
                    if words and text.strip() not in NEUTRAL and not text.startswith(("QLabel {", "color:")):
                        offenders.append(f"{path.name}:{node.lineno}: {text!r}")
    assert offenders == [], "wrap these in self.tr(...) or QCoreApplication.translate(...):\n" + "\n".join(offenders)


def _messages(ts: Path):
    for message in ET.parse(ts).getroot().iter("message"):
        yield message.find("source").text, message.find("translation")


def test_zh_cn_catalogue_is_complete_and_covers_the_current_sources(tmp_path):
    for lang in ("zh_CN", "en"):
        ts = I18N / f"rag_desk_{lang}.ts"
        assert ts.exists() and ts.with_suffix(".qm").exists()
        unfinished = [src for src, tr in _messages(ts) if tr.get("type") == "unfinished" or not tr.text]
        assert unfinished == [], f"{lang}: untranslated (run scripts/i18n.py): {unfinished}"
    # Re-extract from today's sources: nothing new may appear untranslated.
    copy = tmp_path / "check_zh_CN.ts"
    shutil.copy(I18N / "rag_desk_zh_CN.ts", copy)
    subprocess.run([str(BIN / "pyside6-lupdate"), *map(str, sorted((ROOT / "app").glob("*.py"))), "-no-obsolete",
                    "-ts", str(copy)], check=True, capture_output=True)
    new = [src for src, tr in _messages(copy) if tr.get("type") == "unfinished"]
    assert new == [], f"strings without a zh_CN translation (add them to scripts/i18n.py): {new}"
    zh = dict((src, tr.text) for src, tr in _messages(I18N / "rag_desk_zh_CN.ts"))
    assert zh["Send"] == "发送" and all("{" not in src or src.count("{") == (t or "").count("{")
                                       for src, t in zh.items())


@pytest.mark.gui
def test_the_window_speaks_chinese_when_asked(qtbot, make_engine):
    pytest.importorskip("pytestqt")
    from PySide6.QtCore import QCoreApplication

    from app.appearance import install_translator
    from app.window import MainWindow
    from helpers import ScriptedGenerator

    app = QCoreApplication.instance()
    assert install_translator(app, "zh_CN") == "zh_CN"
    try:
        window = MainWindow(make_engine(generator=ScriptedGenerator(["x"])))
        qtbot.addWidget(window)
        assert window.chat.send.text() == "发送"
        assert [a.text() for a in window.menuBar().actions()][:2] == ["文件(&F)", "对话(&C)"]
        assert window.left.tabs.tabText(0) == "文档"
        assert window.docs.placeholder.text() == "把 PDF 拖到这里，或使用“添加文档…”"
        assert window.model_state.text() == "模型将在首次使用时加载"
        window.conversation.selection_changed()  # text of a controller (its own translation context)
        assert window.chat.only_selected.text() == "仅限选中的文档"
        assert dict(window.preferences.data_places()).keys() >= {"数据文件夹", "设置文件", "日志文件"}
        notice = window.chat.notice.text.text()  # the bundled model's notice, facts from the catalog
        assert notice.startswith("内置模型 gemma-3-270m-q4_k_m 是一个很小的离线默认模型")
        assert "支持英语 + 中文的指令模型" in notice
        assert window.chat.notice.open_button.text() == "在“模型”中查看…"
        from rag import Quote, Source

        source = Source(1, "a.pdf", "/a.pdf", 2, 2, 0.03, "端口是 8443。其他内容。")
        quote = Quote(1, "a.pdf", "/a.pdf", 2, "端口是 8443。", 0, 9)
        window.sources.set_sources([source], [quote], "「端口是 8443。」 [1]")
        assert window.sources.texts() == ["[1] a.pdf p.2 · 回答中引用了此处\n「端口是 8443。」"]
    finally:
        from PySide6.QtCore import QTranslator

        for translator in app.findChildren(QTranslator):
            app.removeTranslator(translator)
            translator.deleteLater()
    window2 = MainWindow(make_engine(generator=ScriptedGenerator(["x"])))
    qtbot.addWidget(window2)
    assert window2.chat.send.text() == "Send"
