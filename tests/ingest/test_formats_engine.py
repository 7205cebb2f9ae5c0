"""DOCX, EPUB and HTML through the whole engine: ingested by the reader child, searched, cited
by location, highlighted by offsets into the section text, re-ingested by hash."""

from __future__ import annotations

from documents import CHINESE, GUIDE, make_docx, make_epub, make_html
from rag.events import AnswerDone, FileIndexed, FileSkipped, SourcesFound


def test_sources_cite_the_section_and_paragraph_and_offsets_index_its_text(make_engine, tmp_path):
    engine = make_engine()
    files = [make_docx(tmp_path / "guide.docx"), make_epub(tmp_path / "book.epub", [("Setup", GUIDE[:4])]),
             make_html(tmp_path / "page.html", CHINESE)]
    indexed = [e for e in engine.ingest(files) if isinstance(e, FileIndexed)]
    assert sorted(e.name for e in indexed) == ["book.epub", "guide.docx", "page.html"]

    result = engine.search("which port does the admin console listen on", files=["guide.docx"], mode="bm25")
    top = result.sources[0]
    assert top.file == "guide.docx" and top.page == 4  # the fourth section, "Firmware"
    assert top.section.startswith('§2.1 "Firmware"')
    assert top.label() == f"guide.docx {top.section}"
    assert top.to_json()["section"] == top.section and top.to_json()["page"] == 4
    # the stored offsets index the section's raw text, which the app's text view shows
    text = engine.page_texts(top.path)[top.page - 1]
    assert text.startswith("Firmware\n\n")
    assert " ".join(text[top.char_start:top.char_end].split()) == " ".join(top.text.split())

    epub = engine.search("blue cable WAN2 before powering on", files=["book.epub"], mode="bm25").sources[0]
    assert epub.label().startswith('book.epub §1.2 "Installing"')

    zh = engine.search("管理端口", files=["page.html"], mode="bm25").sources[0]
    assert zh.file == "page.html" and zh.section.startswith('§1 "安装指南"') and "八四四三" in zh.text

    # re-ingesting unchanged files reads nothing
    again = list(engine.ingest(files))
    assert sorted(e.name for e in again if isinstance(e, FileSkipped)) == ["book.epub", "guide.docx", "page.html"]


def test_answers_and_quotes_from_a_docx_carry_its_section(make_engine, tmp_path):
    from helpers import ScriptedGenerator

    engine = make_engine(generator=ScriptedGenerator(["The console is on port 8443."]), answer_mode="grounded")
    list(engine.ingest([make_docx(tmp_path / "guide.docx")]))
    events = list(engine.ask("Which port does the admin console listen on?"))
    found = next(e for e in events if isinstance(e, SourcesFound))
    done = next(e for e in events if isinstance(e, AnswerDone))
    assert found.sources[0].section.startswith('§2.1 "Firmware"')
    quote = done.evidence[0]
    assert "8443" in quote.text
    source = next(s for s in done.sources if s.n == quote.n)
    text = engine.page_texts(source.path)[quote.page - 1]
    assert text[quote.start:quote.end] == quote.text  # the quote's span in the section's raw text


def test_a_section_chunk_is_embedded_with_its_heading_not_its_location_label(make_engine, tmp_path):
    import numpy as np

    from rag.ingest.indexed import embedded_text, indexed_text, text_hash

    engine = make_engine()
    body = [f"Step {i}: the firmware image number {i} is flashed over the serial console at 115200 baud, "
            f"then the board reboots and checks image {i} against its signature." for i in range(30)]
    list(engine.ingest([make_docx(tmp_path / "guide.docx", [(1, "Firmware", body)])]))
    kb = engine.library.kb(None)
    rows = engine.parts.store.get(kb.collection)
    assert len(rows) >= 3 and all('"Firmware"' in r.metadata["section"] for r in rows)
    opening = [r for r in rows if r.text.startswith("Firmware")]
    later = [r for r in rows if not r.text.startswith("Firmware")]
    assert len(opening) == 1 and later
    for row, indexed in ((opening[0], opening[0].text), (later[0], f"Firmware\n{later[0].text}")):
        # the title on a line before the text (no § or ¶ numbers), unless the text opens with it
        assert indexed_text(row.metadata["section"], row.text) == indexed
        embedded = embedded_text(indexed, engine.embedder.reads_chinese)  # its words, for MiniLM
        assert embedded.startswith("Firmware ") and ":" not in embedded
        assert row.metadata["th"] == text_hash(embedded)
        stored = engine.parts.store.vectors_by(kb.collection, "th", [text_hash(embedded)])[text_hash(embedded)]
        fresh = np.asarray(engine.embedder.embed_documents([embedded])[0])
        assert float(stored @ fresh / np.linalg.norm(stored) / np.linalg.norm(fresh)) > 0.999
    # a PDF outline title or Markdown heading is a title already, and the opening of a
    # sectioned document has none
    assert indexed_text("Installing the tools", "x") == "Installing the tools\nx"
    assert indexed_text("¶3", "x") == "x" and indexed_text("§4", "x") == "x"
    # a chunk that begins with its heading (the first of its section) holds the title already
    first = "Installing  the tools\nRun make install as root."
    assert indexed_text('§3 "Installing the tools"', first) == first
    assert indexed_text("Installing the tools", "Run make install.") == "Installing the tools\nRun make install."
