"""What the embedder is given for a chunk: an English-only embedder reads a mostly-Chinese
chunk by its Latin-script words, and every chunk and question by its words and numbers without
punctuation (rag.ingest.indexed.embedded_text, rag.language.words_only)."""

from __future__ import annotations

import numpy as np

from rag.ingest.indexed import embedded_text, text_hash
from rag.language import words_only
from tests.pdfs import make_pdf

CHINESE = "使用 \\setCJKmainfont{SimSun} 命令设置中文正文字体，并用 BoldFont 选项指定粗体字体为黑体。"


def test_a_mostly_chinese_chunk_keeps_its_latin_words_for_an_english_only_embedder():
    assert embedded_text(CHINESE, reads_chinese=False) == "setCJKmainfont SimSun BoldFont"
    assert embedded_text(CHINESE, reads_chinese=True) == CHINESE  # e5 reads all of it
    english = "Set the font with \\setCJKmainfont{SimSun} (宋体) in the preamble."
    assert embedded_text(english, reads_chinese=False) == "Set the font with setCJKmainfont SimSun 宋体 in the preamble"
    pure = "本设备的额定电压为十二伏特。请勿在潮湿环境中使用。"
    # nothing Latin to read: its characters, without the punctuation
    assert embedded_text(pure, reads_chinese=False) == "本设备的额定电压为十二伏特 请勿在潮湿环境中使用"


def test_an_english_only_embedder_reads_words_and_numbers_without_punctuation():
    code = 'set datafile separator {whitespace | tab | comma | "<chars>"} # see set_key(), 3.5 dpi'
    assert embedded_text(code, reads_chinese=False) == \
        "set datafile separator whitespace tab comma chars see set key 3 5 dpi"
    assert embedded_text(code, reads_chinese=True) == code  # a multilingual embedder: untouched
    assert words_only("--- ... ***") == "--- ... ***"  # nothing but symbols: kept, not emptied
    assert words_only("") == ""


def test_questions_are_read_as_chunks_are(make_engine):
    """The bundled (English-only) embedder embeds a question by its words: the same vector with
    or without its punctuation, and one that differs from the raw text's."""
    embedder = make_engine().embedder
    assert not embedder.reads_chinese
    plain = np.asarray(embedder.embed_query("How do I set the key off"))
    marked = np.asarray(embedder.embed_query("How do I `set the key off`?!"))
    assert float(plain @ marked) > 0.9999
    raw = np.asarray(embedder.embed_documents(["How do I `set the key off`?!"])[0])
    doc = np.asarray(embedder.embed_documents(["How do I set the key off"])[0])
    assert float(raw @ doc) < 0.9999  # punctuation does move the raw vector: the rule is doing something


def test_the_bundled_embedder_stores_the_latin_reading_of_a_chinese_page(make_engine, tmp_path):
    engine = make_engine()
    assert not engine.embedder.reads_chinese
    pdf = make_pdf(tmp_path / "fonts.pdf", [[CHINESE * 3], ["The preamble sets the fonts with commands."]])
    list(engine.ingest([pdf]))
    kb = engine.library.kb(None)
    rows = {int(r.metadata["page"]): r for r in engine.parts.store.get(kb.collection)}
    for page, expect_latin in ((1, True), (2, False)):
        row = rows[page]
        embedded = embedded_text(row.text, reads_chinese=False)
        if expect_latin:
            assert embedded == "setCJKmainfont SimSun BoldFont " * 2 + "setCJKmainfont SimSun BoldFont"
        else:
            assert embedded == words_only(row.text) != row.text
        assert row.metadata["th"] == text_hash(embedded)
        stored = engine.parts.store.vectors_by(kb.collection, "th", [text_hash(embedded)])[text_hash(embedded)]
        fresh = np.asarray(engine.embedder.embed_documents([embedded])[0])
        assert float(stored @ fresh / np.linalg.norm(stored) / np.linalg.norm(fresh)) > 0.999
    # BM25 still reads every character: the page is found by its Chinese words
    found = engine.search("中文正文字体", mode="bm25").sources
    assert found and found[0].page == 1
