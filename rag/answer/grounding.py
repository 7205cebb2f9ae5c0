"""The grounding check: nothing the sources do not contain reaches the user as if it came from
the documents.

A small model invents things that look like facts: URLs, e-mail addresses, file paths,
numbers (with or without units), code-like identifiers (`\\command`, `--option`,
`snake_case`, `file.ext`). `risky_tokens` finds them; a token is *supported* when it occurs
in the source texts (compared after NFKC, case folding and with white space removed). A
sentence of the model's text holding an unsupported token is cut, and so is a sentence that
shares almost no words with the sources (the model's own knowledge). What is cut is
reported, so the caller can say so.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from rag.language import is_cjk

_URL = r"(?:https?|ftp)://[^\s<>«»\"'`)\]]+|\bwww\.[^\s<>«»\"'`)\]]+"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PATH = r"(?:~|\.{1,2})?/(?:[\w.+-]+/)+[\w.+-]*|[A-Za-z]:\\[^\s«»\"']+"
_UNITS = (r"%|[kKMGT]i?B\b|bytes?\b|px\b|pt\b|bp\b|cm\b|mm\b|in\b|dpi\b|ms\b|s\b|sec\b|seconds?\b|minutes?\b|"
          r"hours?\b|days?\b|V\b|W\b|A\b|Hz\b|kHz\b|MHz\b|GHz\b|°C?|伏特?|瓦|毫米|厘米|英寸|秒|分钟|小时|天|个|页|行|点")
_NUMBER = rf"(?<![\w.])\d+(?:[.,]\d+)*(?:e-?\d+)?(?:\s?(?:{_UNITS}))?"
_CODE = (r"\\[A-Za-z@]+\*?"  # TeX commands
         r"|(?<![\w-])--?[A-Za-z][\w-]*[A-Za-z0-9]"  # command-line options
         r"|\b[A-Za-z]\w*_\w+\b"  # snake_case
         r"|\b[a-z]+[A-Z]\w*\b"  # camelCase
         r"|\b\w+(?:\.\w+)+\(\)?|\b\w+\(\)"  # calls and dotted names
         r"|\b[\w-]+\.(?:pdf|tex|sty|cls|bib|txt|md|py|sh|conf|cfg|ini|json|xml|html?|ttf|ttc|otf|png|jpe?g|eps|ps|"
         r"dvi|gz|zip|exe|dll|so|asy|gp|dem|log|toml|ya?ml)\b")
RISKY = re.compile(f"(?P<url>{_URL})|(?P<email>{_EMAIL})|(?P<path>{_PATH})|(?P<code>{_CODE})|(?P<number>{_NUMBER})")
# a sentence ends at . ! ? followed by white space (not inside a URL or a number), at CJK
# sentence punctuation, or at a line break
_SENTENCE_END = re.compile(r"[.!?]+['\"”’)\]]*(?=\s|$)|[。！？；]+|\n")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
# Words of the answer's own framing, not facts: they need not come from the sources.
_FRAME = frozenset("""the and for that this with from you your are can use used using will would should could
which what when where how why there their them they its not but also into than then have has had was were been
being does did done just only any all each some such more most other like may might must shall about answer
question source sources document documents text page see set""".split())


@dataclass(frozen=True)
class Grounded:
    text: str  # the model's text with unsupported sentences cut
    cut: tuple[str, ...]  # the sentences that were cut
    unsupported: tuple[str, ...]  # the tokens that made them go


def _squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def risky_tokens(text: str) -> list[str]:
    """URLs, e-mail addresses, paths, numbers and code-like identifiers in `text`, in order."""
    out = []
    for m in RISKY.finditer(text):
        token = m.group(0).rstrip(".,;:")
        if m.lastgroup == "number" and len(token.strip()) < 2 and not any(c.isalpha() for c in token):
            continue  # a lone digit ("step 1", "[2]") is not a fact worth checking
        if token:
            out.append(token)
    return out


class SourceText:
    """The source texts an answer may draw on, normalised once for many look-ups."""

    def __init__(self, texts: Iterable[str]):
        joined = "\n".join(texts)
        self.squashed = _squash(joined)
        self.words = {w.lower() for w in _WORD.findall(joined)}
        self.cjk = {a + b for a, b in zip(joined, joined[1:]) if is_cjk(a) and is_cjk(b)}

    def supports(self, token: str) -> bool:
        return _squash(token) in self.squashed

    def unsupported(self, text: str) -> list[str]:
        return [t for t in risky_tokens(text) if not self.supports(t)]

    def overlap(self, text: str) -> float:
        """Share of the content words (CJK: character pairs) of `text` found in the sources."""
        words = {w.lower() for w in _WORD.findall(text)} - _FRAME
        pairs = {a + b for a, b in zip(text, text[1:]) if is_cjk(a) and is_cjk(b)}
        total = len(words) + len(pairs)
        if not total:
            return 1.0
        return (len(words & self.words) + len(pairs & self.cjk)) / total


def sentences(text: str) -> list[str]:
    """`text` cut after each sentence end; the pieces join back to `text`."""
    out, pos = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append(text[pos:m.end()])
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def ground(text: str, sources: SourceText, min_overlap: float = 0.5) -> Grounded:
    """Cut every sentence of `text` that holds a token the sources do not contain, or whose
    content words are mostly not in the sources."""
    kept, cut, bad = [], [], []
    for sentence in sentences(text):
        if not sentence.strip():
            kept.append(sentence)
            continue
        missing = sources.unsupported(sentence)
        if missing or sources.overlap(sentence) < min_overlap:
            cut.append(sentence.strip())
            bad.extend(missing)
            continue
        kept.append(sentence)
    return Grounded("".join(kept).strip(), tuple(cut), tuple(bad))
