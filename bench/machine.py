"""The machine a benchmark ran on, so figures from two machines can be compared: the CPU's
vector instruction sets, its cores, the ISA caps in force, and what each embedding backend
picked (OpenVINO's CPU capabilities and its inference precision, torch's kernel level,
ONNX Runtime's build)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from .suites import ROOT, row

ISA = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "avx_vnni",
       "amx_tile", "amx_bf16", "amx_int8", "neon", "asimd")


def cpu_flags() -> set[str]:
    try:
        text = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return set(line.split(":", 1)[1].split())
    return set()


def machine_rows():
    flags = cpu_flags()
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                  if line.startswith("model name")), platform.processor()) if os.path.exists("/proc/cpuinfo") else ""
    yield row("CPU", model or platform.machine())
    yield row("vector ISA flags (lscpu)", " ".join(f for f in ISA if f in flags) or "-")
    try:
        physical = len({line for line in subprocess.run(["lscpu", "-p=core"], capture_output=True, text=True,
                                                          check=True).stdout.splitlines() if not line.startswith("#")})
    except (OSError, subprocess.CalledProcessError):
        physical = 0
    yield row("logical / physical cores", f"{os.cpu_count()} / {physical or '?'}")
    caps = {k: os.environ[k] for k in ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS") if k in os.environ}
    yield row("ISA caps in force", " ".join(f"{k}={v}" for k, v in caps.items()) or "none")
    try:
        from rag.embed.runtimes import import_openvino  # without Intel's usage telemetry

        core = import_openvino().Core()
        yield row("OpenVINO CPU capabilities", " ".join(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")))
        kernels = openvino_kernels(core)
        if kernels:
            yield row("OpenVINO kernels chosen for MiniLM (layer type: kernel x count)", kernels)
    except Exception as exc:  # not installed, or no CPU plugin
        yield row("OpenVINO", f"unavailable ({type(exc).__name__})")
    try:
        import torch

        yield row("torch CPU kernel level", torch.backends.cpu.get_cpu_capability())
    except Exception as exc:
        yield row("torch", f"unavailable ({type(exc).__name__})")
    try:
        import onnxruntime

        yield row("ONNX Runtime", f"{onnxruntime.__version__}, {onnxruntime.get_device()} (picks its kernels at run "
                                  "time; no ISA cap)")
    except Exception as exc:
        yield row("ONNX Runtime", f"unavailable ({type(exc).__name__})")


def openvino_kernels(core, model: Path | None = None) -> str:
    """Which kernels OpenVINO's CPU plugin picked for the MiniLM graph, as compiled for
    ingestion (f32, throughput): its runtime model names each layer's primitive, e.g.
    `FullyConnected: brgemm_avx2 x36`. Empty when no exported graph is at hand."""
    from collections import Counter

    model = model or next(iter(sorted((ROOT / "bench" / "results").glob("home-*/models/onnx/*/model.onnx"))), None)
    if model is None or not model.is_file():
        return ""
    compiled = core.compile_model(str(model), "CPU", {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f32"})
    seen: Counter = Counter()

    def text(value) -> str:  # OpenVINO 2024+ wraps runtime info in OVAny, whose str() is its class name
        return value.astype(str) if hasattr(value, "astype") else str(value)

    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        kind = text(info["layerType"]) if "layerType" in info else op.get_type_name()
        if kind in ("FullyConnected", "MatMul", "Convolution", "MVN", "Softmax", "Eltwise", "Subgraph"):
            prim = text(info["primitiveType"]) if "primitiveType" in info else "?"
            seen[(kind, prim)] += 1
    return ", ".join(f"{k}: {p} x{n}" for (k, p), n in sorted(seen.items()))
