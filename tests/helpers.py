"""Shared test helpers: fakes that tests in several folders use."""

from __future__ import annotations

import time


class ScriptedGenerator:
    """A fake LLM that yields scripted pieces with a delay, honouring cancel per token."""

    name = "scripted"
    context_size = 4096

    def __init__(self, pieces, delay=0.01):
        self.pieces = pieces
        self.delay = delay
        self.prompts = []

    def count_tokens(self, text):
        return len(text.split())

    def stream(self, prompt, max_tokens, temperature, cancel):
        self.prompts.append(prompt)
        for piece in self.pieces[:max_tokens]:
            if cancel.is_set():
                return
            time.sleep(self.delay)
            yield piece
