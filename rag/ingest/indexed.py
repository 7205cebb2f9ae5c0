"""What a chunk is embedded as, and the key its vector is reused by: shared by the pipeline
that stores chunks and the vector worker that embeds them (also from stored rows)."""

from __future__ import annotations

import hashlib
import re

from rag.language import cjk_count, without_cjk, words_only

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


# A chunk that is mostly Chinese is embedded by an English-only embedder (the bundled MiniLM)
# as its Latin-script words alone: commands, identifiers, package names and English words are
# what such a model can read, and the CJK characters it splits one token each were 70% of a
# Chinese chunk's tokens. On the Debian corpus that is 14.5% fewer tokens to embed (693
# chunks: 109,919 -> 31,986 tokens), and QA hybrid hit@5 0.8625 -> 0.875, hit@1 0.6125 -> 0.60
# (README, "Retrieval"). BM25 and the stored text keep every character; a multilingual
# embedder (e5) reads the whole chunk.
CJK_SHARE = 0.3
_LATIN = re.compile(r"[A-Za-z0-9]")


def embedded_text(indexed: str, reads_chinese: bool) -> str:
    """What an embedder is given for a chunk's indexed text. A multilingual embedder reads it
    all. An English-only one reads a mostly-Chinese chunk by its Latin-script words (see
    CJK_SHARE), and every chunk by its words and numbers alone (`words_only`; questions are
    read the same way): punctuation and symbols were 26% of the bundled MiniLM's tokens on the
    Debian corpus, and leaving them out embedded the corpus in 0.78x the time with QA hybrid
    hit@5 0.875 -> 0.90, dense 0.55 -> 0.5625 (README, "Retrieval")."""
    if reads_chinese or not indexed:
        return indexed
    cjk = cjk_count(indexed)
    if cjk <= CJK_SHARE * len(indexed):
        return words_only(indexed)
    latin = without_cjk(indexed)
    # nothing left for the model to read (pure Chinese): the chunk as it is
    return words_only(latin if len(_LATIN.findall(latin)) >= 3 else indexed)


def text_hash(text: str) -> str:
    """The key under which a chunk's vector is reused: identical indexed text, one embedding."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()
