"""app.markdown, the Qt-free text of answers: the sanitizer between the model's output and
the transcript, the clipboard text and the export file name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.markdown import answer_markdown, clipboard_text, cite_link, export_file_name, parse_cite_link
from rag import Source

ROOT = Path(__file__).resolve().parents[2]


def test_markers_of_real_sources_become_cite_links_and_others_stay_text():
    out = answer_markdown("Port 8443 [1], see also [2][3] and [9].", 7, [1, 2, 3])
    assert out == ("Port 8443 [\\[1\\]](cite:7/1), see also [\\[2\\]](cite:7/2)[\\[3\\]](cite:7/3) "
                   "and [9].")  # 9 is not a source of this answer
    assert answer_markdown("[12] and [123] and [0]", 1, [12, 0]) == \
        "[\\[12\\]](cite:1/12) and [123] and [\\[0\\]](cite:1/0)"  # three digits are no marker
    assert answer_markdown("No sources [1].", 3, []) == "No sources [1]."


def test_cite_links_round_trip_and_nothing_else_parses():
    assert cite_link(4, 2) == "cite:4/2" and parse_cite_link("cite", "4/2") == (4, 2)
    assert parse_cite_link("https", "4/2") is None
    assert parse_cite_link("cite", "4/x") is None and parse_cite_link("cite", "../etc") is None


def test_images_become_their_alt_text_and_load_nothing():
    out = answer_markdown("Look ![tracking pixel](http://203.0.113.9/p.png) here ![](data:image/png;base64,AAA)", 1, [])
    assert out == "Look tracking pixel here "
    assert "203.0.113.9" not in out and "data:" not in out and "![" not in out


def test_autolinks_lose_their_brackets_so_they_are_not_links():
    out = answer_markdown("<javascript:alert(1)> <file:///etc/passwd> <HTTPS://example.com/x> <DATA:text/html,hi>",
                          1, [])
    assert out == "javascript:alert(1) file:///etc/passwd HTTPS://example.com/x DATA:text/html,hi"
    assert "<" not in out


def test_html_is_left_as_text_for_the_no_html_renderer_and_links_are_kept():
    text = "<script>alert(1)</script> <b>bold</b> [the vendor](https://example.com) **strong**"
    assert answer_markdown(text, 1, []) == text  # no HTML is made; the transcript renders it as text


@pytest.mark.gui
def test_the_transcript_renders_html_as_escaped_text(qtbot):
    pytest.importorskip("pytestqt")
    from app.widgets import Transcript

    view = Transcript()
    qtbot.addWidget(view)
    view.begin_answer()
    view.finish_answer("<b>bold</b> <img src=x.png> **strong** [1] [2]", 5, [1])
    html = view.toHtml()
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;img src=x.png&gt;" in html and "<img" not in html
    assert "<b>" not in html.split("<body")[1]
    assert view.anchors() == ["cite:5/1"] and "[2]" in view.toPlainText() and "**" not in view.toPlainText()


def test_clipboard_text_lists_the_sources_after_the_answer():
    sources = [Source(1, "manual.pdf", "/d/manual.pdf", 2, 2, 0.9, "text", "c1"),
               Source(2, "notes.txt", "/d/notes.txt", 1, 3, 0.5, "text", "c2")]
    assert clipboard_text("Port 8443 [1].", sources) == \
        f"Port 8443 [1].\n\n[1] {sources[0].label()}\n[2] {sources[1].label()}"
    assert clipboard_text("Port 8443.", []) == "Port 8443."
    assert sources[0].label().startswith("manual.pdf p.2")


def test_export_file_name_keeps_safe_characters_only():
    assert export_file_name("Ports of the admin console") == "Ports of the admin console.md"
    assert export_file_name("a/b\\c:d*?") == "a_b_c_d__.md"
    assert export_file_name("  ") == "chat.md" and export_file_name("") == "chat.md"
    assert export_file_name("x" * 100) == "x" * 60 + ".md"
    assert export_file_name("端口 8443") == "端口 8443.md"


def test_the_module_imports_no_qt():
    tree = ast.parse((ROOT / "app" / "markdown.py").read_text(encoding="utf-8"))
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert modules and not [m for m in modules if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6")]
