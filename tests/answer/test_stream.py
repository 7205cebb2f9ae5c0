import threading
import time

import pytest

from helpers import ScriptedGenerator
from pdfs import make_sample_pdf
from rag.errors import ModelError
from rag.events import AnswerDone, Abstained, SourcesFound, Token
from models.locate import resolve_llm
from rag.answer.prompt import build_prompt


def test_ask_streams_events_in_order(make_engine, tmp_path):
    gen = ScriptedGenerator(["The ", "port ", "is ", "8443 ", "[1]."])
    engine = make_engine(generator=gen, answer_mode="generate")
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    events = list(engine.ask("What is the admin console port?"))
    assert isinstance(events[0], SourcesFound)
    assert [e.text for e in events if isinstance(e, Token)] == gen.pieces
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.answer == "The port is 8443 [1]."
    assert done.stats.tokens == 5 and done.stats.tokens_per_s > 0 and done.stats.model == "scripted"
    assert done.sources[0].page == 2
    assert "Source [1] — r.pdf, page 2" in gen.prompts[0].completion


def test_cancel_stops_within_one_token(make_engine, tmp_path):
    gen = ScriptedGenerator([f"t{i} " for i in range(100)], delay=0.005)
    engine = make_engine(generator=gen, answer_mode="generate")
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    cancel = threading.Event()
    tokens = []
    for ev in engine.ask("port?", cancel=cancel):
        if isinstance(ev, Token):
            tokens.append(ev.text)
            if len(tokens) == 3:
                cancel.set()
        if isinstance(ev, AnswerDone):
            assert ev.stats.cancelled
    assert len(tokens) == 3


def test_a_stop_before_the_answer_begins_ends_it_without_asking_the_model(make_engine, tmp_path):
    """The window's Stop pressed while the passages are still being found."""
    gen = ScriptedGenerator(["The ", "port"])
    engine = make_engine(generator=gen, answer_mode="generate")
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    cancel = threading.Event()
    cancel.set()
    events = list(engine.ask("What is the admin console port?", cancel=cancel))
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.stats.cancelled and done.answer == ""
    assert not [e for e in events if isinstance(e, Token)] and gen.prompts == []


def test_a_looping_answer_stops_and_keeps_the_first_copy(make_engine, tmp_path):
    """What Gemma 3 270M wrote for 怎样让页码用中文数字显示？ over zhnumber.pdf: one line again and
    again with its number changing, until max_tokens (18 copies)."""
    loop = [piece for i in range(1, 19) for piece in (f"{i}. 答：\n", f"  [{i}] ", "英文数字", "显示中文数字\n")]
    gen = ScriptedGenerator(["根据资料：\n"] + loop, delay=0)
    engine = make_engine(generator=gen, answer_mode="generate")
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    events = list(engine.ask("What is the admin console port?"))
    tokens = [e.text for e in events if isinstance(e, Token)]
    assert len(tokens) == 1 + 6 * 4  # copies that differ only in their numbers: the sixth ends it
    done = events[-1]
    assert done.answer == "根据资料：\n1. 答：\n  [1] 英文数字显示中文数字"
    assert not done.stats.cancelled and done.stats.tokens == len(tokens)


class RetryScript(ScriptedGenerator):
    """Each call to stream plays the next script; asking again can give another answer."""

    samples_anew = True

    def __init__(self, scripts):
        super().__init__([], delay=0)
        self.scripts = list(scripts)

    def stream(self, prompt, max_tokens, temperature, cancel):
        self.pieces = self.scripts.pop(0)
        return super().stream(prompt, max_tokens, temperature, cancel)


def ask_with(engine, scripts, cancel=None):
    """(answer event, streamed pieces, generator) of one question answered by `scripts`."""
    gen = RetryScript(scripts)
    engine.parts.use_generator(gen)
    events = list(engine.ask("What is the admin console port?", cancel=cancel))
    return events[-1], [e.text for e in events if isinstance(e, Token)], gen


