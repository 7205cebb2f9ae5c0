"""Evidence: the quote an answer rests on comes from the whole page, verbatim, with its span on
the page exact enough for the viewer to highlight it."""

import pypdfium2 as pdfium

from helpers import ScriptedGenerator
from pdfs import FILLER_EN, make_pdf
from rag.answer.evidence import _Piece, is_whole, page_text, quote_end, rank_sentences, units
from rag.answer.stream import quote_text
from rag.events import AnswerDone, SourcesFound, Token

PAGE = [
    "Chapter 7. Power and cooling",
    "The Zephyr router takes its power from the supplied adapter and never from the network cable.",
    *FILLER_EN,
    "When the fan stops, the device lowers its clock speed to stay cool.",
    "The fan of the Zephyr router is cleaned with dry compressed air every six months.",
    "Never use water or solvents on the fan blades.",
    *FILLER_EN,
]


def _page_text(path, page: int) -> str:
    doc = pdfium.PdfDocument(str(path))
    text = doc[page - 1].get_textpage().get_text_range()
    doc.close()
    return text


def test_the_quote_comes_from_another_chunk_of_the_page_and_maps_to_its_raw_span(make_engine, tmp_path):
    pdf = make_pdf(tmp_path / "manual.pdf", [["Chapter 1. Welcome", *FILLER_EN], PAGE])
    # small chunks: the page is cut into several, and the search may find it by any of them
    engine = make_engine(generator=ScriptedGenerator([]), chunk_tokens=48, chunk_overlap=8, answer_mode="quote")
    list(engine.ingest([pdf]))
    events = list(engine.ask("How often should the fan of the Zephyr router be cleaned?"))
    found = next(e for e in events if isinstance(e, SourcesFound))
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.evidence == found.evidence
    quote = done.evidence[0]
    assert (quote.file, quote.page, quote.n) == ("manual.pdf", 2, found.sources[0].n)
    assert "every six months" in quote.text and done.answer.startswith("«" + quote.text)
    raw = _page_text(pdf, 2)
    assert " ".join(raw[quote.start:quote.end].split()) == " ".join(quote.text.split())


def test_page_text_joins_chunks_without_their_overlap():
    chunk = lambda text, start: type("C", (), {"text": text, "metadata": {"char_start": start}})()  # noqa: E731
    a = chunk("One two three four five six seven eight nine ten eleven twelve.", 0)
    b = chunk("nine ten eleven twelve. Thirteen fourteen fifteen sixteen seventeen.", 40)
    source = type("S", (), {"text": a.text, "offsets": "", "char_start": 0})()
    page = page_text(0, source, [a, b])
    assert page.text == "One two three four five six seven eight nine ten eleven twelve. Thirteen fourteen " \
                        "fifteen sixteen seventeen."
    assert [p.at for p in page.pieces] == [0, len(a.text)] and isinstance(page.pieces[1], _Piece)
    # "Thirteen" is in b at index 24; b starts at raw 40, so its raw offset is 64
    at = page.text.index("Thirteen")
    assert page.raw_span(at, at + 8) == (64, 72)


def test_quotes_end_at_a_sentence_end_and_long_sentences_are_windows():
    text = "First sentence here. " + "Second one is a little longer than the first. " * 3 + "x" * 20
    # a sentence ends near the limit: the quote ends there
    end = quote_end(text, 0, 70)
    assert text[:end] == "First sentence here. Second one is a little longer than the first."
    # none near the limit: cut at a space, shown with "…" (is_whole is false)
    end = quote_end(text, 0, 90)
    assert text[end] == " " and 70 < end <= 90 and not is_whole(text[:end]) and is_whole(text[:66])
    long = " ".join(f"word{i}" for i in range(200)) + "."
    spans = units(long, 100)
    assert len(spans) > 3 and all(e - s <= 100 for s, e in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(long)


def test_the_sentence_holding_the_rare_question_terms_ranks_first():
    source = type("S", (), {"text": "", "offsets": "", "char_start": 0})()
    text = ("The console has many options. Each option is documented. The option set_admin_port changes the "
            "port of the console. Options are read at start.")
    page = page_text(0, source, [type("C", (), {"text": text, "metadata": {}})()])
    best = rank_sentences("Which option changes the port of the console?", [page])[0]
    assert page.text[best.start:best.end].startswith("The option set_admin_port")


def test_grounded_answer_starts_with_the_quote_and_cuts_invented_sentences(make_engine, tmp_path):
    pdf = make_pdf(tmp_path / "manual.pdf", [["Chapter 1. Welcome", *FILLER_EN], PAGE])
    gen = ScriptedGenerator(["Clean the fan ", "every six months ", "with dry compressed air. ",
                             "See https://zephyr.example.com/fan ", "for a video. ", "Use 40 W."])
    engine = make_engine(generator=gen)
    list(engine.ingest([pdf]))
    events = list(engine.ask("How often should the fan of the Zephyr router be cleaned?"))
    done = events[-1]
    quote = done.evidence[0]
    shown = quote_text(quote, "en")
    assert shown.startswith(f"«{quote.text}") and shown.endswith(f"» [{quote.n}]")
    assert done.answer == f"{shown}\n\nClean the fan every six months with dry compressed air."
    assert "".join(e.text for e in events if isinstance(e, Token)) == done.answer
    assert done.cut == ("See https://zephyr.example.com/fan for a video.", "Use 40 W.")
    # the model read the quotes, not whole chunks
    read = gen.prompts[0].sources
    assert read and {s.text for s in read} <= {q.text for q in done.evidence}
    assert [s.n for s in read] == [q.n for q in done.evidence if q.n in {s.n for s in read}]


def test_an_instruct_model_answers_first_and_the_quote_follows(make_engine, tmp_path):
    pdf = make_pdf(tmp_path / "manual.pdf", [["Chapter 1. Welcome", *FILLER_EN], PAGE])
    gen = ScriptedGenerator(["It is cleaned every six months [1]."])
    gen.instruct = True
    engine = make_engine(generator=gen)
    list(engine.ingest([pdf]))
    events = list(engine.ask("How often should the fan of the Zephyr router be cleaned?"))
    done = events[-1]
    quote = done.evidence[0]
    assert done.answer == f"It is cleaned every six months [1].\n\n{quote_text(quote, 'en')}"
    assert "".join(e.text for e in events if isinstance(e, Token)) == done.answer


def test_a_chinese_question_gets_a_chinese_quote(make_engine, tmp_path):
    pdf = make_pdf(tmp_path / "zh.pdf", [["第一章 简介", "本路由器适合家庭和办公室使用。"],
                                        ["第三章 电源", "本设备的额定电压为十二伏特，额定功率为十八瓦。", "请勿在潮湿环境中使用本设备。"]])
    engine = make_engine(generator=ScriptedGenerator(["额定电压为十二伏特。"]), abstain=False)
    list(engine.ingest([pdf]))
    done = list(engine.ask("本设备的额定电压是多少？"))[-1]
    assert done.answer.startswith("「") and "十二伏特" in done.answer.split("」")[0]
    assert done.answer.endswith("额定电压为十二伏特。")
