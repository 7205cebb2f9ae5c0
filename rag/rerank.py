"""Optional second-stage ranking with a cross-encoder (a local sentence-transformers
CrossEncoder folder): it reads question and passage together, which is slower than the
first stage but often sharper. Off by default: on a 2-core CPU it costs far more per
question than retrieval itself, and no cross-encoder ships with RAG Desk."""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Sequence

from .errors import ModelError
from .retrieval import Hit


class CrossEncoderReranker:
    def __init__(self, model_dir: str | Path, candidates: int = 20):
        self.model_dir = Path(model_dir).expanduser()
        if not (self.model_dir / "config.json").exists():
            raise ModelError(f"reranker {self.model_dir} is not a local cross-encoder folder (no config.json)")
        self.candidates = candidates
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import CrossEncoder

            return CrossEncoder(str(self.model_dir), device="cpu")
        except Exception as exc:
            raise ModelError(f"could not load reranker from {self.model_dir}: {exc}") from None

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        head, tail = list(hits[: self.candidates]), list(hits[self.candidates :])
        if not head:
            return []
        with self._lock:
            scores = self.model.predict([(query, h.chunk.text) for h in head], show_progress_bar=False)
        ranked = sorted(zip(head, scores), key=lambda pair: float(pair[1]), reverse=True)
        return [replace(h, score=float(s)) for h, s in ranked] + tail
