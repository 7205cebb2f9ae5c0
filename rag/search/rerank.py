"""Optional second-stage ranking over the top fused candidates. Two kinds:

- a cross-encoder (a local sentence-transformers CrossEncoder folder): it reads question
  and passage together; its scores replace the first-stage order;
- the local LLM, by query likelihood (`reranker = "llm"`, or a path to another .gguf): for
  each candidate the model reads the passage and then the question, and the candidate's
  score is the log-probability of the question's tokens after the passage, i.e. how well
  the passage "explains" the question. No reranking model is needed, and a multilingual
  LLM (the bundled Gemma 3 is one) also links an English question to a Chinese passage,
  which the bundled English embedder cannot. A small base model is a weak judge on its
  own, so its order is fused with the first-stage order by reciprocal rank fusion with
  equal weights, like dense and BM25 are fused in hybrid search.

Both are off by default: on a 2-core CPU either costs seconds per question (the bench
measures it), far more than retrieval itself."""

from __future__ import annotations

import math
import os
import threading
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Sequence

from rag.errors import ModelError
from rag.search.hits import Hit

LLM_RERANKER = "llm"
PASSAGE_PROMPT = "Passage:\n{passage}\n\nA question that this passage answers:"
QUESTION_TEXT = " {question}"
MAX_QUESTION_TOKENS = 128


class CrossEncoderReranker:
    def __init__(self, model_dir: str | Path, candidates: int = 20):
        self.model_dir = Path(model_dir).expanduser()
        if not (self.model_dir / "config.json").exists():
            raise ModelError(f"reranker {self.model_dir} is not a local cross-encoder folder (no config.json); "
                             f"set reranker to such a folder, to a .gguf file, or to \"{LLM_RERANKER}\"")
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

    def rerank(self, query: str, hits: Sequence[Hit], cancel: threading.Event | None = None) -> list[Hit]:
        head, tail = list(hits[: self.candidates]), list(hits[self.candidates :])
        if not head:
            return []
        with self._lock:
            scores = self.model.predict([(query, h.chunk.text) for h in head], show_progress_bar=False)
        ranked = sorted(zip(head, scores), key=lambda pair: float(pair[1]), reverse=True)
        return [replace(h, score=float(s)) for h, s in ranked] + tail


