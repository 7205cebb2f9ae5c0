"""What a chunk is embedded as, and the key its vector is reused by: shared by the pipeline
that stores chunks and the vector worker that embeds them (also from stored rows)."""

from __future__ import annotations

import hashlib
import re

_LOCATION = re.compile(r'^(?:§[\d.]+(?: "(?P<title>.*)")?)?(?: ?¶\d+)?$')


def indexed_text(section: str, text: str) -> str:
    """The text a chunk is embedded as: its section's title (PDF outline, Markdown heading,
    DOCX/EPUB/HTML heading) on a line before it, which gives the chunk its topic. A location
    label of a sectioned document (`§3.2 "Installing" ¶4`) gives only its title: the section
    and paragraph numbers tell the embedder nothing and cost tokens (about 8 a chunk, 6% of
    the time to embed a DOCX rendering of a manual). A chunk that begins with its heading
    (the first of its section) already holds the title and gets no second copy."""
    if section:
        m = _LOCATION.match(section)
        if m:
            section = m.group("title") or ""
    if not section or " ".join(text[:len(section) + 40].split()).startswith(" ".join(section.split())):
        return text
    return f"{section}\n{text}"


def text_hash(text: str) -> str:
    """The key under which a chunk's vector is reused: identical indexed text, one embedding."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()
