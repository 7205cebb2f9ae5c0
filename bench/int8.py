"""`./desk bench int8`: reduced-precision MiniLM for ingestion on AVX2-only CPUs.

The fp32 graph the engine exports is quantized several ways, each calibrated on real chunks
of the Debian QA corpus (300 chunks, disjoint from the 240 it is measured on):
- `ort-dynamic`: ONNX Runtime dynamic int8 (weights per channel, activations per batch);
- `qdq-*`: ONNX Runtime static QDQ (weights per channel, activation ranges from calibration)
  on the weight MatMuls only (the attention's activation-activation MatMuls, LayerNorm,
  Softmax and GELU stay fp32), with min/max or percentile ranges, optionally keeping the FFN
  output projections (whose inputs carry the outliers) in fp32; run by OpenVINO and by ONNX
  Runtime;
- `nncf`: OpenVINO's NNCF post-training quantization (transformer preset) when installed.
The int8 graph `embedding_precision = "int8"` ships is the dynamic one (`shipped-dynamic`,
built by rag.embed.quantize and run on ONNX Runtime). Each runs in its own process held to
AVX2 by bench/isa.py (CPUID reports no AVX-512 or VNNI to OpenVINO and to ONNX Runtime's MLAS
alike; the bench shows the kernels OpenVINO picked, and that no thread used AVX-512 while
embedding), on the same 240 chunk texts: chunks/s against fp32 on the same engine, cosine to
the fp32 vectors (mean / min). Retrieval quality: the QA corpus' stored vectors replaced by
each variant's (same chunks, same ids) in a copy of the data folder, then `rag-cli eval
--compare dense,hybrid` (queries stay fp32 ONNX Runtime, as the engine embeds them), for
variants whose mean cosine to fp32 is at least 0.98. On a host without CPUID faulting only
OpenVINO is held (by `ONEDNN_MAX_CPU_ISA`), and the ONNX Runtime rows are for the host's own ISA."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from .isa import avx2_env
from .suites import BIN, QA_FILE, RESULTS, ROOT, corpus, embedded_texts, row

OUT = RESULTS / "int8"

RUN = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import numpy as np
from rag.embed.embedder import Embedder
from rag.embed.runtimes import OnnxEncoder
from rag.settings import BUNDLED_EMBEDDER
graph, engine, texts_file, out = Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
cache = Path(sys.argv[6])
e = Embedder(BUNDLED_EMBEDDER, "cpu", backend="onnx", cache_dir=cache)
enc = OnnxEncoder(e.model_dir, cache, e.max_tokens + 2, engine, graph=graph)
texts = json.load(open(texts_file))
enc.encode(texts[:16], 32)
from bench.isa import avx512_threads, mask_active
t0 = time.monotonic()
t = time.perf_counter(); v = enc.encode(texts, 32); dt = time.perf_counter() - t
held = {"cpuid": mask_active(), "avx512": avx512_threads(t0)}
np.save(out, v)
kernels = ""
if engine == "openvino":
    from collections import Counter
    from rag.embed.runtimes import import_openvino
    core = import_openvino().Core()
    c = core.compile_model(str(graph), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    seen = Counter()
    for op in c.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        text = lambda key: info[key].astype(str) if key in info else "?"
        kind = text("layerType") if "layerType" in info else op.get_type_name()
        if kind in ("FullyConnected", "MatMul"):
            seen[(kind, text("primitiveType"), text("runtimePrecision"))] += 1
    kernels = ", ".join(f"{k} {p} {r} x{n}" for (k, p, r), n in sorted(seen.items()))
print(json.dumps({"rate": len(texts) / dt, "kernels": kernels, "held": held}))
"""


def _home() -> Path:
    """The QA corpus indexed with fp32 OpenVINO (the default backend), built once."""
    home = RESULTS / "home-int8-fp32"
    models = RESULTS / "home-ingest" / "models"
    home.mkdir(parents=True, exist_ok=True)
    if models.exists() and not (home / "models").exists():
        (home / "models").symlink_to(models, target_is_directory=True)
    if not (home / "catalog.sqlite3").exists():
        proc = subprocess.run([str(BIN / "rag-cli"), "ingest", *map(str, corpus().values())],
                              env=dict(os.environ, RAG_HOME=str(home)), capture_output=True, text=True, timeout=7200)
        if proc.returncode not in (0, 1):
            raise RuntimeError(proc.stderr[-2000:])
    return home


