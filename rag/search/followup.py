"""Turn a follow-up question into a query that stands on its own for retrieval.

"And what is its default?" retrieves nothing useful by itself. With a conversation behind
it, a follow-up (short, or leaning on pronouns) is searched together with the previous
question ("concat", cheap and robust), or rewritten by the LLM ("llm", falling back to
concat when the model's rewrite is empty or runs on).
"""

from __future__ import annotations

import re
import threading
from typing import Sequence

from rag.language import cjk_ratio

_REFERS_BACK = re.compile(
    r"\b(it|its|it's|this|that|these|those|they|them|their|there|he|she|his|her|the same|above|previous|"
    r"and what|and how|also|what about|how about)\b|它|其|这个|那个|这些|那些|他们|她|上面|刚才|还有|那么",
    re.IGNORECASE,
)


def is_followup(question: str) -> bool:
    words = len(question.split()) if cjk_ratio(question) < 0.2 else len(question) // 2
    return words <= 5 or bool(_REFERS_BACK.search(question))


def standalone_query(question: str, history: Sequence[tuple[str, str]], how: str = "concat", generator=None) -> str:
    if not history or how == "off" or not is_followup(question):
        return question
    previous = history[-1][0]
    if how == "llm" and generator is not None:
        rewritten = _llm_rewrite(question, history, generator)
        if rewritten:
            return rewritten
    return f"{previous} {question}"


def _llm_rewrite(question: str, history: Sequence[tuple[str, str]], generator) -> str | None:
    from rag.llm.base import BuiltPrompt

    convo = "\n".join(f"Q: {q}\nA: {a[:300]}" for q, a in history[-2:])
    text = (
        "Rewrite the follow-up question so that it can be understood without the conversation. "
        "Keep names and technical terms.\n\n"
        f"{convo}\nFollow-up: {question}\nStandalone question:"
    )
    prompt = BuiltPrompt(system="You rewrite questions.", user=text, completion=text, sources=(), dropped=0)
    try:
        out = "".join(generator.stream(prompt, 48, 0.0, threading.Event())).strip().split("\n")[0]
    except Exception:
        return None
    if not out or len(out) > 4 * len(question) + 200:
        return None
    return out
