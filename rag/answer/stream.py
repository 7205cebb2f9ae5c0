"""The answer stream: search, decide whether to answer, build the prompt, stream the model's
tokens through the clean-up rules, and report the finished answer with its stats.

Events, in order: `SourcesFound`, `Token`..., `AnswerDone`; or a single `Abstained` when the
knowledge base is empty or the evidence is too weak to answer from.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Iterator, Sequence

from rag.answer.cleanup import loop_cut, may_be_label, next_turn, strip_answer_labels, trim_answer_end
from rag.answer.prompt import build_prompt, prompt_prefix
from rag.answer.question import Question
from rag.events import Abstained, AnswerDone, AnswerEvent, AnswerStats, SourcesFound, Token
from rag.llm.base import BuiltPrompt
from rag.search.abstain import enough


@dataclass
class _Attempt:
    """One run of the model over the prompt, as it streams."""

    text: str = ""  # everything the model wrote
    shown: int | None = None  # index in `text` up to which the answer has been shown
    cut: int | None = None  # where a made-up next turn or a loop begins
    first: float | None = None  # times of its first and last token
    last: float | None = None
    pieces: int = 0

    @property
    def answer(self) -> str:
        return trim_answer_end(strip_answer_labels(self.text[:self.cut]))


class Answerer:
    def __init__(self, parts, library, searcher):
        self.parts = parts
        self.library = library
        self.searcher = searcher

    def answer(self, question: Question, kb: str | None = None, k: int | None = None, files: Sequence[str] = (),
               cancel: threading.Event | None = None, mode: str | None = None) -> Iterator[AnswerEvent]:
        cancel = cancel or threading.Event()
        t0 = time.perf_counter()
        gen = self.parts.generator
        preload = getattr(gen, "preload", None)
        if preload:
            # The model loads on its own thread while retrieval runs, then reads the prompt's
            # fixed start (instructions), so the answer pays only for sources and question.
            preload(prompt_prefix(question.text, question.language))
        found = self.searcher.search(question.query, kb, k, files, mode, cancel)
        refusal = self._refusal(question, found, kb)
        if refusal is not None:
            yield refusal
            return
        s = self.parts.settings
        sources = found.sources
        if s.neighbours:
            sources = self.searcher.with_neighbours(self.library.kb(kb), sources, s.neighbours)
        budget = gen.context_size - s.max_tokens - 8
        prompt = build_prompt(question.text, sources, gen.count_tokens, budget, question.history, question.language)
        yield SourcesFound(prompt.sources, (time.perf_counter() - t0) * 1000)
        yield from self._generate(gen, prompt, found.retrieval_ms, t0, cancel)

    def _refusal(self, question: Question, found, kb: str | None) -> Abstained | None:
        """Why not to answer, or None: nothing found (an empty knowledge base says so), or
        evidence too weak to answer from (the closest passages are shown instead)."""
        if not found.sources:
            kbrec = self.library.kb(kb)
            if kbrec.embed_model is None or self.parts.store.count(kbrec.collection) == 0:
                return Abstained(f"knowledge base '{kbrec.name}' is empty; add documents with `rag-cli ingest`")
            return Abstained(question.not_found)
        s = self.parts.settings
        if s.abstain and not enough(found.evidence, s.abstain_min_dense, s.abstain_min_coverage):
            return Abstained(question.not_found, found.sources)
        return None

    def _generate(self, gen, prompt: BuiltPrompt, retrieval_ms: float, t0: float,
                  cancel: threading.Event) -> Iterator[AnswerEvent]:
        s = self.parts.settings
        # A model that wrote nothing but labels is asked once more, where that can give another
        # answer: its prompt is still cached, and the generator samples anew on each call.
        attempts = 2 if s.temperature > 0 and getattr(gen, "samples_anew", False) else 1
        tokens = 0  # of every attempt
        shown_at = first_any = None  # when the answer's first piece was shown; the model's first token
        attempt = _Attempt()
        cancelled = False
        for _ in range(attempts):
            if cancel.is_set():
                cancelled = True
                break
            attempt = _Attempt()
            for token, now in self._run(gen, prompt, attempt, cancel):
                shown_at = shown_at or now
                yield token
            tokens += attempt.pieces
            first_any = first_any or attempt.first
            cancelled = cancel.is_set()
            tail = self._tail(attempt)
            if tail is not None:
                if attempt.shown is None:  # the whole answer, held back until now
                    shown_at = shown_at or time.perf_counter()
                yield tail
            if attempt.answer or cancelled or attempt.shown is not None:
                break
        start = shown_at or first_any
        ttft = (start - t0) if start else 0.0
        # the rate: of the last attempt, from its first token to its last
        a = attempt
        tps = (a.pieces - 1) / (a.last - a.first) if a.pieces > 1 and a.last > a.first else 0.0
        stats = AnswerStats(retrieval_ms, ttft, tokens, tps, gen.name, cancelled)
        yield AnswerDone(attempt.answer, prompt.sources, stats)

    def _run(self, gen, prompt: BuiltPrompt, attempt: _Attempt, cancel: threading.Event):
        """Stream one attempt: yields (Token, time) for what may be shown as it arrives."""
        s = self.parts.settings
        stop = threading.Event()  # ends this attempt's stream; the user's cancel is `cancel`
        stream = gen.stream(prompt, s.max_tokens, s.temperature, stop)
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
                        yield Token(text[attempt.shown:safe]), now
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
    def _tail(attempt: _Attempt) -> Token | None:
        """What is left to show once an attempt ended: the end held back in case it began a
        next turn or was a », or the whole answer when it still looked like a label's start."""
        if attempt.shown is not None and attempt.cut is None:
            rest = trim_answer_end(attempt.text[attempt.shown:])
            return Token(rest) if rest else None
        if attempt.shown is None and attempt.answer:
            return Token(attempt.answer)
        return None