class LlmReranker:
    """Query-likelihood reranking with a GGUF model run by llama.cpp (its own context, so
    the answering model's cached prompt is left alone; on a CPU the weights are mapped
    once and shared between the two)."""

    def __init__(self, model_path: str | Path, candidates: int = 20, rrf_k: int = 60, threads: int = 0,
                 gpu_layers: str = "auto", memory_limit_mb: int = 0, context: int = 1024):
        self.model_path = Path(model_path)
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.context = context
        self._threads, self._gpu_layers, self._memory_limit_mb = threads, gpu_layers, memory_limit_mb
        self._lock = threading.Lock()

    @cached_property
    def model(self):
        from rag.llm.llama import load_llama

        llm, _plan = load_llama(self.model_path, self.context, self._gpu_layers, self._threads,
                                self._memory_limit_mb, " for reranking", planned_batch_threads=True,
                                n_batch=self.context, n_ubatch=min(512, self.context))
        return llm

    def _tokens(self, text: str, bos: bool) -> list[int]:
        return self.model.tokenize(text.encode("utf-8"), add_bos=bos, special=False)

    def likelihoods(self, question: str, passages: Sequence[str],
                    cancel: threading.Event | None = None) -> list[float] | None:
        """log P(question | passage) for each passage, summed over the question's tokens;
        None when `cancel` was set before the last passage was read."""
        import llama_cpp
        import numpy as np

        with self._lock:
            llm = self.model
            llm.n_tokens = 0  # the context is driven below the high-level API: its cached prompt is void
            ctx, batch, vocab = llm._ctx.ctx, llm._batch.batch, llm.n_vocab()
            asked = self._tokens(QUESTION_TEXT.format(question=" ".join(question.split())), False)
            asked = asked[:MAX_QUESTION_TOKENS]
            room = self.context - len(asked)
            scores = []
            for passage in passages:
                if cancel is not None and cancel.is_set():
                    return None
                given = self._tokens(PASSAGE_PROMPT.format(passage=passage.strip()), True)
                if len(given) > room:  # keep the prompt's ending next to the question
                    tail = self._tokens(PASSAGE_PROMPT.split("{passage}")[1], False)
                    given = given[: room - len(tail)] + tail
                tokens = given + asked
                first = len(given) - 1  # the logits here predict the question's first token
                llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
                batch.n_tokens = len(tokens)
                for i, token in enumerate(tokens):
                    batch.token[i] = token
                    batch.pos[i] = i
                    batch.seq_id[i][0] = 0
                    batch.n_seq_id[i] = 1
                    batch.logits[i] = first <= i < len(tokens) - 1
                if llama_cpp.llama_decode(ctx, batch) != 0:
                    raise ModelError(f"llama.cpp failed to read a passage for reranking ({self.model_path.name})")
                total = 0.0
                for j, token in enumerate(asked):
                    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, first + j), shape=(vocab,))
                    top = float(logits.max())
                    total += float(logits[token]) - top - math.log(float(np.exp(logits - top).sum()))
                scores.append(total)
            return scores

    def rerank(self, query: str, hits: Sequence[Hit], cancel: threading.Event | None = None) -> list[Hit]:
        """Stopped midway by `cancel`, it returns the first-stage order unchanged."""
        head, tail = list(hits[: self.candidates]), list(hits[self.candidates :])
        if not head:
            return []
        scores = self.likelihoods(query, [h.chunk.text for h in head], cancel)
        if scores is None:
            return list(hits)
        by_model = sorted(range(len(head)), key=lambda i: scores[i], reverse=True)
        model_rank = {i: rank for rank, i in enumerate(by_model, start=1)}
        fused = [1 / (self.rrf_k + i + 1) + 1 / (self.rrf_k + model_rank[i]) for i in range(len(head))]
        order = sorted(range(len(head)), key=lambda i: fused[i], reverse=True)  # ties keep the first-stage order
        out = [replace(head[i], score=fused[i], ranks={**head[i].ranks, "llm": model_rank[i]}) for i in order]
        # Past the candidates only the first-stage vote counts, so scores keep falling.
        return out + [replace(h, score=1 / (self.rrf_k + len(head) + n)) for n, h in enumerate(tail, start=1)]

    def close(self) -> None:
        """Free the model (after a search that is using it)."""
        with self._lock:
            model = self.__dict__.pop("model", None)
            if model is not None:
                model.close()


def _is_llm(setting: str) -> bool:
    return setting.strip().lower() == LLM_RERANKER


def reranker_problem(settings) -> str | None:
    """What is wrong with the reranker setting, found without loading anything (the
    settings dialog refuses it), or None."""
    setting = settings.reranker.strip()
    if not setting:
        return None
    if _is_llm(setting):
        if settings.llm_backend != "llama":
            return ("re-ranking with the local LLM needs the answers to come from this computer (llama.cpp); "
                    "set the reranker to a .gguf file instead")
        return None
    path = Path(setting).expanduser()
    if setting.lower().endswith(".gguf"):
        return None if path.is_file() else f"reranker {path}: no such .gguf file"
    if not (path / "config.json").is_file():
        return f"reranker {path} is not a cross-encoder model folder (no config.json)"
    return None


def make_reranker(setting: str, settings, models_dir: Path):
    """The reranker a setting names: "llm" (the configured local LLM), a .gguf file, or a
    cross-encoder folder."""
    from rag.errors import SettingsError
    from models.locate import resolve_llm

    common = dict(candidates=settings.rerank_candidates, rrf_k=settings.rrf_k, threads=settings.threads,
                  gpu_layers=settings.gpu_layers, memory_limit_mb=settings.memory_limit_mb)
    if _is_llm(setting):
        if settings.llm_backend != "llama":
            raise SettingsError("re-ranking with the local LLM needs llm_backend = llama: the answering model "
                                "runs on a server; set reranker to a .gguf file")
        return LlmReranker(resolve_llm(settings.llm_model, models_dir), **common)
    if setting.lower().endswith(".gguf"):
        path = Path(setting).expanduser()
        if not path.is_file():
            raise ModelError(f"reranker {path} does not exist; set reranker to a .gguf file, a cross-encoder "
                             f"folder or \"{LLM_RERANKER}\"")
        return LlmReranker(path, **common)
    return CrossEncoderReranker(setting, settings.rerank_candidates)
