"""What every text generator takes and how it is called: a built prompt (a system message and
a user message for chat templates, one completion string for base models, with the sources
that made it in), and the stop strings of the completion format."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterator, Protocol

from rag.events import Source

# Completion-style prompts (base models without a chat template) end at these.
STOP_STRINGS = ["\nQuestion:", "\n问题：", "\nSources:", "\nSource [", "<end_of_turn>", "<eos>", "\n\n\n"]


@dataclass(frozen=True)
class BuiltPrompt:
    system: str
    user: str  # sources + question, for chat templates
    completion: str  # one string, for base models
    sources: tuple[Source, ...]  # the sources that made it in, renumbered 1..n
    dropped: int


class Generator(Protocol):
    name: str
    context_size: int

    def count_tokens(self, text: str) -> int: ...

    def stream(self, prompt: BuiltPrompt, max_tokens: int, temperature: float,
               cancel: threading.Event) -> Iterator[str]: ...
