"""Warm retrieval held to AVX2 (issue 23: p50 <= 120 ms at 100,000 chunks on an AVX2-only CPU).

Most laptops have AVX2 and no AVX-512; this host may have both. Everything a search runs that
picks its kernels from the CPU is held to AVX2 in a child process, and the child proves that
each cap took effect before it is timed:

- the question's embedding: OpenVINO with `ONEDNN_MAX_CPU_ISA=AVX2` (the app embeds a question
  with ONNX Runtime, whose MLAS kernels cannot be capped; both run the same fp32 graph, cosine
  >= 0.9999), checked by the kernels OpenVINO compiled (`brgemm_avx2`, no `avx512`);
- NumPy's dispatched loops (fusion, cosines): `NPY_DISABLE_CPU_FEATURES`, checked by NumPy's
  own table of features in use;
- glibc's string and memory functions (SQLite's and chromadb's copies and compares):
  `GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX512...`, checked by the dynamic loader's diagnostics;
- SQLite (FTS5 BM25) is checked for AVX-512 code of its own (zmm registers in its machine code).

Two parts cannot be held back wholly: chromadb's HNSW index picks AVX-512 distance code from
cpuid, and OpenVINO's own LayerNorm (MVN) kernels ignore the oneDNN cap (the kernel list shows
them). Both are timed alone in the same process (the vector lookup, and the question's
embedding), and the AVX2 figure is bounded by adding those times once more: the bound assumes
they take twice as long on AVX2 (AVX-512 does at most twice AVX2's work per instruction).

The same questions are then timed in the same knowledge bases uncapped with the app's own
query path, in alternating rounds, so the two figures differ only by the caps.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from .suites import QA_FILE, RESULTS, ROOT, row

# NumPy's dispatch targets above AVX2 (NumPy 2.x: X86_V4 and the AVX512_* groups; 1.x: AVX512F, ...)
AVX512 = ("X86_V4", "AVX512F", "AVX512CD", "AVX512_KNL", "AVX512_KNM", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL",
          "AVX512_ICL", "AVX512_SPR")
GLIBC_OFF = ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX512ER", "AVX512PF",
             "AVX512_VBMI", "AVX512_VBMI2", "AVX512_VNNI", "AVX512_BF16", "AVX512_FP16", "AVX512_4FMAPS",
             "AVX512_4VNNIW", "AVX512_BITALG", "AVX512_IFMA", "AVX512_VPOPCNTDQ", "AVX512_VP2INTERSECT")
ROUNDS = 3


def capped_env() -> dict[str, str]:
    """The environment that holds a process's CPU-dispatched code to AVX2."""
    import numpy as np

    umath = np._core._multiarray_umath
    # NumPy refuses the whole list if it names anything that is not one of its dispatch targets
    disable = [f for f in AVX512 if f in getattr(umath, "__cpu_dispatch__", ())]
    env = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
           "GLIBC_TUNABLES": "glibc.cpu.hwcaps=" + ",".join(f"-{f}" for f in GLIBC_OFF)}
    if disable:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disable)
    return env


def zmm_free(library: Path) -> bool | None:
    """Whether a shared library's machine code never names a zmm (AVX-512) register; None
    when it cannot be read (no objdump)."""
    try:
        proc = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(library)], capture_output=True,
                              text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode:
        return None
    return "%zmm" not in proc.stdout


def _libraries() -> dict[str, Path]:
    import sqlite3

    import chromadb_rust_bindings

    found = {}
    bindings = Path(chromadb_rust_bindings.__file__).parent
    so = next(iter(sorted(bindings.glob("*.so"))), None)
    if so:
        found["chromadb (HNSW, its SQLite)"] = so
    sqlite_so = Path(sqlite3.__file__).parent.parent / "lib-dynload"
    mod = next(iter(sorted(sqlite_so.glob("_sqlite3*.so"))), None)
    if mod:
        libs = subprocess.run(["ldd", str(mod)], capture_output=True, text=True).stdout
        m = re.search(r"libsqlite3\S*\s*=>\s*(\S+)", libs)
        found["SQLite (FTS5)"] = Path(m.group(1)) if m else mod
    return found


