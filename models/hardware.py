"""What this machine can run: CPU threads, and whether llama.cpp can offload to a GPU."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=1)
def physical_cores() -> int:
    """Physical cores on Linux (unique core ids), else the logical count."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cores = set()
            phys = core = None
            for line in f:
                if line.startswith("physical id"):
                    phys = line.split(":")[1].strip()
                elif line.startswith("core id"):
                    core = line.split(":")[1].strip()
                elif not line.strip():
                    if core is not None:
                        cores.add((phys, core))
                    phys = core = None
            if core is not None:
                cores.add((phys, core))
        if cores:
            return max(1, len(cores))
    except OSError:
        pass
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class LlamaHardware:
    gpu_offload: bool
    device: str  # "CUDA" | "Metal" | "CPU" | "GPU"


def llama_hardware() -> LlamaHardware:
    """Ask llama.cpp itself whether this build can offload layers (imports llama_cpp)."""
    import llama_cpp

    try:
        offload = bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        offload = False
    if not offload:
        return LlamaHardware(False, "CPU")
    if platform.system() == "Darwin":
        return LlamaHardware(True, "Metal")
    return LlamaHardware(True, "CUDA")


def resolve_gpu_layers(setting: str, hw: LlamaHardware) -> int:
    if setting == "auto":
        return -1 if hw.gpu_offload else 0
    if setting == "all":
        return -1
    return int(setting)


def resolve_threads(setting: int) -> int:
    return setting if setting > 0 else physical_cores()


def torch_device(setting: str) -> str:
    """Embedder device; imports torch, so call only when loading the embedder."""
    if setting != "auto":
        return setting
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


# ---- memory: what a model needs, what the machine has ---------------------------------------

GiB = 1 << 30
MiB = 1 << 20
COMPUTE_OVERHEAD = 64 * MiB  # llama.cpp's scratch/compute buffers beyond weights and KV cache
WARN_SHARE = 0.8  # warn when a model would take more than this share of the memory it gets


