"""Token-aware, sentence-aware chunking that remembers pages and raw character offsets.

Sentences (English . ! ? and Chinese 。！？；) are packed greedily up to `max_tokens`
as counted by the embedding model's own tokenizer; a new chunk starts with the last
sentences of the previous one (up to `overlap` tokens). Chunks break at page ends, so
citations are page-exact, unless the page's tail is tiny, which then joins the next page
(never when pages are sections of a DOCX, EPUB or HTML document: a section stands alone).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol

from rag.ingest.page import Page

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|(?<=[。！？；])\s*|(?<=[!?;:]) ")
MIN_PAGE_TAIL_TOKENS = 24


class TokenCounter(Protocol):
    def count(self, texts: list[str]) -> list[int]: ...

    def split(self, text: str, max_tokens: int) -> list[tuple[int, int]]:
        """Char spans of consecutive pieces of `text`, each at most `max_tokens` tokens."""
        ...


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    page: int
    page_end: int
    char_start: int  # raw offset in page `page`
    char_end: int  # raw offset in page `page_end`
    tokens: int
    section: str = ""
    ocr: bool = False  # some of its text was read by OCR
    # Where its text sits on page `page`: (text index, raw offset) at every point where the
    # gap between the two changes (white space collapsed, hyphens joined, NFKC), so a quote
    # inside the chunk maps to an exact raw span (rag.ingest.chunking.raw_offset).
    offsets: tuple[tuple[int, int], ...] = ()


@dataclass
class _Segment:
    page: Page
    start: int
    end: int
    tokens: int


def split_sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() > pos:
            end = m.start() if m.start() > pos else m.end()
            if text[pos:end].strip():
                spans.append((pos, end))
            pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text)))
    return spans


class Chunker:
    def __init__(self, counter: TokenCounter, max_tokens: int = 200, overlap: int = 32):
        if overlap >= max_tokens:
            raise ValueError("overlap must be smaller than max_tokens")
        self.counter = counter
        self.max_tokens = max_tokens
        self.overlap = overlap

    def _segments(self, page: Page) -> list[_Segment]:
        spans = split_sentences(page.text)
        if not spans:
            return []
        counts = self.counter.count([page.text[s:e] for s, e in spans])
        segments: list[_Segment] = []
        for (s, e), n in zip(spans, counts):
            if n <= self.max_tokens:
                segments.append(_Segment(page, s, e, n))
                continue
            for ps, pe in self.counter.split(page.text[s:e], self.max_tokens):
                piece = page.text[s + ps : s + pe]
                if piece.strip():
                    segments.append(_Segment(page, s + ps, s + pe, self.counter.count([piece])[0]))
        return segments

    def chunk(self, pages: Iterable[Page]) -> Iterator[Chunk]:
        current: list[_Segment] = []
        tokens = 0
        index = 0

        def emit(segs: list[_Segment]) -> Chunk:
            nonlocal index
            chunk = self._make_chunk(index, segs)
            index += 1
            return chunk

        for page in pages:
            for seg in self._segments(page):
                new_page = bool(current) and seg.page is not current[-1].page
                # a tiny page tail joins the next page, unless the pages are sections (DOCX, EPUB, HTML)
                page_break = new_page and (tokens >= MIN_PAGE_TAIL_TOKENS or current[-1].page.section)
                if current and (tokens + seg.tokens > self.max_tokens or page_break):
                    yield emit(current)
                    carry: list[_Segment] = []
                    if not new_page:
                        carried = 0
                        for s in reversed(current):
                            if carried + s.tokens > self.overlap or carried + s.tokens + seg.tokens > self.max_tokens:
                                break
                            carry.insert(0, s)
                            carried += s.tokens
                    current, tokens = carry, sum(s.tokens for s in carry)
                current.append(seg)
                tokens += seg.tokens
        if current:
            yield emit(current)

    @staticmethod
    def _make_chunk(index: int, segs: list[_Segment]) -> Chunk:
        parts: list[str] = []
        page_runs: list[list[_Segment]] = []
        for seg in segs:
            if page_runs and page_runs[-1][-1].page is seg.page:
                page_runs[-1].append(seg)
            else:
                page_runs.append([seg])
        for run in page_runs:
            page = run[0].page
            parts.append(page.text[run[0].start : run[-1].end].strip())
        first, last = segs[0], segs[-1]
        offsets = _offset_map(first.page, first.start, page_runs[0][-1].end)
        section = ""
        if first.page.sections:
            keys = [pos for pos, _ in first.page.sections]
            at = bisect.bisect_right(keys, first.start) - 1
            if at >= 0:
                section = first.page.sections[at][1]
        return Chunk(
            index=index,
            text=" ".join(p for p in parts if p),
            page=first.page.number,
            page_end=last.page.number,
            char_start=first.page.offsets[first.start],
            char_end=last.page.offsets[last.end],
            tokens=sum(s.tokens for s in segs),
            section=section,
            ocr=any(run[0].page.ocr for run in page_runs),
            offsets=offsets,
        )


def _offset_map(page: Page, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """The breakpoints of text index -> raw offset for page.text[start:end].strip()."""
    import numpy as np

    text = page.text[start:end]
    start += len(text) - len(text.lstrip())
    raw = np.asarray(page.offsets[start:end + 1], dtype=np.int64)
    if not len(raw):
        return ()
    gaps = raw - np.arange(len(raw))
    points = np.concatenate(([0], np.flatnonzero(np.diff(gaps)) + 1))
    return tuple((int(i), int(raw[i])) for i in points)


def encode_offsets(offsets: tuple[tuple[int, int], ...]) -> str:
    """The offset map as stored with a chunk: "i,r;i,r;..."."""
    return ";".join(f"{i},{r}" for i, r in offsets)


def decode_offsets(stored: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple((int(i), int(r)) for i, r in (pair.split(",") for pair in stored.split(";") if pair))
    except ValueError:
        return ()


def raw_offset(offsets, index: int, fallback: int = 0) -> int:
    """The raw page offset of text index `index` of a chunk, from its offset map (or
    `fallback` + index for chunks stored without one)."""
    if not offsets:
        return fallback + index
    at = bisect.bisect_right([o[0] for o in offsets], index) - 1
    if at < 0:
        return offsets[0][1]
    text_at, raw_at = offsets[at]
    return raw_at + (index - text_at)