def child(home: str, questions: list[str], capped: bool) -> dict:
    """Run in the timed process: the caps' proof, then the p50 of search + prompt assembly."""
    import statistics
    import time

    import numpy as np

    from rag import Engine

    from .perf import search_latencies

    proof: dict[str, object] = {}
    features = np._core._multiarray_umath.__cpu_features__
    proof["numpy AVX-512 features in use"] = sorted(f for f in AVX512 if features.get(f)
                                                    and f in np._core._multiarray_umath.__cpu_dispatch__)
    engine = Engine()
    embedder = engine.parts.embedder
    if capped:
        if embedder.backend != "openvino":
            raise RuntimeError(f"the capped run needs the openvino backend (got {embedder.backend})")
        # the question goes through OpenVINO, whose kernels the cap holds to AVX2
        embedder.embed_query = lambda text: embedder._encode([embedder.query_prefix + text])[0]
        from .machine import openvino_kernels
        from rag.embed.runtimes import import_openvino

        proof["OpenVINO kernels"] = openvino_kernels(import_openvino().Core())
    engine.generator.load()
    out = {"proof": proof}
    for kb in ("default", "synthetic"):
        lat = search_latencies(engine, kb, questions, ROUNDS)
        kbrec = engine.parts.catalog.get_kb(kb)
        # chromadb's vector lookup alone: its HNSW picks AVX-512 distance code from cpuid,
        # which no setting caps, so this part is timed apart (see bench_avx2)
        vectors, emb = [], []
        for q in questions:
            t0 = time.perf_counter()
            vectors.append(embedder.embed_query(q))
            emb.append((time.perf_counter() - t0) * 1000)
        look = []
        for _ in range(ROUNDS):
            for v in vectors:
                t0 = time.perf_counter()
                engine.parts.store.nearest(kbrec.collection, v, 60)
                look.append((time.perf_counter() - t0) * 1000)
        out[kb] = {"p50": statistics.median(lat), "p95": lat[int(0.95 * len(lat)) - 1],
                   "lookup_p50": statistics.median(look), "embed_p50": statistics.median(emb),
                   "chunks": engine.parts.store.count(kbrec.collection)}
    engine.close()
    return out


def _run(home: Path, questions: list[str], capped: bool) -> dict:
    env = dict(os.environ, RAG_HOME=str(home))
    if capped:
        env.update(capped_env(), RAG_EMBEDDING_BACKEND="openvino")
    code = (f"import sys, json; sys.path.insert(0, {str(ROOT)!r}); from bench.avx2 import child;"
            f"print(json.dumps(child({str(home)!r}, json.loads(sys.argv[1]), {capped!r})))")
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(questions)], capture_output=True, text=True,
                          timeout=1800, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _glibc_proof() -> str:
    """Whether glibc may use AVX-512 under the caps, as its dynamic loader reports: bit 16 of
    CPUID leaf 7's EBX (AVX512F) in the features it marked active."""
    loader = next((p for p in ("/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
                   if os.path.exists(p)), None)
    if loader is None:
        return "unknown (no loader found)"
    proc = subprocess.run([loader, "--list-diagnostics"], capture_output=True, text=True,
                          env=dict(os.environ, **capped_env()))
    m = re.search(r"features\[0x1\]\.active\[0x1\]=(0x[0-9a-f]+)", proc.stdout)
    if not m:
        return "unknown (no diagnostics)"
    return "AVX512F active" if int(m.group(1), 16) >> 16 & 1 else "AVX512F off"


def bench_avx2():
    from rag.search.evaluation import load_qa

    from .machine import machine_rows

    yield from machine_rows()
    home = RESULTS / "home-100k"
    if not (home / "catalog.sqlite3").exists():
        from .perf import synthetic_chunks, thousand_page_pdf, _cli

        home.mkdir(parents=True, exist_ok=True)
        proc = _cli("ingest", thousand_page_pdf(), home=home)
        if proc.returncode not in (0, 1):
            raise RuntimeError(proc.stderr)
        synthetic_chunks(home, 100_000)
    for name, lib in _libraries().items():
        free = zmm_free(lib)
        yield row(f"{name}: machine code free of AVX-512 (zmm)", {True: "yes", False: "no", None: "unknown"}[free],
                  note=str(lib))
    yield row("glibc under the caps", _glibc_proof(), note=capped_env()["GLIBC_TUNABLES"][:60] + "…")
    questions = [r.question for r in load_qa(QA_FILE)][:40]
    runs = {True: [], False: []}
    for _ in range(2):  # two processes each, alternating: the machine's load drifts within a run
        for capped in (False, True):
            runs[capped].append(_run(home, questions, capped))
    proof = runs[True][0]["proof"]
    yield row("capped: NumPy AVX-512 features in use", ", ".join(proof["numpy AVX-512 features in use"]) or "none")
    yield row("capped: OpenVINO kernels for MiniLM", proof.get("OpenVINO kernels", "?"))
    for kb, label in (("default", "the bench's real pages"), ("synthetic", "100,000 chunks")):
        for capped in (False, True):
            p50s = [r[kb]["p50"] for r in runs[capped]]
            what = "held to AVX2, question on OpenVINO" if capped else "uncapped, as the app runs"
            target = "<= 120" if kb == "synthetic" and capped else ""
            ok = max(p50s) <= 120 if target else None
            looks = [r[kb]["lookup_p50"] for r in runs[capped]]
            embeds = [r[kb]["embed_p50"] for r in runs[capped]]
            yield row(f"retrieval + prompt p50, {label}, {what} (ms)", round(max(p50s), 1),
                      note=f"p50 per process {', '.join(f'{p:.1f}' for p in p50s)}; vector lookup alone "
                           f"{', '.join(f'{p:.1f}' for p in looks)}; question embedding alone "
                           f"{', '.join(f'{p:.1f}' for p in embeds)}; {runs[capped][0][kb]['chunks']} chunks, "
                           f"{ROUNDS}x{len(questions)} questions each")
            if capped:
                bound = max(p + q + e for p, q, e in zip(p50s, looks, embeds))
                yield row(f"  AVX2 bound, {label}: capped p50 + lookup + embedding again (ms)", round(bound, 1),
                          target, ok=(bound <= 120) if target else None)
