"""Clicking a DOCX/EPUB/HTML citation shows its section as text with the passage highlighted."""

from __future__ import annotations

import pytest

from documents import GUIDE, make_docx, make_epub

pytestmark = pytest.mark.gui


def test_a_docx_source_opens_its_section_with_the_quote_highlighted(qtbot, make_engine, tmp_path):
    from helpers import ScriptedGenerator

    from app.sources_pane import SourcesPane
    from rag import AnswerDone

    engine = make_engine(generator=ScriptedGenerator(["The console is on port 8443."]))
    list(engine.ingest([make_docx(tmp_path / "guide.docx"), make_epub(tmp_path / "book.epub", [("One", GUIDE)])]))
    done = next(e for e in engine.ask("Which port does the admin console listen on?", files=["guide.docx"])
                if isinstance(e, AnswerDone))
    pane = SourcesPane()
    qtbot.addWidget(pane)
    pane.show()
    pane.set_sources(done.sources, done.evidence, done.answer)
    quote = pane.quote_of(done.sources[0].n)
    assert quote is not None and "8443" in quote.text
    with qtbot.waitSignal(pane.text_view.shown, timeout=30_000) as shown:
        assert pane.open_row(0)
    assert shown.args[0] >= 0
    assert pane.text_view.highlighted() == quote.text
    assert pane.text_view.isVisible() and not pane.viewer.isVisible()
    assert pane.text_view.text.toPlainText().startswith("Firmware\n\n")
    assert pane.text_view.title.text() == done.sources[0].label()

    # a source without a quote: its whole passage is highlighted
    epub = engine.search("wireless network name label", files=["book.epub"], mode="bm25").sources
    pane.set_sources(epub)
    with qtbot.waitSignal(pane.text_view.shown, timeout=30_000):
        pane.open_row(0)
    assert " ".join(pane.text_view.highlighted().split()) == " ".join(epub[0].text.split())
