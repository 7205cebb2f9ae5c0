"""Answer evaluation on a QA file (`rag-cli eval --answers`, `./desk bench answers`).

For each record with an `answer`, the full `ask` runs and the shown answer is judged:
- hit: the gold answer is in the first ANSWER_CHARS characters of the shown answer (NFKC,
  case- and white-space-insensitive; for Chinese records also with all white space removed),
  so a dump of passages cannot pass;
- cited: the gold page is among the answer's sources; quoted: it is the page of its quote;
- unsupported: URLs, e-mail addresses, paths, numbers and code-like identifiers of the shown
  answer that occur in no source text (rag.answer.grounding);
- not found: the app said it could not find it, on an answerable question.
Records without `file` (off-topic questions) count as refused when the app abstains.
Reported overall, by language and by kind, with time to first token and tokens/s.
"""

from __future__ import annotations

import json
import statistics
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from rag.answer.grounding import SourceText
from rag.errors import RagError
from rag.events import Abstained, AnswerDone
from rag.language import is_chinese

ANSWER_CHARS = 300


@dataclass(frozen=True)
class AnswerCase:
    question: str
    answer: str = ""  # the gold answer string ("" for an off-topic question)
    file: str = ""
    pages: tuple[int, ...] = ()
    lang: str = "en"
    kind: str = ""

    @property
    def off_topic(self) -> bool:
        return not self.file


def load_cases(path: Path, off_topic: bool = False) -> list[AnswerCase]:
    """Records of a QA file (question, file, page[, pages], answer, lang, kind); with
    `off_topic`, records are questions the documents cannot answer."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            question = r["question"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RagError(f"{path.name} line {n}: not a QA record ({exc}); each line needs a \"question\"") from None
        lang = r.get("lang") or ("zh" if is_chinese(question) else "en")
        if off_topic:
            out.append(AnswerCase(question, lang=lang, kind=r.get("kind", "off-topic")))
        elif r.get("answer") and r.get("file"):
            pages = tuple(sorted({int(r["page"]), *map(int, r.get("pages", []))}))
            out.append(AnswerCase(question, str(r["answer"]), r["file"], pages, lang, r.get("kind", "")))
    return out


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def holds_answer(shown: str, gold: str, lang: str = "en") -> bool:
    head, want = _norm(shown[:ANSWER_CHARS]), _norm(gold)
    if want in head:
        return True
    return lang == "zh" and want.replace(" ", "") in head.replace(" ", "")


@dataclass
class Outcome:
    case: AnswerCase
    answered: bool
    hit: bool = False
    cited: bool = False
    quoted: bool = False
    unsupported: tuple[str, ...] = ()
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    shown: str = ""


def judge(case: AnswerCase, events: Iterable) -> Outcome:
    done = next((e for e in events if isinstance(e, (AnswerDone, Abstained))), None)
    if not isinstance(done, AnswerDone):
        return Outcome(case, answered=False, shown=getattr(done, "reason", ""))
    shown = done.answer
    where = {(s.file, p) for s in done.sources for p in range(s.page, s.page_end + 1)}
    cited = any((case.file, p) in where for p in case.pages)
    quoted = bool(done.evidence) and done.evidence[0].file == case.file and done.evidence[0].page in case.pages
    # the quotes are source text too: verbatim, from the sources' pages
    unsupported = tuple(SourceText([*(s.text for s in done.sources), *(q.text for q in done.evidence)])
                        .unsupported(shown))
    st = done.stats
    return Outcome(case, True, holds_answer(shown, case.answer, case.lang) if case.answer else False, cited, quoted,
                   unsupported, st.ttft_s, st.tokens_per_s if st.tokens > 1 else None, shown)


@dataclass
class Tally:
    n: int = 0
    hit: int = 0
    cited: int = 0
    quoted: int = 0
    not_found: int = 0
    unsupported: int = 0
    with_unsupported: int = 0
    refused: int = 0
    off_topic: int = 0
    ttft: list[float] = field(default_factory=list)
    tps: list[float] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        if o.ttft_s is not None:
            self.ttft.append(o.ttft_s)
        if o.tokens_per_s:
            self.tps.append(o.tokens_per_s)
        self.unsupported += len(o.unsupported)
        self.with_unsupported += bool(o.unsupported)
        if o.case.off_topic:
            self.off_topic += 1
            self.refused += not o.answered
            return
        self.n += 1
        self.hit += o.hit
        self.cited += o.cited
        self.quoted += o.quoted
        self.not_found += not o.answered

    def row(self) -> dict:
        share = lambda x, n: round(x / n, 4) if n else None  # noqa: E731
        return {"n": self.n, "answer_hit": share(self.hit, self.n), "page_cited": share(self.cited, self.n),
                "page_quoted": share(self.quoted, self.n), "not_found": share(self.not_found, self.n),
                "unsupported_tokens": self.unsupported, "answers_with_unsupported": self.with_unsupported,
                "off_topic": self.off_topic, "refused": share(self.refused, self.off_topic),
                "ttft_p50_s": round(statistics.median(self.ttft), 3) if self.ttft else None,
                "tokens_per_s_p50": round(statistics.median(self.tps), 2) if self.tps else None}


def evaluate_answers(ask: Callable[[str], Iterable], cases: list[AnswerCase], progress=None) -> dict:
    """`ask(question)` gives the events of one answer. Returns the overall row, rows by
    language and by kind, and every outcome."""
    overall, by_lang, by_kind, rows = Tally(), {}, {}, []
    for i, case in enumerate(cases, start=1):
        outcome = judge(case, list(ask(case.question)))
        overall.add(outcome)
        by_lang.setdefault(case.lang, Tally()).add(outcome)
        by_kind.setdefault(case.kind or "-", Tally()).add(outcome)
        rows.append({"question": case.question, "gold": case.answer, "lang": case.lang, "kind": case.kind,
                     "answered": outcome.answered, "hit": outcome.hit, "cited": outcome.cited,
                     "quoted": outcome.quoted, "unsupported": list(outcome.unsupported),
                     "ttft_s": outcome.ttft_s, "shown": outcome.shown[:ANSWER_CHARS]})
        if progress:
            progress(i, len(cases), outcome)
    return {"overall": overall.row(), "by_lang": {k: t.row() for k, t in sorted(by_lang.items())},
            "by_kind": {k: t.row() for k, t in sorted(by_kind.items())}, "answers": rows}
