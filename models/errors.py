"""Errors of the model layer. `models/` sits below `rag/` and never imports it, so the root of
RAG Desk's one error tree lives here; `rag.errors` re-exports these and writes the whole tree
out in its docstring."""

from __future__ import annotations


class RagError(Exception):
    """Base class of every error meant for the user: `str(err)` is a complete sentence they can act on."""


class ModelError(RagError):
    """A model that cannot be found, read, loaded or downloaded."""


class DownloadCancelled(ModelError):
    """The user stopped a model download; the partial file is kept for a resumed pull."""
