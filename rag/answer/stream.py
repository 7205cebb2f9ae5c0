"""The answer stream: search, decide whether to answer, find the evidence, let the model write,
check what it wrote against the sources, and report the answer with its quotes and stats.

Events, in order: `SourcesFound` (with the evidence quotes), `Token`..., `AnswerDone`; or a
single `Abstained` when the knowledge base is empty or the evidence is too weak.

`answer_mode` (settings):
- `grounded` (default): the answer rests on the evidence quote (`rag.answer.evidence`). A
  base model's answer starts with the quote, shown at once, and the model's own sentences
  follow, each shown only once it is complete and passed the grounding check
  (`rag.answer.grounding`); an instruct model (chat template or a chat server) writes first,
  checked the same way, and the quote follows. The model reads only the quotes, not whole
  chunks, so it starts sooner.
- `quote`: the quote alone, no model.
- `generate`: the model answers from the whole passages, unchecked (RAG Desk before the
  grounding work; kept for the side-by-side benchmark).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Iterator, Sequence

from rag.answer.cleanup import loop_cut, may_be_label, next_turn, strip_answer_labels, trim_answer_end
from rag.answer.evidence import find_quotes, is_whole, page_text
from rag.answer.grounding import SourceText, ground
from rag.answer.prompt import build_prompt, prompt_prefix
from rag.answer.question import Question
from rag.language import is_cjk
from rag.errors import GenerationError
from rag.events import Abstained, AnswerDone, AnswerEvent, AnswerStats, Quote, Source, SourcesFound, Token
from rag.llm.base import BuiltPrompt
from rag.search.abstain import enough

# The embedder's cosine as a third signal for choosing the quote: on bench/qa it found one
# more answer of 80, for embedding ~100 sentences per question (0.3 s here, ~1 s on an
# AVX2-only laptop), so it is off.
EVIDENCE_DENSE = False
GROUNDED_MAX_TOKENS = 96
# A model sentence is shown only when this share of its content words is in the quotes it
# read (and every number, path, URL or identifier in it is): close to the evidence, or cut.
MODEL_TEXT_OVERLAP = 0.6  # the model's part of a grounded answer is short: the quote carries it
_SENTENCE_DONE = re.compile(r"[.!?]+['\"”’)\]]*\s|[。！？；]+|\n")  # as rag.answer.grounding cuts sentences


@dataclass
class _Attempt:
    """One run of the model over the prompt, as it streams."""

    text: str = ""  # everything the model wrote
    shown: int | None = None  # index in `text` up to which the answer has been passed on
    cut: int | None = None  # where a made-up next turn or a loop begins
    first: float | None = None  # times of its first and last token
    last: float | None = None
    pieces: int = 0

    @property
    def answer(self) -> str:
        return trim_answer_end(strip_answer_labels(self.text[:self.cut]))


@dataclass
class _Gate:
    """Passes the model's text on a sentence at a time, each only after the grounding check;
    without sources to check against (`generate` mode) everything passes at once."""

    sources: SourceText | None
    lead: str = ""  # what goes before the first sentence that passes
    pending: str = ""
    passed: str = ""
    cut: list[str] = field(default_factory=list)

    def push(self, text: str, final: bool = False) -> str:
        if self.sources is None:
            self.passed += text
            return text
        self.pending += text
        out = ""
        while True:
            m = _SENTENCE_DONE.search(self.pending)
            if m is None:
                break
            out += self._check(self.pending[:m.end()])
            self.pending = self.pending[m.end():]
        if final and self.pending.strip():
            out += self._check(self.pending)
            self.pending = ""
        return out

    def _check(self, sentence: str) -> str:
        checked = ground(sentence, self.sources, MODEL_TEXT_OVERLAP)
        self.cut.extend(checked.cut)
        if not checked.text:
            return ""
        if not says_something(checked.text):  # "1.", "172", a copied «quote: not an answer
            self.cut.append(checked.text)
            return ""
        text = checked.text if self.passed else self.lead + checked.text
        if self.passed:
            text = " " + text
        self.passed += text
        return text


_WORDS = re.compile(r"[A-Za-z]{2,}")


def says_something(sentence: str) -> bool:
    """A model sentence worth showing: at least three words (or four CJK characters), and
    not an echo of the prompt's format (a «quotation» or a "Source [n]" line)."""
    text = sentence.strip()
    if text.startswith(("«", "‹", "Source [", "Sources:", "「")):
        return False
    return len(_WORDS.findall(text)) >= 3 or sum(is_cjk(c) for c in text) >= 4


def quote_text(quote: Quote, language: str) -> str:
    """A quote as the answer shows it, with its source number; "…" where it stops mid-sentence."""
    opening, closing = ("「", "」") if language == "zh" else ("«", "»")
    more = "" if is_whole(quote.text) else "…"
    return f"{opening}{quote.text}{more}{closing} [{quote.n}]"


