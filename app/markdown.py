"""Text the app derives from an answer, without Qt: the Markdown the transcript renders, the
text Copy answer puts on the clipboard and the file name Export chat suggests.

`answer_markdown` is the sanitizer between the model's output and the transcript. The
transcript renders its result with HTML switched off (Qt's MarkdownNoHTML), so raw HTML in
an answer is shown as text; this module makes sure nothing else in the Markdown reaches out
or runs: images become their alt text, angle-bracket autolinks (`<javascript:…>`,
`<file:…>`, `<https://…>`) become plain text, and `[n]` markers of real sources become
`cite:` links the transcript turns into "open the cited page".
"""

from __future__ import annotations

import re

CITATION = re.compile(r"\[(\d{1,2})\]")
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
RAW_LINK = re.compile(r"<(?:https?|ftp|file|data|javascript):[^>]*>", re.IGNORECASE)
CITE_SCHEME = "cite"


def answer_markdown(text: str, answer_key: int, source_numbers) -> str:
    """The model's answer as safe Markdown: [n] become cite links, images become their alt
    text, autolinks lose their angle brackets (plain text). HTML is switched off when rendering."""
    text = MARKDOWN_IMAGE.sub(lambda m: m.group(1), text)
    text = RAW_LINK.sub(lambda m: m.group(0)[1:-1], text)
    numbers = set(source_numbers)

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]]({cite_link(answer_key, n)})" if n in numbers else m.group(0)

    return CITATION.sub(link, text)


def cite_link(answer_key: int, n: int) -> str:
    """The link target of citation `n` of answer `answer_key`."""
    return f"{CITE_SCHEME}:{answer_key}/{n}"


def parse_cite_link(scheme: str, path: str) -> tuple[int, int] | None:
    """(answer key, source number) of a cite link's scheme and path; None for any other link."""
    if scheme != CITE_SCHEME:
        return None
    key, _, n = path.partition("/")
    return (int(key), int(n)) if key.isdigit() and n.isdigit() else None


def clipboard_text(answer: str, sources) -> str:
    """What Copy answer copies: the answer, a blank line, then one "[n] file p.N" per source."""
    lines = [answer, ""] + [f"[{s.n}] {s.label()}" for s in sources]
    return "\n".join(lines).strip()


def export_file_name(title: str) -> str:
    """A file name for a chat exported to Markdown: letters, digits, spaces, '-' and '_' of its
    title (others become '_'), at most 60 characters, "chat" when nothing is left."""
    safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in title)[:60].strip() or "chat"
    return f"{safe}.md"
