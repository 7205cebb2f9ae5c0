"""Local text generation with llama.cpp, owned by exactly one thread.

`LlamaGenerator` keeps its `llama_cpp.Llama` on a private worker thread; every call
(tokenize, generate) is queued to it. Tokens come back through a queue as they are
produced; a cancel event is checked before every token, so stop takes effect within one.
Instruct GGUFs use their own chat template; base models (like the bundled Gemma 3 270M)
get the completion-style prompt and stop strings.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

from rag.errors import GenerationError, ModelError
from rag.llm.base import STOP_STRINGS, BuiltPrompt, Generator
from models.locate import resolve_llm

_DONE = object()


_QUIET_LOG = None
_LOAD_LOCK = threading.Lock()


class _quiet_python_prints:
    """Drop the print() calls of llama_cpp.llama while a model loads (its verbose notes:
    system info, metadata, chat formats), without touching stdout or stderr themselves."""

    def __enter__(self):
        import llama_cpp.llama as module

        self.module = module
        module.print = lambda *args, **kwargs: None
        return self

    def __exit__(self, *exc) -> None:
        self.module.__dict__.pop("print", None)


def _silence_llama_log() -> None:
    """llama.cpp prints load-time notes to stderr even with verbose=False; keep stderr for us."""
    global _QUIET_LOG
    if _QUIET_LOG is not None or os.environ.get("RAG_DEBUG_LLAMA"):
        return
    import ctypes

    import llama_cpp

    @llama_cpp.llama_log_callback
    def quiet(level, text, user_data):  # noqa: ARG001
        return None

    _QUIET_LOG = quiet  # keep the C callback alive
    llama_cpp.llama_log_set(quiet, ctypes.c_void_p(0))


def load_llama(model_path: Path, context: int, gpu_layers: str = "auto", threads: int = 0,
               memory_limit_mb: int = 0, purpose: str = "", planned_batch_threads: bool = False, **options):
    """(llama_cpp.Llama, its LoadPlan). The GGUF header is read first, so a model that will
    not fit is refused before llama.cpp maps it; the plan's warnings are logged. `purpose`
    (e.g. " for reranking") goes into messages; `planned_batch_threads` reads prompts with the
    planned threads too (else llama-cpp-python's default, every logical CPU); `options` go to
    Llama as they are."""
    from models.hardware import plan_for_file

    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise ModelError(f"llama-cpp-python is not installed or failed to load ({exc})") from None
    _silence_llama_log()
    plan = plan_for_file(model_path, context, gpu_layers, threads, memory_limit_mb)
    for warning in plan.warnings:
        logging.getLogger("rag.llm.llama").warning("warning%s: %s", purpose, warning)
    if planned_batch_threads:
        options["n_threads_batch"] = plan.threads
    try:
        with _LOAD_LOCK, _quiet_python_prints():
            # verbose=False would make llama-cpp-python point the process's stdout and stderr
            # (the file descriptors) at /dev/null while it loads: the CLI's answer, already
            # streaming on another thread (the evidence quote comes before the model is
            # loaded), vanished. llama.cpp's own log is silenced by _silence_llama_log; the
            # Python side's verbose prints are dropped here, and verbose is off after loading.
            llm = Llama(model_path=str(model_path), n_ctx=context, n_threads=plan.threads,
                        n_gpu_layers=plan.gpu_layers, verbose=True, **options)
        llm.verbose = False
    except Exception as exc:
        raise ModelError(
            f"llama.cpp could not load {Path(model_path).name}{purpose} ({exc}); the file may be corrupt, "
            "too large for memory, or need a newer llama-cpp-python"
        ) from None
    return llm, plan


class LlamaGenerator:
    # Each completion call without a seed draws a new one from the last (llama-cpp-python), so
    # asking the same prompt again can give another answer.
    samples_anew = True

    def __init__(self, model_path: Path, *, context_size: int = 4096, threads: int = 0,
                 gpu_layers: str = "auto", seed: int = 0, memory_limit_mb: int = 0):
        self.model_path = Path(model_path)
        self._memory_limit_mb = memory_limit_mb
        self.plan = None  # models.hardware.LoadPlan, once loaded
        self.name = self.model_path.stem
        self.context_size = context_size
        self._threads = threads
        self._gpu_layers = gpu_layers
        self._seed = seed
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._llm: Any = None
        self.device = "CPU"
        self.has_chat_template = False
        self.prefix_evaluations = 0  # times a prompt prefix was evaluated ahead of its prompt

    def check(self) -> None:
        """Refuse (ModelError) a model that cannot load, from its header alone (milliseconds):
        an answer that streams its quote before the model is loaded must not then fail."""
        if self._llm is not None or getattr(self, "_checked", False):
            return
        from models.hardware import plan_for_file

        plan_for_file(self.model_path, self.context_size, self._gpu_layers, self._threads, self._memory_limit_mb)
        self._checked = True

    @property
    def instruct(self) -> bool:
        """Whether the model has its own chat template (an instruct model), from the GGUF
        header: known before the model is loaded."""
        if self._llm is not None:
            return self.has_chat_template
        from models.gguf import gguf_info

        try:
            return gguf_info(self.model_path).has_chat_template
        except Exception:
            return False

    # ---- the owning thread ------------------------------------------------------------

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="llama-owner", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                break
            fn, reply = job
            try:
                if self._llm is None:
                    self._llm = self._load()
                reply(fn(self._llm), None)
            except BaseException as exc:  # delivered to the caller's thread
                reply(None, exc)
        self._llm = None

    def _load(self):
        llm, plan = load_llama(self.model_path, self.context_size, self._gpu_layers, self._threads,
                               self._memory_limit_mb, seed=self._seed)
        self.plan = plan
        self.device = plan.device
        self.has_chat_template = bool(llm.metadata.get("tokenizer.chat_template"))
        return llm

    def call(self, fn: Callable[[Any], Any]) -> Any:
        """Run fn(llm) on the owning thread and return its result."""
        self._ensure_thread()
        box: queue.Queue = queue.Queue(maxsize=1)
        self._jobs.put((fn, lambda result, exc: box.put((result, exc))))
        result, exc = box.get()
        if exc is not None:
            raise exc
        return result

    def load(self) -> None:
        self.call(lambda llm: None)

    def preload(self, prefix: str | None = None) -> None:
        """Start loading on the owning thread without waiting (overlaps with retrieval), then
        evaluate `prefix`, the fixed start of the coming completion prompt, so that the answer
        pays only for the sources and the question. A load error surfaces on the next real
        call, which tries again."""
        self._ensure_thread()
        job = (lambda llm: self._warm_prefix(llm, prefix)) if prefix else (lambda llm: None)
        self._jobs.put((job, lambda result, exc: None))

    def _warm_prefix(self, llm, prefix: str) -> None:
        """Put `prefix` in the KV cache unless it is there already (a warm process keeps it from
        the last answer). llama-cpp-python's generate() matches the longest common token prefix
        with the cache and evaluates only the rest. Chat-template models format their own
        prompt; they get the same reuse between consecutive answers, not this head start."""
        if self.has_chat_template:
            return
        tokens = llm.tokenize(prefix.encode("utf-8"), special=True)
        if llm.n_tokens >= len(tokens) and list(llm._input_ids[: len(tokens)]) == tokens:
            return
        llm.reset()
        llm.eval(tokens)
        self.prefix_evaluations += 1

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    # ---- public API -------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        return self.call(lambda llm: len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)))

    def stream(self, prompt: BuiltPrompt, max_tokens: int, temperature: float,
               cancel: threading.Event) -> Iterator[str]:
        self._ensure_thread()
        out: queue.Queue = queue.Queue()

        def produce(llm) -> None:
            if self.has_chat_template:
                messages = [{"role": "system", "content": prompt.system}, {"role": "user", "content": prompt.user}]
                stream = llm.create_chat_completion(messages, max_tokens=max_tokens, temperature=temperature,
                                                    stream=True)
                pick = lambda part: part["choices"][0]["delta"].get("content") or ""  # noqa: E731
            else:
                stream = llm.create_completion(prompt.completion, max_tokens=max_tokens, temperature=temperature,
                                               stop=STOP_STRINGS, repeat_penalty=1.15, stream=True)
                pick = lambda part: part["choices"][0]["text"]  # noqa: E731
            try:
                for part in stream:
                    if cancel.is_set():
                        break
                    text = pick(part)
                    if text:
                        out.put(text)
            finally:
                close = getattr(stream, "close", None)
                if close:
                    close()

        def reply(_result, exc) -> None:
            out.put(exc if exc is not None else _DONE)

        self._jobs.put((produce, reply))
        finished = False
        try:
            while True:
                item = out.get()
                if item is _DONE:
                    finished = True
                    return
                if isinstance(item, BaseException):
                    finished = True
                    if isinstance(item, (ModelError, GenerationError)):
                        raise item
                    raise GenerationError(f"generation failed: {item}") from item
                yield item
        finally:
            if not finished:  # the consumer stopped early: make the producer stop too
                cancel.set()


def check_llm(settings, models_dir: Path) -> Path | None:
    """Raise ModelError when the configured local LLM cannot load, without loading it: the file
    exists, is a complete GGUF, and fits in memory (the same refusal as at load time). Reads only
    the GGUF header. An OpenAI-compatible server is not contacted here (nothing leaves the machine
    at start): its errors show on first use."""
    if settings.llm_backend != "llama":
        return None
    from models.hardware import plan_for_file

    path = resolve_llm(settings.llm_model, models_dir)
    plan_for_file(path, settings.context_size, settings.gpu_layers, settings.threads, settings.memory_limit_mb)
    return path


def make_generator(settings, models_dir: Path) -> Generator:
    """The generation backend the settings ask for: in-process llama.cpp (default) or an
    OpenAI-compatible HTTP server."""
    if settings.llm_backend == "openai":
        from rag.llm.openai import OpenAIGenerator

        return OpenAIGenerator(settings.llm_url, api_key=settings.llm_api_key, model=settings.llm_server_model,
                               api=settings.llm_api, context_size=settings.context_size,
                               timeout_s=settings.llm_timeout_s, seed=settings.seed)
    path = resolve_llm(settings.llm_model, models_dir)
    return LlamaGenerator(path, context_size=settings.context_size, threads=settings.threads,
                          gpu_layers=settings.gpu_layers, seed=settings.seed,
                          memory_limit_mb=settings.memory_limit_mb)