def test_answer_labels_are_not_shown_and_a_label_only_answer_is_asked_again(make_engine, tmp_path):
    """Gemma 3 270M sometimes answers only "Answer:" (or 答案：… again and again), then stops."""
    engine = make_engine(generator=ScriptedGenerator([]), answer_mode="generate")
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    done, tokens, gen = ask_with(engine, [["\n", "答案", "：", "\n答案：", "\n"],
                                          ["Answer", ":", " The", " port", " is 8443 [1]."]])
    assert isinstance(done, AnswerDone) and done.answer == "The port is 8443 [1]."
    assert "".join(tokens) == done.answer  # what streamed is the answer, without the labels
    assert len(gen.prompts) == 2 and gen.prompts[0] == gen.prompts[1]
    assert done.stats.tokens == 5 + 5  # the model's tokens, of both attempts
    # the prompt ends with "Answer:"; a model that starts on a new line with it again still answers
    done, tokens, gen = ask_with(engine, [["\n", "Answer", ":", " The port", " is 8443."]])
    assert done.answer == "The port is 8443." == "".join(tokens) and len(gen.prompts) == 1
    # a word that only starts like a label is the answer's first word
    done, tokens, gen = ask_with(engine, [["Answ", "ering", " takes", " a", " moment."]])
    assert done.answer == "Answering takes a moment." == "".join(tokens) and len(gen.prompts) == 1
    # an answer that never grows past what a label starts with is still shown
    done, tokens, gen = ask_with(engine, [["\n", "答"]])
    assert done.answer == "答" and tokens == ["答"]
    # labels in a loop: cut, and asked again
    done, tokens, gen = ask_with(engine, [["答案：\n"] * 30, ["The port is 8443."]])
    assert done.answer == "The port is 8443." == "".join(tokens) and len(gen.prompts) == 2
    # asked twice and still nothing: no answer, which the CLI and the window report as such
    done, tokens, gen = ask_with(engine, [["回答："], ["\n", "Answer:"], ["never asked a third time"]])
    assert done.answer == "" and tokens == [] and len(gen.prompts) == 2


def test_no_second_try_where_it_would_give_the_same_answer(make_engine, tmp_path):
    engine = make_engine(generator=ScriptedGenerator([]), temperature=0.0, answer_mode="generate")  # greedy: the same again
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    done, _, gen = ask_with(engine, [["Answer:"], ["The port is 8443."]])
    assert done.answer == "" and len(gen.prompts) == 1
    engine = make_engine(generator=ScriptedGenerator([]), answer_mode="generate")
    fixed = type("FixedSeed", (RetryScript,), {"samples_anew": False})  # e.g. a server given one seed
    gen = fixed([["Answer:"], ["The port is 8443."]])
    engine.parts.use_generator(gen)
    done = list(engine.ask("What is the admin console port?"))[-1]
    assert done.answer == "" and len(gen.prompts) == 1


def test_a_made_up_next_turn_ends_the_answer(make_engine, tmp_path):
    engine = make_engine(generator=ScriptedGenerator([]), answer_mode="generate")
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    cancel = threading.Event()
    done, tokens, _ = ask_with(engine, [["The port", " is 8443 [1].", "\n", "Ans", "wer", ": What", " else?"]], cancel)
    assert done.answer == "The port is 8443 [1]." and "".join(tokens) == "The port is 8443 [1]."
    assert not done.stats.cancelled and not cancel.is_set()  # stopping the stream is not a cancel
    done, tokens, _ = ask_with(engine, [["端口是 8443。", "\n回", "答：", "还有呢？"]])
    assert done.answer == "端口是 8443。" == "".join(tokens)
    # a closing quote copied from the sources is not shown, and one inside the answer is
    done, tokens, _ = ask_with(engine, [["It is «8443»", " by default.", "»", "\n"]])
    assert done.answer == "It is «8443» by default." == "".join(tokens)
    # a line that only starts like the marker is part of the answer
    done, tokens, _ = ask_with(engine, [["Port 8443.", "\n", "Ans", "ible", " is the tool."]])
    assert done.answer == "Port 8443.\nAnsible is the tool." == "".join(tokens)


def streamed_cut(text):
    """Feed `text` a character at a time, as a stream would; what is kept when a loop is found."""
    from rag.answer.cleanup import loop_cut

    for end in range(1, len(text) + 1):
        cut = loop_cut(text[:end])
        if cut is not None:
            return text[:end][:cut]
    return None


