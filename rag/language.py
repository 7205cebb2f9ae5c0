"""Language decisions, made in one place: is a character or a text Chinese (CJK), and which
language an answer should be written in."""

from __future__ import annotations

import re

# Character ranges counted as CJK: radicals, CJK punctuation, kana, bopomofo, enclosed CJK,
# ideographs (extension A and the main block), compatibility ideographs, full-width forms.
CJK_CHARS = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3200-\u32ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
)
_ONE_CJK = re.compile(f"[{CJK_CHARS}]")
# A question whose visible characters are at least this share CJK is a Chinese question.
CHINESE_SHARE = 0.2


_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")


def is_cjk(ch: str) -> bool:
    return bool(_ONE_CJK.match(ch))


def cjk_count(text: str) -> int:
    """How many of a text's characters are CJK (one regex pass, not a call per character)."""
    return len(_ONE_CJK.findall(text))


def without_cjk(text: str) -> str:
    """The text with each run of CJK characters turned into one space."""
    return _CJK_RUN.sub(" ", text)


def cjk_ratio(text: str) -> float:
    letters = sum(1 for c in text if not c.isspace())
    if not letters:
        return 0.0
    return cjk_count(text) / letters


def is_chinese(text: str) -> bool:
    return cjk_ratio(text) >= CHINESE_SHARE


def answer_language(question: str, setting: str = "auto") -> str:
    if setting in ("en", "zh"):
        return setting
    return "zh" if is_chinese(question) else "en"


# Punctuation and symbols, and underscores (which \w counts as word characters).
_NOT_A_WORD = re.compile(r"[^\w\s]+|_+")


def words_only(text: str) -> str:
    """A text's words and numbers with its punctuation and symbols turned into spaces: what an
    English-only sentence embedder is given (rag.ingest.indexed.embedded_text, and questions in
    rag.embed.embedder). Braces, backslashes, commas and the like were a quarter of the bundled
    MiniLM's tokens on the Debian manuals and tell it next to nothing. A text with no word
    character left is kept as it is."""
    words = " ".join(_NOT_A_WORD.sub(" ", text).split())
    return words if words else text
