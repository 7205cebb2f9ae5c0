"""Holding a bench's child process to AVX2 on an AVX-512 host, and proving that it held.

Most laptops have AVX2 and no AVX-512; the machines these benches run on may have both. A
child started with `avx2_env()` is held back three ways:

- CPUID itself: `cpuid_avx2.c`, built here with the system's C compiler and preloaded,
  makes the CPU report no AVX-512 and no VNNI to every library that asks (ONNX Runtime's
  MLAS, chromadb's HNSW, OpenVINO, NumPy, torch), where the host supports CPUID faulting
  (`cpuid_fault` in /proc/cpuinfo);
- glibc, which reads CPUID before any preloaded code runs: `GLIBC_TUNABLES` hwcaps;
- the settings that exist besides (`ONEDNN_MAX_CPU_ISA`, `ATEN_CPU_CAPABILITY`,
  `MKL_ENABLE_INSTRUCTIONS`, `NPY_DISABLE_CPU_FEATURES`), which also hold what they name
  where CPUID faulting is missing.

The proof comes from the kernel: for each thread, /proc/self/task/TID/arch_status gives the
milliseconds since it last held AVX-512 state (-1: never). `avx512_threads(since)` lists the
threads of this process that did so after `since` (every process shows one use at its start,
before any of the above can act, so only what comes later counts).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from .suites import RESULTS

SOURCE = Path(__file__).with_name("cpuid_avx2.c")
# NumPy's dispatch targets above AVX2 (NumPy 2.x: X86_V4 and the AVX512_* groups; 1.x: AVX512F, ...)
NUMPY_AVX512 = ("X86_V4", "AVX512F", "AVX512CD", "AVX512_KNL", "AVX512_KNM", "AVX512_SKX", "AVX512_CLX",
                "AVX512_CNL", "AVX512_ICL", "AVX512_SPR")
GLIBC_OFF = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX512ER", "AVX512PF",
             "AVX512_VBMI", "AVX512_VBMI2", "AVX512_VNNI", "AVX512_BF16", "AVX512_FP16", "AVX512_4FMAPS",
             "AVX512_4VNNIW", "AVX512_BITALG", "AVX512_IFMA", "AVX512_VPOPCNTDQ", "AVX512_VP2INTERSECT")


def cpuid_faulting() -> bool:
    try:
        return "cpuid_fault" in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False


def mask_library(into: Path | None = None) -> Path | None:
    """cpuid_avx2.c built once (kept in `into`, by default bench/results/isa, by the source's
    hash), or None where this machine cannot fault CPUID or has no C compiler."""
    if not cpuid_faulting():
        return None
    compiler = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not compiler:
        return None
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    out = (into or RESULTS / "isa") / f"cpuid-avx2-{digest}.so"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        proc = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(tmp), str(SOURCE)],
                              capture_output=True, text=True)
        if proc.returncode:
            raise RuntimeError(f"building {SOURCE.name} failed: {proc.stderr[-1000:]}")
        tmp.replace(out)
    return out


def avx2_env(into: Path | None = None) -> dict[str, str]:
    """What to add to a child's environment to hold it to AVX2 (see the module's notes)."""
    import numpy as np

    umath = np._core._multiarray_umath
    # NumPy refuses the whole list if it names anything that is not one of its dispatch targets
    disable = [f for f in NUMPY_AVX512 if f in getattr(umath, "__cpu_dispatch__", ())]
    env = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
           "GLIBC_TUNABLES": "glibc.cpu.hwcaps=" + ",".join(f"-{f}" for f in GLIBC_OFF),
           "PYTHONFAULTHANDLER": ""}  # faulthandler would take SIGSEGV, which the CPUID mask answers
    if disable:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disable)
    mask = mask_library(into)
    if mask:
        env["LD_PRELOAD"] = " ".join(p for p in (str(mask), os.environ.get("LD_PRELOAD", "")) if p)
    return env


def mask_active() -> bool:
    """Whether CPUID faults in this process (cpuid_avx2.c preloaded and accepted by the kernel)."""
    try:
        return bool(ctypes.c_int.in_dll(ctypes.CDLL(None), "cpuid_avx2_active").value)
    except ValueError:  # not preloaded
        return False


def _avx512_ago(task: Path) -> tuple[str, int] | None:
    """(thread name, ms since it last held AVX-512 state, -1 for never) of /proc/PID/task/TID,
    or None when the thread has ended or the kernel keeps no such record here."""
    try:
        status = (task / "arch_status").read_text()
        name = (task / "comm").read_text().strip()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("AVX512_elapsed_ms:"):
            return name, int(line.split(":")[1])
    return None


def avx512_threads(since: float) -> list[str]:
    """Threads of this process (name: ms ago) that held AVX-512 state after `since`
    (a time.monotonic() value); [] when none did, or when the kernel keeps no record."""
    window_ms = (time.monotonic() - since) * 1000
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        record = _avx512_ago(task)
        if record and 0 <= record[1] < window_ms:
            found.append(f"{record[0]}: {record[1]} ms ago")
    return found


class Watch:
    """Watches another process and its descendants while they run (for a child this process
    cannot ask itself): every thread's AVX-512 record is read every `every` seconds, and a use
    more than `grace` seconds after its process was first seen is kept (its start, before the
    hold can act, is not). `found` lists them; empty is the proof."""

    def __init__(self, pid: int, every: float = 0.25, grace: float = 0.5):
        import threading

        self.pid, self.every, self.grace = pid, every, grace
        self.found: set[str] = set()
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="avx512-watch", daemon=True)

    def __enter__(self) -> "Watch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*"):
                try:
                    todo.extend(int(c) for c in (task / "children").read_text().split())
                except OSError:
                    pass
        return pids

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            now = time.monotonic()
            for pid in self._tree():
                first = self._seen.setdefault(pid, now)
                for task in Path(f"/proc/{pid}/task").glob("*"):
                    record = _avx512_ago(task)
                    if record and record[1] >= 0 and now - record[1] / 1000 > first + self.grace:
                        self.found.add(f"{record[0]} (pid {pid})")