class Answerer:
    def __init__(self, parts, library, searcher):
        self.parts = parts
        self.library = library
        self.searcher = searcher

    def answer(self, question: Question, kb: str | None = None, k: int | None = None, files: Sequence[str] = (),
               cancel: threading.Event | None = None, mode: str | None = None) -> Iterator[AnswerEvent]:
        cancel = cancel or threading.Event()
        t0 = time.perf_counter()
        s = self.parts.settings
        gen = self.parts.generator if s.answer_mode != "quote" else None
        getattr(gen, "check", lambda: None)()  # a model that cannot load says so before anything is shown
        preload = getattr(gen, "preload", None)
        if preload:
            # The model loads on its own thread while retrieval runs, then reads the prompt's
            # fixed start (instructions), so the answer pays only for sources and question.
            preload(prompt_prefix(question.text, question.language))
        if gen is not None and len(question.text) > (gen.context_size - s.max_tokens) // 8:
            self._prompt(gen, question, (), s.max_tokens)  # a question too long to answer says so first
        found = self.searcher.search(question.query, kb, k, files, mode, cancel)
        refusal = self._refusal(question, found, kb)
        if refusal is not None:
            yield refusal
            return
        kbrec = self.library.kb(kb)
        sources = found.sources
        if s.neighbours:
            sources = self.searcher.with_neighbours(kbrec, sources, s.neighbours)
        if s.answer_mode == "generate":
            prompt = self._prompt(gen, question, sources, s.max_tokens)
            yield SourcesFound(prompt.sources, (time.perf_counter() - t0) * 1000)
            yield from self._generate(gen, prompt, found.retrieval_ms, t0, cancel, s.max_tokens, _Gate(None))
            return
        quotes = self._evidence(question, kbrec, sources)
        yield SourcesFound(sources, (time.perf_counter() - t0) * 1000, quotes)
        quoted = quote_text(quotes[0], question.language) if quotes else ""
        if gen is None:
            yield Token(quoted)
            stats = AnswerStats(found.retrieval_ms, time.perf_counter() - t0, 0, 0.0, "", cancel.is_set())
            yield AnswerDone(quoted, sources, stats, quotes)
            return
        instruct = bool(getattr(gen, "instruct", False))
        shown_at = None
        if not instruct:  # a base model: the quote first, shown at once
            yield Token(quoted)
            shown_at = time.perf_counter()
        by_quote = {q.n: q for q in quotes}
        read = [replace(src, text=by_quote[src.n].text) for src in sources if src.n in by_quote]
        max_tokens = min(s.max_tokens, GROUNDED_MAX_TOKENS)
        prompt = self._prompt(gen, question, read, max_tokens, renumber=False)
        checker = SourceText(q.text for q in quotes)  # the model read only these
        if instruct:  # a real answer first, the quote after it
            yield from self._generate(gen, prompt, found.retrieval_ms, t0, cancel, max_tokens, _Gate(checker),
                                      sources, quotes, after="\n\n" + quoted if quoted else "")
        else:
            yield from self._generate(gen, prompt, found.retrieval_ms, t0, cancel, max_tokens,
                                      _Gate(checker, lead="\n\n"), sources, quotes, before=quoted, shown_at=shown_at)

    def _prompt(self, gen, question: Question, sources, max_tokens: int, renumber: bool = True) -> BuiltPrompt:
        budget = gen.context_size - max_tokens - 8
        asked = gen.count_tokens(question.text)
        if asked > budget // 2:  # no room left for the sources (llama.cpp would refuse the prompt)
            raise GenerationError(
                f"the question is too long for the model: {asked} tokens, and its context window "
                f"(context_size = {gen.context_size}) must also hold the sources and the answer; shorten the "
                f"question to under {budget // 2} tokens (about {budget // 2 * 3} characters), or raise context_size")
        return build_prompt(question.text, sources, gen.count_tokens, budget, question.history, question.language,
                            renumber)

    def _evidence(self, question: Question, kb, sources: Sequence[Source]) -> tuple[Quote, ...]:
        pages = [page_text(rank, src, self.searcher.page_passages(kb, src)) for rank, src in enumerate(sources)]
        similarity = None
        if EVIDENCE_DENSE:
            import numpy as np

            vector = self.parts.embed_query(question.query)
            similarity = lambda texts: self.parts.embedder.embed_documents(texts) @ np.asarray(vector)  # noqa: E731
        return find_quotes(question.query, pages, similarity)

    def _refusal(self, question: Question, found, kb: str | None) -> Abstained | None:
        """Why not to answer, or None: nothing found (an empty knowledge base says so), or
        evidence too weak to answer from (the closest passages are shown instead)."""
        if not found.sources:
            kbrec = self.library.kb(kb)
            if kbrec.embed_model is None or (self.parts.store.count(kbrec.collection) == 0
                                             and not self.searcher.view(kbrec).lexical):
                if self.library.vectors_lost(kbrec):
                    return Abstained(f"the vector store of knowledge base '{kbrec.name}' lost its chunks (was the "
                                     f"chroma folder in {self.parts.home} deleted?); `rag-cli doctor --repair` "
                                     "indexes its files again from their sources")
                return Abstained(f"knowledge base '{kbrec.name}' is empty; add documents with `rag-cli ingest`")
            return Abstained(question.not_found)
        s = self.parts.settings
        if s.abstain and not enough(found.support, s.abstain_min_dense, s.abstain_min_coverage):
            return Abstained(question.not_found, found.sources)
        return None

    def _generate(self, gen, prompt: BuiltPrompt, retrieval_ms: float, t0: float, cancel: threading.Event,
                  max_tokens: int, gate: _Gate, sources: Sequence[Source] | None = None,
                  quotes: tuple[Quote, ...] = (), before: str = "", after: str = "",
                  shown_at: float | None = None) -> Iterator[AnswerEvent]:
        """Stream the model's answer through `gate`; `before` was shown already, `after` is
        shown once the model is done (both belong to the answer)."""
        s = self.parts.settings
        # A model that wrote nothing but labels is asked once more, where that can give another
        # answer: its prompt is still cached, and the generator samples anew on each call.
        attempts = 2 if s.temperature > 0 and getattr(gen, "samples_anew", False) else 1
        tokens = 0  # of every attempt
        first_any = None  # the model's first token
        attempt = _Attempt()
        cancelled = False
        for _ in range(attempts):
            if cancel.is_set():
                cancelled = True
                break
            attempt = _Attempt()
            for piece, now in self._run(gen, prompt, attempt, cancel, max_tokens):
                passed = gate.push(piece)
                if passed:
                    shown_at = shown_at or now
                    yield Token(passed)
            tokens += attempt.pieces
            first_any = first_any or attempt.first
            cancelled = cancel.is_set()
            tail = self._tail(attempt)
            if tail:
                if attempt.shown is None:  # the whole answer, held back until now
                    shown_at = shown_at or time.perf_counter()
                passed = gate.push(tail)
                if passed:
                    yield Token(passed)
            if attempt.answer or cancelled or attempt.shown is not None:
                break
        rest = gate.push("", final=True)
        if rest:
            shown_at = shown_at or time.perf_counter()
            yield Token(rest)
        if after and not cancelled:
            shown_at = shown_at or time.perf_counter()
            yield Token(after if gate.passed else after.lstrip())
        start = shown_at or first_any
        ttft = (start - t0) if start else 0.0
        # the rate: of the last attempt, from its first token to its last
        a = attempt
        tps = (a.pieces - 1) / (a.last - a.first) if a.pieces > 1 and a.last > a.first else 0.0
        stats = AnswerStats(retrieval_ms, ttft, tokens, tps, gen.name, cancelled)
        if gate.sources is None:
            text = attempt.answer
        else:
            text = before + gate.passed + ((after if gate.passed else after.lstrip()) if not cancelled else "")
        yield AnswerDone(text, tuple(sources) if sources is not None else prompt.sources, stats, quotes,
                         tuple(gate.cut))

    def _run(self, gen, prompt: BuiltPrompt, attempt: _Attempt, cancel: threading.Event, max_tokens: int):
        """Stream one attempt: yields (text, time) for what may be passed on as it arrives."""
        s = self.parts.settings
        stop = threading.Event()  # ends this attempt's stream; the user's cancel is `cancel`
        stream = gen.stream(prompt, max_tokens, s.temperature, stop)
        try:
            for piece in stream:
                now = time.perf_counter()
                attempt.first = attempt.first or now
                attempt.last = now
                attempt.pieces += 1
                if cancel.is_set():  # by the user: what came after is not shown
                    break
                attempt.text += piece
                text = attempt.text
                if attempt.shown is None:
                    # Held back while the start is only whitespace and labels the model wrote
                    # again ("Answer:", "答案：", ...), or may still grow into one.
                    rest = strip_answer_labels(text)
                    if rest and not may_be_label(rest):
                        attempt.shown = len(text) - len(rest)
                if attempt.shown is not None:
                    attempt.cut, safe = next_turn(text, attempt.shown)
                    if safe > attempt.shown:
                        yield text[attempt.shown:safe], now
                        attempt.shown = safe
                    if attempt.cut is not None:  # the model started a made-up next turn
                        break
                attempt.cut = loop_cut(text)
                if attempt.cut is not None:  # the model repeats itself: stop, keep the first copy
                    break
        finally:
            stop.set()
            getattr(stream, "close", lambda: None)()

    @staticmethod
    def _tail(attempt: _Attempt) -> str:
        """What is left to pass on once an attempt ended: the end held back in case it began a
        next turn or was a », or the whole answer when it still looked like a label's start."""
        if attempt.shown is not None and attempt.cut is None:
            return trim_answer_end(attempt.text[attempt.shown:])
        if attempt.shown is None and attempt.answer:
            return attempt.answer
        return ""
