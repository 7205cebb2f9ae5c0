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