def test_loop_cut_keeps_whole_lines_and_leaves_answers_alone():
    for text in ("The ports are 8080, 8443, 9000 and 9001 [1].", "port 8080, port 8443, port 9000, port 9001",
                 "| --- | --- | --- | --- |", "Step 1\nStep 2\nStep 3\nStep 4\n", "哈哈哈哈哈哈哈哈哈哈哈哈",
                 "".join(f"\\chapter{{Part {i}}}\n" for i in range(1, 5))):
        assert streamed_cut(text) is None, text
    same = "The value of the option is set in the file. "
    assert streamed_cut("Intro. " + same * 4).startswith("Intro. " + same.strip()[:-1])
    # the line before the loop ends like the repeated line: the first copy is still kept whole
    line = "You set it in the preamble of the main file.\n"
    assert streamed_cut(line + "".join(f"{i}. {line}" for i in range(1, 19))) == line + "1. " + line
    kept = streamed_cut("页码显示为中文数字。\n" + "".join(f"{i}. 答：[{i}] 页码显示为中文数字。\n" for i in range(1, 19)))
    assert kept == "页码显示为中文数字。\n1. 答：[1] 页码显示为中文数字。\n"


def test_empty_knowledge_base_abstains(make_engine):
    engine = make_engine(generator=ScriptedGenerator(["x"]))
    events = list(engine.ask("anything?"))
    assert len(events) == 1 and isinstance(events[0], Abstained)
    assert "is empty" in events[0].reason


def test_real_llm_streams_incrementally_and_cancels(generator):
    prompt = build_prompt("What is the default port?", [], generator.count_tokens, 3000)
    from rag.events import Source

    src = Source(1, "manual.pdf", "/m.pdf", 3, 3, 1.0, "The default port of the admin console is 8443.")
    prompt = build_prompt("What is the default port of the admin console?", [src], generator.count_tokens, 3000)
    stamps = []
    pieces = []
    for piece in generator.stream(prompt, 24, 0.0, threading.Event()):
        stamps.append(time.perf_counter())
        pieces.append(piece)
    assert len(pieces) >= 1 and "8443" in "".join(pieces)

    # a long free-running generation, cancelled after 3 tokens
    free = build_prompt("Write a long story about routers.", [src], generator.count_tokens, 3000)
    cancel = threading.Event()
    got = []
    for piece in generator.stream(free, 200, 0.8, cancel):
        got.append((piece, time.perf_counter()))
        if len(got) == 3:
            cancel.set()
    assert len(got) <= 4
    # the model thread is free again right away
    assert generator.count_tokens("hello world") >= 2