def available_memory() -> int | None:
    """Bytes the OS says a new allocation can get without swapping (None if unknown)."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:  # macOS and other POSIX: free + inactive is not exposed portably; total is the best bound
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def cuda_free_memory() -> int | None:
    """Free memory of the first CUDA GPU via nvidia-smi (no torch import); None if unknown."""
    import shutil
    import subprocess

    exe = shutil.which("nvidia-smi")
    if not exe:
        return None
    try:
        out = subprocess.run([exe, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5).stdout
        return int(out.split()[0]) * MiB
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    kv_cache: int
    overhead: int
    context: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.overhead

    def describe(self) -> str:
        return (f"about {self.total / GiB:.2f} GiB (weights {self.weights / GiB:.2f} GiB + KV cache "
                f"{self.kv_cache / GiB:.2f} GiB for a {self.context}-token context + "
                f"{self.overhead / GiB:.2f} GiB buffers)")


def estimate_llm_memory(info, context: int) -> MemoryEstimate:
    """Weights (the GGUF's size: llama.cpp maps them whole) + f16 KV cache for `context`
    tokens + compute buffers. Measured on the bundled Gemma 3 270M: 371 MB RSS at 4096
    context (estimate 389 MB), 843 MB at 32768 (estimate 893 MB)."""
    weights = int(info.file_bytes)
    return MemoryEstimate(weights, info.kv_bytes_per_token() * context,
                          COMPUTE_OVERHEAD + weights // 20, context)


@dataclass(frozen=True)
class LoadPlan:
    gpu_layers: int  # for llama_cpp.Llama(n_gpu_layers=...): -1 all, 0 none
    threads: int
    device: str
    estimate: MemoryEstimate
    budget: int | None  # bytes the host side may use (memory_limit_mb or what the OS says is free)
    warnings: tuple[str, ...]


def plan_llm_load(info, context: int, gpu_setting: str = "auto", threads_setting: int = 0,
                  memory_limit_mb: int = 0, hw: LlamaHardware | None = None,
                  gpu_free: int | None = None) -> LoadPlan:
    """Choose n_gpu_layers and threads, and refuse (ModelError) a model that will not fit.

    On a GPU build, layers go to the GPU; if the GPU reports less free memory than the
    model needs, only as many layers as fit are offloaded and the rest stay in RAM. What
    stays on the host side (all of it on a CPU build) must fit `memory_limit_mb` when set,
    else the memory the OS reports as available."""
    from models.errors import ModelError

    hw = hw or LlamaHardware(False, "CPU")
    est = estimate_llm_memory(info, context)
    layers = resolve_gpu_layers(gpu_setting, hw) if hw.gpu_offload else 0
    warnings: list[str] = []
    per_layer = max(1, est.weights // max(1, info.layers))
    host = est.total
    if layers != 0:
        wanted = info.layers if layers < 0 else min(layers, info.layers)
        if hw.device == "CUDA":
            if gpu_free is None:
                gpu_free = cuda_free_memory()
            if gpu_free is not None:
                fixed = est.kv_cache + est.overhead
                fits = max(0, int((gpu_free * 0.95 - fixed) // per_layer))
                if fits < wanted:
                    warnings.append(f"the GPU has {gpu_free / GiB:.1f} GiB free; offloading {fits} of "
                                    f"{info.layers} layers, the rest run on the CPU")
                    wanted = fits
        layers = -1 if wanted >= info.layers else wanted
        on_gpu = info.layers if layers < 0 else layers
        if hw.device != "Metal":  # Metal shares system memory: everything counts against RAM
            host = est.total - on_gpu * per_layer - (est.kv_cache if layers < 0 else 0)
    budget = memory_limit_mb * MiB if memory_limit_mb > 0 else available_memory()
    if budget is not None:
        if host > budget:
            source = f"memory_limit_mb = {memory_limit_mb}" if memory_limit_mb > 0 else "available"
            raise ModelError(
                f"{info.path.name} needs {est.describe()}, but only {budget / GiB:.2f} GiB is {source}; "
                "lower context_size (RAG_CONTEXT_SIZE), close other programs, or pick a smaller model "
                "(`rag-cli models list`)")
        if host > budget * WARN_SHARE:
            warnings.append(f"{info.path.name} will use {est.describe()}, over {int(WARN_SHARE * 100)}% of the "
                            f"{budget / GiB:.2f} GiB available; the machine may slow down")
    device = hw.device if layers != 0 else "CPU"
    return LoadPlan(layers, resolve_threads(threads_setting), device, est, budget, tuple(warnings))


@dataclass(frozen=True)
class HardwareReport:
    llama_device: str  # CUDA | Metal | CPU
    llama_gpu_offload: bool
    embedder_device: str | None  # cuda | mps | cpu, None when torch is not installed
    physical_cores: int
    available_memory: int | None
    gpu_free_memory: int | None


def report(probe_torch: bool = True) -> HardwareReport:
    """Everything `rag-cli models hardware` prints (imports llama_cpp, and torch if asked)."""
    hw = llama_hardware()
    emb = None
    if probe_torch:
        try:
            emb = torch_device("auto")
        except ImportError:
            emb = None
    gpu = cuda_free_memory() if hw.device == "CUDA" else None
    return HardwareReport(hw.device, hw.gpu_offload, emb, physical_cores(), available_memory(), gpu)


def plan_for_file(path, context: int, gpu_setting: str = "auto", threads_setting: int = 0,
                  memory_limit_mb: int = 0) -> LoadPlan:
    """The load plan for the GGUF file at `path` on this machine: its header read, llama.cpp's
    offload support asked, and a model that will not fit refused (ModelError)."""
    from models.errors import ModelError
    from models.gguf import gguf_info

    info = gguf_info(path)
    try:
        hardware = llama_hardware()
    except ImportError as exc:
        raise ModelError(f"llama-cpp-python is not installed or failed to load ({exc})") from None
    return plan_llm_load(info, context, gpu_setting, threads_setting, memory_limit_mb, hardware)
