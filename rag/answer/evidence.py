"""Evidence: the verbatim sentences of the sources that answer the question.

A search ranks pages; the answer to a question often sits in another chunk of the right page
than the one that made the page win, and a small model reading five whole chunks picks the
wrong sentence or invents one. So the answer is found here, by the pipeline, not by the
model: every page of the top sources is read whole (its chunks in order), cut into
sentences (a long sentence into overlapping windows), and each sentence is scored by

- the question's terms it holds (the BM25 tokens: stems, identifiers, CJK bigrams), weighted
  by how rare they are among the candidate sentences (idf^1.5, so a rare option name counts
  for more than a common word);
- the rank of its page in the search (a small prior: the search already weighed the page);
- for questions not in Chinese, the embedder's cosine to the question (the bundled MiniLM is
  English-only: it would add noise to Chinese).

The best sentence starts the quote, which runs on for up to QUOTE_CHARS: the answer is
often in the sentence after the one that matches the question.
Measured on bench/qa (`./desk bench answers`); the weights were chosen on kinds of question,
not on single questions (see the README, "Answers").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from rag.events import Quote, Source
from rag.ingest.chunking import decode_offsets, raw_offset, split_sentences
from rag.language import is_chinese, is_cjk
from rag.search.searcher import overlap_length
from rag.store.bm25 import tokenize

QUOTE_CHARS = 290  # longest quote; a first sentence longer than this is cut at a word
UNIT_CHARS = 240  # sentences longer than this are scored as overlapping windows
PAGE_PRIOR = 0.3  # weight of 1 / (1 + page rank) next to term coverage (0..1)
DENSE_WEIGHT = 0.3  # weight of the cosine to the question, for questions not in Chinese
IDF_POWER = 1.5
SENTENCE_SLACK = 0.15
_SENTENCE_END = re.compile(r"[.!?。！？；]['\"”’)\]]*$")


@dataclass
class _Piece:
    """A chunk's text as it appears in a page's joined text, from `at` on."""

    at: int  # where it starts in the page text
    skip: int  # characters of the chunk left out (the overlap with the previous chunk)
    chunk: object  # StoredChunk


@dataclass(frozen=True)
class PageText:
    """A source's whole page, rebuilt from its stored chunks."""

    rank: int  # 0 = the best source
    source: Source
    text: str
    pieces: tuple[_Piece, ...]

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        return self._raw(start), self._raw(end)

    def _raw(self, at: int) -> int:
        piece = self.pieces[0]
        for p in self.pieces:
            if p.at <= at:
                piece = p
        c = piece.chunk
        index = max(0, at - piece.at + piece.skip)
        return raw_offset(decode_offsets(str(c.metadata.get("offsets", ""))), index,
                          int(c.metadata.get("char_start", 0)))


def page_text(rank: int, source: Source, chunks: Sequence) -> PageText:
    """Join a page's chunks in order without repeating the overlap chunking put between them.
    With no stored neighbours, the source's own passage stands for the page."""
    if not chunks:
        stand_in = type("Chunk", (), {"text": source.text, "metadata": {
            "offsets": source.offsets, "char_start": source.char_start}})()
        return PageText(rank, source, source.text, (_Piece(0, 0, stand_in),))
    text, pieces = "", []
    for c in chunks:
        if not text:
            pieces.append(_Piece(0, 0, c))
            text = c.text
            continue
        size = overlap_length(text, c.text)
        if not size:
            text += " "
        pieces.append(_Piece(len(text), size, c))
        text += c.text[size:]
    return PageText(rank, source, text, tuple(pieces))


def units(text: str, limit: int = UNIT_CHARS) -> list[tuple[int, int]]:
    """Sentence spans of `text`; a longer sentence becomes windows of about `limit`
    characters, overlapping by half, cut at spaces."""
    out = []
    for s, e in split_sentences(text):
        if e - s <= limit:
            out.append((s, e))
            continue
        pos = s
        while pos < e:
            end = min(e, pos + limit)
            if end < e:
                space = text.rfind(" ", pos + limit // 2, end)
                end = space if space > pos else end
            out.append((pos, end))
            if end >= e:
                break
            step = text.find(" ", pos + limit // 2, end)
            pos = step + 1 if step > pos else end
    return out


def _terms(text: str) -> set[str]:
    return {t for t in tokenize(text) if not (len(t) == 1 and is_cjk(t))}


def quote_end(text: str, start: int, limit: int = QUOTE_CHARS) -> int:
    """Where a quote starting at `start` ends: at a sentence end in the last SENTENCE_SLACK
    of `limit` characters, else at the last space (the quote then reads on with "…"). A
    window cut at the last full sentence lost answers that sit at its end (bench/qa: 4 of 80)."""
    end = min(len(text), start + limit)
    if end == len(text):
        return end
    ends = [start + e for s, e in split_sentences(text[start:end])
            if _SENTENCE_END.search(text[start:start + e].rstrip())]
    if ends and ends[-1] >= start + limit * (1 - SENTENCE_SLACK):
        return ends[-1]
    space = text.rfind(" ", start + limit // 2, end)
    return space if space > start else end


def is_whole(quote: str) -> bool:
    """Whether a quote ends at the end of a sentence (else it is shown with "…")."""
    return bool(_SENTENCE_END.search(quote.rstrip()))


@dataclass(frozen=True)
class Candidate:
    page: PageText
    start: int
    end: int
    score: float


def rank_sentences(question: str, pages: Sequence[PageText],
                   similarity: Callable[[list[str]], Sequence[float]] | None = None) -> list[Candidate]:
    """Every sentence of `pages`, best answer first. `similarity(texts)` gives the embedder's
    cosine of each text to the question (used for questions not in Chinese)."""
    spans = [(p, s, e) for p in pages for s, e in units(p.text)]
    if not spans:
        return []
    asked = _terms(question)
    held = [_terms(p.text[s:e]) for p, s, e in spans]
    df: dict[str, int] = {}
    for terms in held:
        for t in terms & asked:
            df[t] = df.get(t, 0) + 1
    n = len(spans)
    idf = {t: math.log(1 + n / (1 + df.get(t, 0))) ** IDF_POWER for t in asked}
    total = sum(idf.values()) or 1.0
    scores = [sum(idf[t] for t in terms & asked) / total for terms in held]
    if similarity is not None and not is_chinese(question):
        cosines = similarity([p.text[s:quote_end(p.text, s)] for p, s, e in spans])
        scores = [x + DENSE_WEIGHT * float(c) for x, c in zip(scores, cosines)]
    ranked = [Candidate(p, s, e, x + PAGE_PRIOR / (1 + p.rank)) for (p, s, e), x in zip(spans, scores)]
    return sorted(ranked, key=lambda c: -c.score)


def to_quote(c: Candidate) -> Quote:
    end = quote_end(c.page.text, c.start)
    text = c.page.text[c.start:end].strip()
    start_raw, end_raw = c.page.raw_span(c.start, c.start + len(text))
    src = c.page.source
    return Quote(src.n, src.file, src.path, src.page, text, start_raw, end_raw, src.ocr)


def find_quotes(question: str, pages: Sequence[PageText], similarity=None, most: int = 3) -> tuple[Quote, ...]:
    """The best quote, then the best of other pages (at most `most` in all)."""
    out: list[Quote] = []
    seen_pages: set[int] = set()
    for c in rank_sentences(question, pages, similarity):
        if c.page.rank in seen_pages:
            continue
        seen_pages.add(c.page.rank)
        out.append(to_quote(c))
        if len(out) >= most:
            break
    return tuple(out)