def test_bad_llm_path_is_clear(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        resolve_llm(str(tmp_path / "missing.gguf"), tmp_path)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a GGUF model file"):
        resolve_llm(str(junk), tmp_path)


def test_bundled_gguf_assembled_once(tmp_path, monkeypatch):
    import models.bundled as bundled

    first = bundled.llm_path(tmp_path)
    mtime = first.stat().st_mtime_ns
    assert not list(tmp_path.glob("*.tmp"))

    def no_reassembly(*args):
        raise AssertionError("a verified GGUF must not be re-assembled or re-hashed")

    monkeypatch.setattr(bundled, "_assemble", no_reassembly)
    again = bundled.llm_path(tmp_path)
    assert again == first and again.stat().st_mtime_ns == mtime
    # a damaged file (size changed) is rebuilt
    monkeypatch.undo()
    with first.open("ab") as f:
        f.write(b"x")
    rebuilt = bundled.llm_path(tmp_path)
    assert rebuilt.stat().st_size == first.stat().st_size and rebuilt.stat().st_mtime_ns != mtime


def test_off_topic_question_abstains_with_closest_passages(make_engine, tmp_path):
    gen = ScriptedGenerator(["should not be called"])
    engine = make_engine(generator=gen)
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    events = list(engine.ask("How long should I boil an egg for a soft yolk?"))
    assert len(events) == 1 and isinstance(events[0], Abstained)
    assert "couldn't find this in your documents" in events[0].reason
    assert events[0].sources and gen.prompts == []
    zh = list(engine.ask("怎样煮出溏心蛋？"))
    assert isinstance(zh[0], Abstained) and "没有找到" in zh[0].reason
    # on-topic questions still go to the model
    assert isinstance(list(engine.ask("What is the default port of the admin console?"))[-1], AnswerDone)
    # and abstention can be switched off
    eager = make_engine(generator=gen, abstain=False)
    assert isinstance(list(eager.ask("How long should I boil an egg for a soft yolk?"))[-1], AnswerDone)


def test_neighbour_expansion_gives_the_model_adjacent_chunks(make_engine, tmp_path):
    from pdfs import make_pdf

    sentences = [f"Step {i}: turn dial {i} to position {i * 7}." for i in range(1, 30)]
    sentences[14] = "The calibration secret is that the blue lever must be raised before the dial."
    make_pdf(tmp_path / "steps.pdf", [sentences])
    for neighbours in (0, 1):
        gen = ScriptedGenerator(["ok"])
        engine = make_engine(generator=gen, chunk_tokens=40, chunk_overlap=8, neighbours=neighbours, top_k=1,
                             answer_mode="generate")
        kb = f"n{neighbours}"
        list(engine.ingest([tmp_path / "steps.pdf"], kb=kb))
        list(engine.ask("What is the calibration secret about the blue lever?", kb=kb))
        prompt = gen.prompts[0].completion
        hit = gen.prompts[0].sources[0]
        chunks = sorted(engine.parts.store.get(engine.parts.catalog.get_kb(kb).collection),
                        key=lambda c: c.metadata["chunk"])
        index = next(i for i, c in enumerate(chunks) if c.id == hit.chunk_id)
        before, after = chunks[index - 1].text, chunks[index + 1].text
        first_words_before = before.split(". ")[0]  # outside the overlap with the hit
        last_words_after = after.split(". ")[-1]
        assert prompt.count("blue lever must be raised") == 1
        assert (first_words_before in prompt) is bool(neighbours)
        assert (last_words_after in prompt) is bool(neighbours)


def test_prompt_prefix_is_read_while_retrieving_and_kept_for_the_next_answer(make_engine, generator, tmp_path):
    """Cold ask: the model reads the prompt's fixed start (instructions) while retrieval runs,
    so the answer evaluates only sources and question; a warm model does not read it again."""
    from rag.answer.prompt import prompt_prefix

    engine = make_engine(generator=generator)
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    generator.call(lambda llm: llm.reset())  # as after a fresh load
    before = generator.prefix_evaluations
    question = "What is the admin console port?"
    events = list(engine.ask(question))
    assert isinstance(events[-1], AnswerDone)
    assert generator.prefix_evaluations == before + 1
    prefix = generator.call(lambda llm: llm.tokenize(prompt_prefix(question).encode("utf-8"), special=True))
    # the cache now holds the prefix followed by the rest of the prompt and the answer
    assert generator.call(lambda llm: list(llm._input_ids[: len(prefix)])) == prefix
    assert generator.call(lambda llm: llm.n_tokens) > len(prefix) + 50
    list(engine.ask("Which port does the admin console use?"))
    generator.load()  # the preload job has run
    assert generator.prefix_evaluations == before + 1  # already in the cache: not read again
    list(engine.ask("管理控制台的端口是多少？"))
    generator.load()
    assert generator.prefix_evaluations == before + 2  # Chinese instructions: another prefix


def test_prompt_starts_with_its_prefix_token_for_token(generator):
    """Reuse works on tokens: the whole prompt must tokenize to the prefix's tokens first."""
    from rag.answer.prompt import prompt_prefix
    from rag.events import Source

    src = Source(n=1, file="a.pdf", path="/a.pdf", page=3, page_end=3, score=1.0,
                 text="Sources and «quotes» about ports.", chunk_id="1-ab-000001")
    for question, language, history in [("What port?", "auto", ()), ("端口是多少？", "auto", ()),
                                        ("What port?", "zh", ()), ("And then?", "auto", (("Q1", "A1"),))]:
        prompt = build_prompt(question, [src], generator.count_tokens, 3000, history, language)
        prefix = prompt_prefix(question, language)
        assert prompt.completion.startswith(prefix)
        whole, head = generator.call(lambda llm: (llm.tokenize(prompt.completion.encode(), special=True),
                                                  llm.tokenize(prefix.encode(), special=True)))
        assert whole[: len(head)] == head, question
