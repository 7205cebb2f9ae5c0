"""Retrieval evaluation on a user's own QA file (`rag-cli eval`).

Records are JSON lines: {"question", "file", "page", "answer"?, "pages"?, "lang"?}. A hit is
a retrieved chunk of that file whose page span covers the page (or one of "pages").
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from rag.errors import RagError
from rag.language import cjk_ratio

EVAL_CUTOFFS = (1, 3, 5, 10)


@dataclass(frozen=True)
class QA:
    question: str
    file: str
    pages: tuple[int, ...]
    answer: str | None
    lang: str
    kind: str


def load_qa(path: Path) -> list[QA]:
    records = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RagError(f"cannot read QA file {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            question, file, page = raw["question"], raw["file"], int(raw["page"])
        except (ValueError, KeyError, TypeError):
            raise RagError(f"{path}:{number}: each line needs JSON with question, file and page") from None
        pages = tuple(sorted({page, *map(int, raw.get("pages", []))}))
        lang = raw.get("lang") or ("zh" if cjk_ratio(question) >= 0.2 else "en")
        records.append(QA(question, Path(file).name, pages, raw.get("answer"), lang, raw.get("kind", "")))
    if not records:
        raise RagError(f"{path} holds no QA records")
    return records


@dataclass
class Tally:
    n: int = 0
    hits: dict = field(default_factory=lambda: {c: 0 for c in EVAL_CUTOFFS})
    rr: float = 0.0
    answer_in_context: int = 0
    answerable: int = 0
    latencies: list = field(default_factory=list)

    def row(self) -> dict:
        lat = sorted(self.latencies)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0  # noqa: E731
        return {
            "n": self.n,
            **{f"hit@{c}": round(self.hits[c] / self.n, 4) if self.n else 0.0 for c in EVAL_CUTOFFS},
            "mrr": round(self.rr / self.n, 4) if self.n else 0.0,
            "answer_in_context": round(self.answer_in_context / self.answerable, 4) if self.answerable else None,
            "p50_ms": round(statistics.median(lat), 2) if lat else 0.0,
            "p95_ms": round(p(0.95), 2),
        }


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def rank_of(record: QA, sources) -> int | None:
    for rank, s in enumerate(sources, start=1):
        if s.file == record.file and any(s.page <= p <= s.page_end for p in record.pages):
            return rank
    return None


def evaluate_retrieval(search: Callable, records: Sequence[QA], k: int = 5, progress=None) -> dict:
    """search(question, k) -> sources. Returns {"overall": row, "by_lang": {...}, "by_kind": {...}}."""
    depth = max(k, max(EVAL_CUTOFFS))
    overall, by_lang, by_kind = Tally(), {}, {}
    misses = []
    for i, rec in enumerate(records):
        t0 = time.perf_counter()
        sources = search(rec.question, depth)
        ms = (time.perf_counter() - t0) * 1000
        rank = rank_of(rec, sources)
        context = _norm(" ".join(s.text for s in sources[:k]))
        for tally in (overall, by_lang.setdefault(rec.lang, Tally()), by_kind.setdefault(rec.kind or "-", Tally())):
            tally.n += 1
            tally.latencies.append(ms)
            for c in EVAL_CUTOFFS:
                tally.hits[c] += bool(rank and rank <= c)
            tally.rr += 1.0 / rank if rank else 0.0
            if rec.answer:
                tally.answerable += 1
                ans = _norm(rec.answer)
                tally.answer_in_context += ans in context or ans.replace(" ", "") in context.replace(" ", "")
        if not rank or rank > k:
            misses.append({"question": rec.question, "file": rec.file, "page": rec.pages[0], "rank": rank})
        if progress:
            progress(i + 1, len(records))
    return {
        "overall": overall.row(),
        "by_lang": {lang: t.row() for lang, t in sorted(by_lang.items())},
        "by_kind": {kind: t.row() for kind, t in sorted(by_kind.items())},
        "misses": misses,
    }