def _chunks(home: Path):
    """(ids, texts) of every stored chunk, as the engine embedded them."""
    from rag import Engine

    engine = Engine(home=home)
    kb = engine.parts.catalog.get_kb("default")
    chunks = engine.parts.store.get(kb.collection)
    embedder = engine.parts.embedder_for(kb)
    texts = embedded_texts(engine, kb, chunks)
    models = engine.parts.models_dir
    engine.close()
    return [c.id for c in chunks], texts, embedder, models


RECIPES = {
    "qdq-minmax": {"name": "qdq-minmax", "method": "minmax", "fp32_ffn_output": False},
    "qdq-pct": {"name": "qdq-pct", "method": "percentile", "percentile": 99.99, "fp32_ffn_output": False},
    "qdq-pct-ffnfp32": {"name": "qdq-pct-ffnfp32", "method": "percentile", "percentile": 99.99,
                        "fp32_ffn_output": True},
    "qdq-entropy": {"name": "qdq-entropy", "method": "entropy", "fp32_ffn_output": False},
}


def quantize(fp32: Path, model_dir: Path, calib: list[str]) -> dict[str, Path]:
    """Every recipe calibrated on `calib` (real chunks of the corpus), the shipped recipe also on
    the shipped calibration texts (what `embedding_precision = "int8"` builds), ONNX Runtime's
    dynamic int8, and NNCF when it is installed."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from rag.embed import quantize as q

    OUT.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    target = OUT / "ort-dynamic.onnx"
    if not target.exists():
        quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"])
    out["ort-dynamic"] = target
    for name, recipe in RECIPES.items():
        target = OUT / f"{name}.onnx"
        if not target.exists():
            q.quantize(fp32, target, model_dir, calib, recipe)
        out[name] = target
    from rag.embed.quantize import int8_graph  # what `embedding_precision = "int8"` builds and runs

    out[f"shipped-{q.RECIPE['name']}"] = int8_graph(model_dir, OUT / "cache")
    try:
        import nncf
    except ImportError:
        return out
    target = OUT / "nncf.xml"
    if not target.exists():
        import onnx
        from tokenizers import Tokenizer

        from rag.embed.runtimes import import_openvino

        ov = import_openvino()
        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tok.enable_truncation(256)
        names = {i.name for i in onnx.load(str(fp32)).graph.input}
        ov_model = ov.Core().read_model(str(fp32))
        data = q.feeds(tok, calib, names)
        quantized = nncf.quantize(ov_model, nncf.Dataset(data), model_type=nncf.ModelType.TRANSFORMER,
                                  subset_size=len(data))
        ov.save_model(quantized, str(target))
    out["nncf"] = target
    return out


def _measure(name: str, graph: Path, engine: str, texts_file: Path, cache: Path, env: dict) -> dict:
    vec = OUT / f"vec-{name}-{engine}.npy"  # by variant: two graphs may both be called model.onnx
    proc = subprocess.run([sys.executable, "-c", RUN, str(ROOT), str(graph), engine, str(texts_file), str(vec),
                           str(cache)], capture_output=True, text=True, timeout=3600, env=env)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "vectors": vec}


def _quality(home: Path, ids: list[str], texts: list[str], graph: Path, cache: Path, name: str) -> dict:
    """hit@5 dense/hybrid with the stored vectors replaced by `graph`'s (on ONNX Runtime, where
    the engine runs the int8 graph)."""
    import numpy as np

    copy = RESULTS / f"home-int8-vectors-{name}"
    if not (copy / "done").exists():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(home, copy, symlinks=True)
        file = OUT / f"all-{name}.json"
        file.write_text(json.dumps(texts))
        vec = OUT / f"all-{name}.npy"
        proc = subprocess.run([sys.executable, "-c", RUN, str(ROOT), str(graph), "onnx", str(file), str(vec),
                               str(cache)], capture_output=True, text=True, timeout=7200)
        if proc.returncode:
            raise RuntimeError(proc.stderr[-2000:])
        from rag import Engine

        engine = Engine(home=copy)
        kb = engine.parts.catalog.get_kb("default")
        vectors = np.load(vec)
        for i in range(0, len(ids), 500):
            engine.parts.store.vectors.add(kb.collection, ids[i : i + 500], vectors[i : i + 500], None,
                                           [{"file_id": int(cid.split("-")[0]), "sha": m.get("sha"), "th": m.get("th")}
                                            for cid, m in zip(ids[i : i + 500],
                                                              [c.metadata for c in engine.parts.store.texts(
                                                                  kb.collection, ids[i : i + 500])])])
        engine.close()
        (copy / "done").write_text("ok")
    out = subprocess.run([str(BIN / "rag-cli"), "eval", str(QA_FILE), "--compare", "dense,hybrid", "--json"],
                         env=dict(os.environ, RAG_HOME=str(copy)), capture_output=True, text=True, timeout=3600)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    res = json.loads(out.stdout)["results"]
    return {m: (res[m]["overall"]["hit@5"], {x["question"] for x in res[m]["misses"]}) for m in ("dense", "hybrid")}


def bench_int8():
    import numpy as np

    from rag.embed.runtimes import onnx_path

    from .machine import machine_rows

    yield from machine_rows()
    home = _home()
    ids, texts, embedder, models = _chunks(home)
    fp32 = onnx_path(embedder.model_dir, models)
    order = list(range(len(texts)))
    random.Random(0).shuffle(order)
    sample = [texts[i] for i in order[:240]]
    calib = [texts[i] for i in order[240:540]]
    OUT.mkdir(parents=True, exist_ok=True)
    file = OUT / "sample.json"
    file.write_text(json.dumps(sample))
    graphs = {"fp32": fp32, **quantize(fp32, embedder.model_dir, calib)}
    cache = models
    results = {}
    for name, graph in graphs.items():
        engines = ["openvino"] + (["onnx"] if graph.suffix == ".onnx" else [])
        for engine in engines:
            env = dict(os.environ, **avx2_env())
            results[(name, engine)] = _measure(name, graph, engine, file, cache, env)
    ref = np.load(results[("fp32", "onnx")]["vectors"])
    base = {e: results[("fp32", e)]["rate"] for e in ("openvino", "onnx")}
    held = all(r["held"]["cpuid"] for r in results.values())
    used = sorted({t for r in results.values() for t in r["held"]["avx512"]})
    yield row("every variant's process: CPUID reports no AVX-512", "yes" if held else "no (settings only)")
    yield row("threads that used AVX-512 while embedding", len(used), "0", ok=not used if held else None,
              note="; ".join(used) or "kernel's arch_status of every thread")
    yield row("fp32 OpenVINO (AVX2) kernels", results[("fp32", "openvino")]["kernels"])
    for (name, engine), r in results.items():
        cos = (np.load(r["vectors"]) * ref).sum(axis=1)
        yield row(f"{name} on {engine}{' (AVX2)' if engine == 'openvino' or held else ''}: chunks/s, x fp32 OpenVINO",
                  round(r["rate"], 1)) | {"note": f"x{r['rate'] / base['openvino']:.2f} fp32 OpenVINO, "
                                                  f"x{r['rate'] / base[engine]:.2f} fp32 {engine}; cosine to fp32 "
                                                  f"mean {cos.mean():.4f} min {cos.min():.4f}"}
        if engine == "openvino" and name != "fp32":
            yield row(f"{name} kernels", r["kernels"])
    reference = _quality(home, ids, texts, fp32, cache, "fp32")
    for name, graph in graphs.items():
        if name == "fp32":
            continue
        cos = (np.load(results[(name, "onnx")]["vectors"]) * ref).sum(axis=1) if (name, "onnx") in results else None
        if cos is None or cos.mean() < 0.98:
            yield row(f"{name}: retrieval quality", "not measured") | {
                "note": "mean cosine to fp32 under 0.98: not a candidate"}
            continue
        q = _quality(home, ids, texts, graph, cache, name)
        for mode in ("dense", "hybrid"):
            lost = q[mode][1] - reference[mode][1]
            yield row(f"{name}: {mode} hit@5 vs fp32 (points)",
                      round((q[mode][0] - reference[mode][0]) * 100, 1)) | {
                "note": f"{q[mode][0]:.3f} vs {reference[mode][0]:.3f}; lost {len(lost)}, "
                        f"gained {len(reference[mode][1] - q[mode][1])}"}
