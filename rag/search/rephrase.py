"""RAG-Fusion: let the LLM write a few rephrasings of the question, retrieve for each,
and fuse all rankings with reciprocal rank fusion. Off by default (it costs one short
generation before retrieval); `fusion_queries` in settings turns it on."""

from __future__ import annotations

import re
import threading

from rag.llm.base import BuiltPrompt

_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s*(.+?)\s*$")


def rephrasings(generator, question: str, n: int) -> list[str]:
    text = (
        f"Write {n} different search queries that would find passages answering the question. "
        "Use other words and likely technical terms.\n\n"
        f"Question: {question}\nQueries:\n1."
    )
    prompt = BuiltPrompt(system="You write search queries.", user=text, completion=text, sources=(), dropped=0)
    try:
        raw = "1." + "".join(generator.stream(prompt, 24 * n, 0.7, threading.Event()))
    except Exception:
        return []
    out: list[str] = []
    for line in raw.splitlines():
        m = _NUMBERED.match(line)
        if m and m.group(1) and m.group(1).lower() != question.lower() and m.group(1) not in out:
            out.append(m.group(1)[:300])
        if len(out) == n:
            break
    return out
