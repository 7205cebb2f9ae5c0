"""Run a mean-pooled sentence-transformers encoder with ONNX Runtime.

The ONNX graph is exported once from the model folder (torch is needed for that step
only), written through a temp file and an atomic rename, and reused while the source
weights are unchanged (size + mtime recorded beside it).
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.errors import ModelError


def _weights(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).exists():
            return model_dir / name
    raise ModelError(f"{model_dir} holds no model weights (model.safetensors)")


def onnx_path(model_dir: Path, cache_dir: Path) -> Path:
    shipped = model_dir / "onnx" / "model.onnx"  # exported ahead of time (the packaged app ships one)
    if shipped.exists():
        return shipped
    weights = _weights(model_dir)
    st = weights.stat()
    key = hashlib.sha1(f"{model_dir.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    return cache_dir / "onnx" / f"{model_dir.name}-{key}" / "model.onnx"


def export(model_dir: Path, target: Path) -> Path:
    """Export in a child process: torch and the traced model (some 400 MB here) go with it, so
    a first launch that goes on to ingest a large file peaks no higher than a later launch."""
    import subprocess
    import sys

    if getattr(sys, "frozen", False):  # a packaged app: no interpreter to start (it ships its graph anyway)
        return _export_here(model_dir, target)
    code = "import sys; from pathlib import Path; from rag.embed.runtimes import _export_here; " \
           "_export_here(Path(sys.argv[1]), Path(sys.argv[2]))"
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", code, str(model_dir), str(target)], env=env,
                          capture_output=True, text=True)
    if proc.returncode != 0 or not target.exists():
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        raise ModelError(last.split("ModelError: ", 1)[1] if "ModelError: " in last else
                         f"could not export {model_dir.name} to ONNX ({last[:300]}); free some memory and try "
                         "again, or set embedding_backend = 'torch'")
    return target


def _export_here(model_dir: Path, target: Path) -> Path:
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError(f"exporting the embedder to ONNX needs torch and transformers ({exc})") from None

    class Encoder(torch.nn.Module):
        def __init__(self, base):
            super().__init__()
            self.base = base

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.base(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    import warnings

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    base = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".model.{os.getpid()}.onnx")
    ids = torch.ones(1, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(base), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(tmp),
                input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["hidden"],
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes, "hidden": axes},
                opset_version=17, dynamo=False,
            )
        os.replace(tmp, target)
    except Exception as exc:
        raise ModelError(f"could not export {model_dir.name} to ONNX ({exc}); set embedding_backend = 'torch'") from None
    finally:
        tmp.unlink(missing_ok=True)
    (target.parent / "source.json").write_text(json.dumps({"model_dir": str(model_dir)}))
    return target


def import_openvino():
    """`import openvino` without its usage telemetry. Importing openvino starts Intel's
    `openvino_telemetry`, which is on unless a consent file under ~/intel says no: it writes
    files there and forks a process that posts to Google Analytics. Nothing may leave the
    machine, so `openvino_telemetry` is marked unimportable first and openvino falls back to
    its own do-nothing stand-in."""
    import sys

    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
    import openvino

    return openvino


class OnnxEncoder:
    """The exported graph on ONNX Runtime (`engine="onnx"`) or OpenVINO (`engine="openvino"`,
    the same fp32 graph compiled by OpenVINO's CPU plugin: same vectors, faster on AVX2 CPUs)."""

    _streams = 1  # OpenVINO infer requests run side by side (set when it compiles the graph)
    _queue = None  # their AsyncInferQueue, when there is more than one
    _lanes = 1  # ONNX Runtime sessions side by side (set when it loads the graph)

    def __init__(self, model_dir: Path, cache_dir: Path, max_length: int, engine: str = "onnx",
                 graph: Path | None = None):
        from tokenizers import Tokenizer

        from models.hardware import physical_cores

        path = graph or onnx_path(model_dir, cache_dir)  # `graph`: another graph of the model (int8)
        if not path.exists():
            export(model_dir, path)
        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.enable_truncation(max_length)
        self._tok.no_padding()
        if engine == "openvino":
            # compiled graphs are cached under RAG_HOME (a shipped model.onnx may lie in a read-only folder)
            self._load_openvino(path, physical_cores(), Path(cache_dir) / "openvino-cache")
            return
        cores = physical_cores()
        session = _ort_session(path, cores)
        self._inputs = {i.name for i in session.get_inputs()}
        self._run = lambda feed: session.run(None, feed)[0]
        self._path = path
        self._lanes = min(cores, MAX_LANES)  # several batches: see _run_in_lanes
        self._lane_threads = max(1, cores // self._lanes)

    def _load_openvino(self, path: Path, threads: int, cache: Path) -> None:
        try:
            ov = import_openvino()
        except ImportError:
            raise ModelError("embedding_backend = 'openvino' needs the openvino package "
                             "(pip install 'rag-desk[openvino]'); or use onnx") from None
        # CACHE_DIR keeps the compiled graph: later processes load it instead of compiling again.
        # THROUGHPUT runs batches side by side, each on its own stream (on 2 cores: 2 streams of
        # 1 thread), instead of every batch on all threads. The 451 chunks of the bench's
        # 100-page manual embedded in 2.79-2.95 s this way, 2.97-3.29 s with LATENCY.
        # INFERENCE_PRECISION_HINT: OpenVINO runs f32 graphs in bf16 by default on CPUs with
        # AVX-512 BF16 (Zen 4, Xeon 4th gen); the vectors must be the same on every machine.
        compiled = ov.Core().compile_model(str(path), "CPU", {"PERFORMANCE_HINT": "THROUGHPUT",
                                                              "INFERENCE_NUM_THREADS": threads,
                                                              "INFERENCE_PRECISION_HINT": "f32",
                                                              "CACHE_DIR": str(cache)})
        self._inputs = {name for port in compiled.inputs for name in port.get_names()}
        request = compiled.create_infer_request()
        output = compiled.output(0)
        self._run = lambda feed: request.infer(feed)[output]
        self._streams = max(1, int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
        if self._streams > 1:
            self._queue = ov.AsyncInferQueue(compiled, self._streams)

    def encode(self, texts: list[str], batch_size: int = 32, check=None, done=None) -> np.ndarray:
        """Normalised mean-pooled vectors. Texts are tokenised once and run in batches of
        similar token length (little padding); `check()` is called before every batch and may
        raise to stop early (cancel); `done(indices)`, on this thread, with the indices of the
        texts of each finished batch (progress). With several OpenVINO streams, batches run
        side by side, and a text count below streams x batch_size is split so that every
        stream has work."""
        encodings = self._tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # little padding per batch
        side = self._streams if self._queue is not None else self._lanes
        if side > 1:
            batch_size = max(1, min(batch_size, -(-len(texts) // side)))
        batches = []
        for idx in _batches(order, [len(e.ids) for e in encodings], batch_size, BATCH_TOKENS):
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            batches.append((idx, mask, feed))
        pooled: dict[int, np.ndarray] = {}
        if len(batches) > 1 and self._queue is None and self._lanes > 1:
            self._run_in_lanes(batches, pooled, check, done)
        elif self._queue is None or len(batches) == 1:
            for n, (idx, mask, feed) in enumerate(batches):
                if check is not None:
                    check()
                pooled[n] = _pool(self._run(feed), mask)
                if done is not None:
                    done(idx)
        else:
            self._run_side_by_side(batches, pooled, check, done)
        if not pooled:
            return np.zeros((0, 0), dtype=np.float32)
        result = np.zeros((len(texts), next(iter(pooled.values())).shape[1]), dtype=np.float32)
        for n, (idx, _, _) in enumerate(batches):
            result[idx] = pooled[n]
        return result

    def _run_side_by_side(self, batches, pooled: dict, check, done=None) -> None:
        failed: list[BaseException] = []
        finished: list[int] = []  # batches whose vectors are pooled, in the order they ended

        def pooled_one(request, n):
            try:
                pooled[n] = _pool(request.get_output_tensor(0).data, batches[n][1])
                finished.append(n)
            except BaseException as exc:  # raised on the caller's thread below
                failed.append(exc)

        reported = 0

        def report():  # on the caller's thread: start_async waits for a free stream, so this keeps pace
            nonlocal reported
            while done is not None and reported < len(finished):
                done(batches[finished[reported]][0])
                reported += 1

        requests = self._queue  # (not the queue module)
        requests.set_callback(pooled_one)
        try:
            for n, (_, _, feed) in enumerate(batches):
                if check is not None:
                    check()
                requests.start_async(feed, n)
                report()
        finally:
            requests.wait_all()  # nothing runs on after a cancel or an error
        if failed:
            raise failed[0]
        report()

    @cached_property
    def _lane_runs(self) -> list:
        """One ONNX Runtime session per lane, made on the first call with several batches (a
        process that only embeds questions never holds them)."""
        sessions = [_ort_session(self._path, self._lane_threads) for _ in range(self._lanes)]
        return [lambda feed, s=s: s.run(None, feed)[0] for s in sessions]

    def _run_in_lanes(self, batches, pooled: dict, check, done=None) -> None:
        """ONNX Runtime's counterpart of OpenVINO's streams: a session per lane, each on its own
        thread with cores / lanes intra-op threads, taking the next batch when it is free. One
        session on all cores synchronises its threads at every operator; held to AVX2 on two
        cores, two sessions of one thread embed 240 real chunks at 68 chunks/s where one of two
        threads gives 53 (int8 graph: 101 vs 91). `check()` runs before every batch, on the lane
        that takes it; an error or a cancel stops the lanes after their current batch and is
        raised here. `done(indices)` is called on this thread as batches finish."""
        runs = self._lane_runs
        upcoming = iter(range(len(batches)))
        take = threading.Lock()
        stop = threading.Event()
        results: queue.SimpleQueue = queue.SimpleQueue()

        def lane(run) -> None:
            try:
                while not stop.is_set():
                    with take:
                        n = next(upcoming, None)
                    if n is None:
                        break
                    if check is not None:
                        check()
                    pooled[n] = _pool(run(batches[n][2]), batches[n][1])
                    results.put(n)
            except BaseException as exc:  # raised on the caller's thread below
                stop.set()
                results.put(exc)
            finally:
                results.put(None)

        lanes = [threading.Thread(target=lane, args=(run,), name=f"rag-embed-lane-{i}", daemon=True)
                 for i, run in enumerate(runs)]
        for t in lanes:
            t.start()
        failed: BaseException | None = None
        running = len(lanes)
        while running:
            item = results.get()
            if item is None:
                running -= 1
            elif isinstance(item, BaseException):
                failed = failed or item
            elif done is not None and failed is None:
                try:
                    done(batches[item][0])
                except BaseException as exc:
                    stop.set()
                    failed = exc
        for t in lanes:
            t.join()
        if failed is not None:
            raise failed


MAX_LANES = 4  # sessions side by side at most: each holds its own copy of the weights


def _ort_session(path: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # idle workers sleep instead of spinning: a question is embedded while SQLite ranks its
    # BM25 matches on another thread, which spinning threads would starve of a core
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


# Rows x padded width of one batch at most. The runtimes keep the buffers of the largest batch
# they have run: 32 chunks of ~300 tokens on OpenVINO's two streams took the process to 1.54 GB
# RSS; at 2,048 tokens a batch it stays at 0.59 GB (4,096: 0.91 GB), and 64 or 128 such chunks
# embed in the same time (2.3 s / 4.5 s here), since a batch of long texts is compute-bound.
BATCH_TOKENS = 2048


def _batches(order: list[int], lengths: list[int], batch_size: int, tokens: int):
    """`order` (sorted by length) cut into batches of at most `batch_size` texts and at most
    `tokens` padded tokens (a single text longer than that is a batch of its own)."""
    batch: list[int] = []
    for i in order:
        if batch and (len(batch) >= batch_size or (len(batch) + 1) * max(lengths[i], 1) > tokens):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the real tokens, then unit length."""
    pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
