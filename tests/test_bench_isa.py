"""bench/isa.py: a child process held to AVX2 on an AVX-512 host, and the kernel's record that
proves it. Every AVX2 figure of `./desk bench avx2`, `int8` and `ingest-avx2` rests on this."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import isa  # noqa: E402

HOST_AVX512 = "avx512f" in Path("/proc/cpuinfo").read_text().split()
needs_hold = pytest.mark.skipif(not (isa.cpuid_faulting() and (shutil.which("cc") or shutil.which("gcc"))),
                                reason="CPUID faulting or a C compiler missing")
needs_avx512 = pytest.mark.skipif(not HOST_AVX512, reason="the host has no AVX-512 to hold back")

# NumPy's view of the CPU, a multi-threaded BLAS product (OpenBLAS picks AVX-512 kernels when
# CPUID offers them), then the threads that used AVX-512 since the work began
CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from bench.isa import avx512_threads, mask_active
import numpy as np
t0 = time.monotonic()
a = np.random.default_rng(0).random((600, 600), dtype=np.float32)
for _ in range(60):
    a = (a @ a) / 600
print(json.dumps({"held": mask_active(), "avx512f": bool(np._core._multiarray_umath.__cpu_features__["AVX512F"]),
                  "used": avx512_threads(t0)}))
"""


# The kernel writes a thread's AVX-512 record when it switches the thread out while its AVX-512
# state is live. On an idle machine BLAS threads may run their kernels without being switched out
# (one CI run's unheld control left no record): the unheld runs start more BLAS threads than
# cores, so that the scheduler interrupts them in the middle of their kernels.
CROWDED = {"OPENBLAS_NUM_THREADS": str(max(4, 2 * (os.cpu_count() or 1)))}


def _child(env: dict) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(ROOT)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_hold
@needs_avx512
def test_a_held_child_sees_no_avx512_and_runs_none(tmp_path):
    env = isa.avx2_env(tmp_path)
    assert Path(env["LD_PRELOAD"]).parent == tmp_path
    held = _child(env)
    assert held == {"held": True, "avx512f": False, "used": []}
    # the same work without the hold: NumPy sees AVX-512 and its BLAS threads run it, so the
    # record above is a real observation, not a kernel that keeps none
    free = _child(CROWDED)
    assert free["held"] is False and free["avx512f"] is True
    assert free["used"], "the unheld run left no AVX-512 record"


@needs_hold
@needs_avx512
def test_watch_sees_another_process_only_when_it_is_not_held(tmp_path):
    runs = {}
    for held in (True, False):
        env = {**os.environ, **(isa.avx2_env(tmp_path) if held else CROWDED)}
        proc = subprocess.Popen([sys.executable, "-c", CHILD.replace("range(60)", "range(400)"), str(ROOT)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        with isa.Watch(proc.pid, every=0.1) as watch:
            out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        runs[held] = watch.found
    assert runs[True] == set()
    assert runs[False]
