"""A question as the answer stage sees it, decided once: its text, the language of the answer,
the query that is searched (a follow-up made standalone) and the conversation before it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rag.language import answer_language
from rag.search.followup import standalone_query

NOT_FOUND = {
    "en": "I couldn't find this in your documents. The closest passages are listed below.",
    "zh": "在你的文档中没有找到相关内容。下面列出了最接近的段落。",
}


@dataclass(frozen=True)
class Question:
    text: str  # as the user typed it
    language: str  # "en" | "zh": what the answer is written in
    query: str  # what is searched
    history: tuple[tuple[str, str], ...] = ()  # earlier (question, answer) turns of the chat

    @property
    def not_found(self) -> str:
        return NOT_FOUND[self.language]


def make_question(text: str, history: Sequence[tuple[str, str]], settings, language: str = "auto",
                  generator=None) -> Question:
    """`language`: "auto" follows the answer_language setting, whose "auto" is the question's
    own language; `generator` rewrites follow-ups when followup_rewrite is "llm"."""
    if language == "auto":
        language = settings.answer_language
    rewriter = generator if settings.followup_rewrite == "llm" else None
    query = standalone_query(text, history, settings.followup_rewrite, rewriter)
    return Question(text, answer_language(text, language), query, tuple(history))
