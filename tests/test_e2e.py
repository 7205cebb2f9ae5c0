"""End to end on the embedded defaults: real PDF, real embedder, real chromadb, real GGUF."""

import time

from pdfs import make_sample_pdf
from rag.events import AnswerDone, FileIndexed, SourcesFound, Token


def ask(engine, question):
    stamps, events = [], []
    for ev in engine.ask(question):
        events.append(ev)
        if isinstance(ev, Token):
            stamps.append(time.perf_counter())
    return events, stamps


def test_ask_english_and_chinese_cites_right_page(make_engine, generator, tmp_path):
    engine = make_engine(generator=generator)
    pdf = make_sample_pdf(tmp_path / "router.pdf")
    assert any(isinstance(e, FileIndexed) for e in engine.ingest([pdf]))

    events, stamps = ask(engine, "What is the default port of the admin console?")
    found = next(e for e in events if isinstance(e, SourcesFound))
    assert ("router.pdf", 2) == (found.sources[0].file, found.sources[0].page)
    done = events[-1]
    assert isinstance(done, AnswerDone)
    tokens = [e for e in events if isinstance(e, Token)]
    # grounded: the answer opens with the quote of page 2, then the model's checked words
    assert done.answer.startswith("«") and "8443" in done.answer[:300]
    assert (done.evidence[0].file, done.evidence[0].page) == ("router.pdf", 2)
    assert done.answer == "".join(t.text for t in tokens).strip()
    assert done.stats.tokens > 0 and done.stats.ttft_s > 0  # the model did run

    # the model's own stream, unchecked (answer_mode generate): tokens arrive in pieces
    free = make_engine(generator=generator, answer_mode="generate")
    events, stamps = ask(free, "What is the default port of the admin console?")
    done = events[-1]
    tokens = [e for e in events if isinstance(e, Token)]
    assert len(tokens) >= 2, "the answer must stream in pieces"
    assert stamps == sorted(stamps) and stamps[-1] > stamps[0]
    assert done.answer == "".join(t.text for t in tokens).strip()
    # the model's tokens: those shown, and any whitespace or label at the start that is not
    assert done.stats.tokens >= len(tokens) and done.stats.ttft_s > 0

    events, _ = ask(engine, "本设备的额定电压是多少？")
    found = next(e for e in events if isinstance(e, SourcesFound))
    assert 3 in [s.page for s in found.sources[:2]]
    assert isinstance(events[-1], AnswerDone) and events[-1].stats.tokens > 0


def test_real_pdf_sections_from_outline(real_pdfs):
    from rag.ingest.readers import open_document

    pages = {p.number: p for p in open_document(real_pdfs["gnuplot.pdf"]).pages()}
    assert len(pages) == 311
    assert pages[120].sections and pages[120].sections[0][1]
