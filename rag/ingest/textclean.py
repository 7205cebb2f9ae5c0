"""Clean extracted page text while remembering where every character came from.

`clean_page(raw)` returns the cleaned text and an offsets list: `offsets[i]` is the index
in `raw` of cleaned character i, and `offsets[len(text)]` is `len(raw)`. Chunks store raw
offsets so a viewer can highlight the exact passage on the PDF page.
"""

from __future__ import annotations

import re
import unicodedata

from rag.language import CJK_CHARS

_SOFT_HYPHENS = "\u00ad\u0002\ufffe"


def _sub(text: str, offsets: list[int], pattern: re.Pattern, repl) -> tuple[str, list[int]]:
    """re.sub that keeps offsets: replacement characters map to the match start."""
    out: list[str] = []
    out_offsets: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(text[pos : m.start()])
        out_offsets.extend(offsets[pos : m.start()])
        rep = repl(m) if callable(repl) else repl
        out.append(rep)
        out_offsets.extend([offsets[m.start()]] * len(rep))
        pos = m.end()
    if not out:
        return text, offsets
    out.append(text[pos:])
    out_offsets.extend(offsets[pos:])
    return "".join(out), out_offsets


_HYPHEN_BREAK = re.compile(r"(?<=[a-z])-[ \t]*\n[ \t]*(?=[a-z])")
_SOFT = re.compile(f"[{_SOFT_HYPHENS}][ \t]*\n?[ \t]*")
_CJK_BREAK = re.compile(f"(?<=[{CJK_CHARS}])[ \t]*\n[ \t]*(?=[{CJK_CHARS}])")
_DOT_LEADERS = re.compile(r"(?:[.·…‧∙]\s?){4,}")
_WS_WITH_NEWLINE = re.compile(r"\s*\n\s*")
# runs that change: two or more blanks, or any blank other than a plain space
_WS = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u3000]{2,}|[\t\f\v\u00a0\u2000-\u200b\u3000]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _nfkc_or_same(m: re.Match) -> str:
    return unicodedata.normalize("NFKC", m.group())


_CONTROL = re.compile(r"[\x00-\x01\x03-\x08\x0b\x0e-\x1f\x7f]")


def clean_page(raw: str) -> tuple[str, list[int]]:
    # NFKC per character (ligatures, full-width forms) while keeping the raw index; only
    # non-ASCII characters are looked at, and only when the page is not NFKC already.
    offsets = list(range(len(raw) + 1))
    text = raw
    if not raw.isascii() and not unicodedata.is_normalized("NFKC", raw):
        text, offsets = _sub(raw, offsets, _NON_ASCII, _nfkc_or_same)
    text = text.replace("\r\n", " \n").replace("\r", "\n") if "\r" in text else text
    text, offsets = _sub(text, offsets, _CONTROL, "")
    text, offsets = _sub(text, offsets, _SOFT, "")
    text, offsets = _sub(text, offsets, _HYPHEN_BREAK, "")
    text, offsets = _sub(text, offsets, _CJK_BREAK, "")
    text, offsets = _sub(text, offsets, _DOT_LEADERS, " ")
    text, offsets = _sub(text, offsets, _WS_WITH_NEWLINE, " ")
    text, offsets = _sub(text, offsets, _WS, " ")
    # strip, keeping offsets aligned
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return text[start:end], offsets[start:end] + [offsets[end] if end < len(text) else offsets[-1]]



