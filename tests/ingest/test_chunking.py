from rag.ingest.chunking import Chunker, split_sentences
from rag.ingest.page import Page
from rag.ingest.textclean import clean_page


def page(n, raw):
    text, offsets = clean_page(raw)
    return Page(n, text, offsets)


def test_split_sentences_english_and_chinese():
    text = "First one. Second one! 第一句。第二句？Last"
    parts = [text[s:e] for s, e in split_sentences(text)]
    assert parts == ["First one.", "Second one!", "第一句。", "第二句？", "Last"]


def test_chunks_respect_token_limit_and_overlap(embedder):
    raw = " ".join(f"Sentence number {i} talks about topic {i} in some detail." for i in range(80))
    chunker = Chunker(embedder.counter, max_tokens=60, overlap=15)
    chunks = list(chunker.chunk([page(1, raw)]))
    assert len(chunks) > 5
    for c in chunks:
        assert embedder.counter.count([c.text])[0] <= 60
    # consecutive chunks share their boundary sentence(s)
    for a, b in zip(chunks, chunks[1:]):
        assert a.text.split(". ")[-1].rstrip(".") in b.text


def test_chunks_stay_on_their_page_and_offsets_are_raw(embedder):
    raws = ["Alpha page text is here. " * 20, "Beta page\r\ntext is here. " * 20]
    pages = [page(1, raws[0]), page(2, raws[1])]
    chunks = list(Chunker(embedder.counter, 100, 10).chunk(pages))
    assert {c.page for c in chunks} == {1, 2}
    for c in chunks:
        assert c.page == c.page_end
        raw = raws[c.page - 1]
        assert raw[c.char_start: c.char_end].split()[:3] == c.text.split()[:3]


def test_tiny_page_tail_joins_next_page(embedder):
    pages = [page(1, "Short title."), page(2, "Body text of the next page. " * 5)]
    chunks = list(Chunker(embedder.counter, 200, 20).chunk(pages))
    assert len(chunks) == 1 and chunks[0].page == 1 and chunks[0].page_end == 2


def test_overlong_sentence_is_split_by_tokens(embedder):
    raw = "word " * 500  # no sentence end at all
    chunks = list(Chunker(embedder.counter, 64, 8).chunk([page(1, raw)]))
    assert len(chunks) >= 7
    assert all(embedder.counter.count([c.text])[0] <= 64 for c in chunks)


def test_chinese_text_chunks(embedder):
    raw = "本设备的额定电压为十二伏特。请勿在潮湿环境中使用。" * 30
    chunks = list(Chunker(embedder.counter, 80, 10).chunk([page(1, raw)]))
    assert len(chunks) > 1
    assert all(c.text.endswith("。") for c in chunks)
