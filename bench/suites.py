from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
QA_FILE = ROOT / "bench" / "qa" / "debian-docs.jsonl"


def corpus() -> dict[str, Path]:
    dest = ROOT / "tests" / "data" / "downloaded"
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "fetch_pdfs.py"), str(dest)],
                         capture_output=True, text=True, check=True).stdout
    return {line.split("\t")[0]: dest / line.split("\t")[0] for line in out.splitlines()}


def embedded_texts(engine, kb, chunks=None) -> list[str]:
    """Every stored chunk of `kb` (or `chunks` of it) as ingestion gave it to the embedder
    (section title, and the words-only reading of an English-only embedder: rag.ingest.indexed)."""
    from rag.ingest.indexed import embedded_text, indexed_text

    reads_chinese = engine.parts.embedder_for(kb).reads_chinese
    return [embedded_text(indexed_text(c.metadata.get("section", ""), c.text), reads_chinese)
            for c in (engine.parts.store.get(kb.collection) if chunks is None else chunks)]


def empty_home(home: Path, *also: str) -> Path:
    """Remove a bench data folder's stores (catalog with its WAL files, vectors) and `also`,
    keeping models/: the one-time ONNX export is not what a bench times."""
    import shutil

    for part in ("catalog.sqlite3", "catalog.sqlite3-wal", "catalog.sqlite3-shm", "chroma", *also):
        target = home / part
        shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    return home


def export_models(home: Path, env: dict | None = None) -> None:
    """The embedder exported and compiled into `home`/models before anything is timed: a
    warm-up ingest (knowledge base `warmup`, with `env` added), whose stores are then emptied."""
    if (home / "models" / "onnx").exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    warm = RESULTS / "warm.txt"
    warm.write_text("Warm-up text so that the embedder is exported before timing.")
    subprocess.run([str(BIN / "rag-cli"), "ingest", str(warm), "--kb", "warmup"], capture_output=True, text=True,
                   env=dict(os.environ, RAG_HOME=str(home), **(env or {})), timeout=1800)
    empty_home(home)


def indexed_seconds(stderr: str) -> float:
    """The time `rag-cli ingest` prints for a file indexed: '... indexed N chunks from P pages
    (S s)' (not the earlier 'searchable: ...' line of the same file)."""
    line = next(line for line in stderr.splitlines() if "indexed " in line and " s)" in line)
    return float(line.rsplit("(", 1)[1].split(" s)")[0])


def row(what: str, value, target: str = "", ok: bool | None = None, note: str = "") -> dict:
    """One line of a bench table: `ok` is its verdict against `target` (None: no verdict)."""
    out = {"what": what, "value": value, "target": target}
    if ok is not None:
        out["ok"] = ok
    if note:
        out["note"] = note
    return out


def _cli(*args, home: Path, timeout=1800) -> subprocess.CompletedProcess:
    env = dict(os.environ, RAG_HOME=str(home))
    return subprocess.run([str(BIN / "rag-cli"), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=timeout)


def hundred_page_pdf() -> Path:
    import pypdfium2 as pdfium

    out = RESULTS / "gnuplot-100.pdf"
    if not out.exists():
        RESULTS.mkdir(parents=True, exist_ok=True)
        src = pdfium.PdfDocument(str(corpus()["gnuplot.pdf"]))
        doc = pdfium.PdfDocument.new()
        doc.import_pages(src, list(range(20, 120)))
        doc.save(str(out))
    return out


def bench_cli():
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "rag-cli"), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    yield row("rag-cli --help wall time, median of 5 (s)", round(statistics.median(times), 3), "<= 0.3")


def bench_ingest():
    """End-to-end ingestion of a 100-page real PDF vs the embedder alone on the same chunks."""
    pdf = hundred_page_pdf()
    home = RESULTS / "home-ingest"
    empty_home(home)  # a fresh store each run
    export_models(home)
    t0 = time.perf_counter()
    proc = _cli("ingest", pdf, home=home)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    os.environ["RAG_HOME"] = str(home)
    from rag import Engine

    engine = Engine()
    kb = engine.parts.catalog.get_kb("default")
    texts = embedded_texts(engine, kb)  # the exact text ingestion embedded
    engine.embedder.embed_documents(texts[:8])  # warm
    t0 = time.perf_counter()
    engine.embedder.embed_documents(texts)
    embed_only = time.perf_counter() - t0
    rec = engine.list_files()[0]
    internal = indexed_seconds(proc.stderr)
    engine.close()
    yield row("100-page PDF: chunks", rec.chunks)
    yield row("100-page PDF: rag-cli ingest wall time incl. start-up (s)", round(wall, 1))
    yield row("100-page PDF: ingest time after models loaded (s)", round(internal, 1))
    yield row("100-page PDF: pages/s end to end", round(100 / internal, 2))
    yield row("embedder alone on the same chunks (s)", round(embed_only, 1))
    yield row("ingest pages/s vs embedder alone (ratio)", round(embed_only / internal, 3), ">= 0.9")


def bench_ask():
    pdf = hundred_page_pdf()
    home = RESULTS / "home-ask"
    if not (home / "catalog.sqlite3").exists():
        _cli("ingest", pdf, home=home)
    question = "How do I set the title of a plot?"
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        proc = _cli("ask", question, "--json", home=home)
        wall = time.perf_counter() - t0
        stats = json.loads(proc.stdout)["stats"]
        if not stats:
            raise RuntimeError(f"no answer was produced for {question!r}: {proc.stderr.strip()}")
        runs.append((wall, stats))
    ttft = statistics.median(s["ttft_s"] for _, s in runs)
    tps = statistics.median(s["tokens_per_s"] for _, s in runs)
    yield row("rag-cli ask (cold process): ttft incl. model loading, median (s)", round(ttft, 2), "<= 3")
    yield row("rag-cli ask: tokens/s, median", round(tps, 1))
    yield row("rag-cli ask: retrieval ms (in process)", round(statistics.median(s["retrieval_ms"] for _, s in runs), 1))


def bench_gui():
    """Launch-to-window time, and the GUI's tokens/s against the CLI's on the same question."""
    pdf = hundred_page_pdf()
    home = RESULTS / "home-ask"
    if not (home / "catalog.sqlite3").exists():
        _cli("ingest", pdf, home=home)
    env = dict(os.environ, RAG_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    launches = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "rag-app"), "--exit-when-shown"], env=env, capture_output=True, check=True,
                       timeout=120)
        launches.append(time.perf_counter() - t0)
    yield row("rag-app launch to window shown (whole process, offscreen), median (s)",
              round(statistics.median(launches), 2), "<= 2")
    question = "How do I set the title of a plot?"
    runs = 3
    proc = subprocess.run([sys.executable, "-m", "app.bench_gui", str(home), question, str(runs)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-2000:])
    gui = json.loads(proc.stdout.strip().splitlines()[-1])
    cli = [json.loads(_cli("ask", question, "--json", home=home).stdout)["stats"] for _ in range(runs)]
    gui_tps = statistics.median(r["tokens_per_s"] for r in gui)
    cli_tps = statistics.median(r["tokens_per_s"] for r in cli)
    yield row("GUI tokens/s (median of 3, warm window)", round(gui_tps, 1))
    yield row("CLI tokens/s (median of 3, cold processes)", round(cli_tps, 1))
    yield row("GUI / CLI tokens/s", round(gui_tps / cli_tps, 2) if cli_tps else "n/a", ">= 0.9")
    yield row("GUI / CLI answer tokens (median)", f"{statistics.median(r['tokens'] for r in gui):.0f} / "
                                                  f"{statistics.median(r['tokens'] for r in cli):.0f}")


def bench_retrieval(modes: str = "dense,bm25,hybrid", out_name: str = "retrieval.json"):
    """hit@k / MRR / latency of dense, bm25 and hybrid on the public QA set."""
    files = corpus()
    home = RESULTS / "home-retrieval"
    proc = _cli("ingest", *files.values(), home=home)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr)
    out = _cli("eval", QA_FILE, "--compare", modes, "--json", home=home)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    results = json.loads(out.stdout)["results"]
    (RESULTS / out_name).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    for mode, res in results.items():
        o = res["overall"]
        yield row(f"{mode}: hit@1 / hit@5 / MRR (all, n={o['n']})", f"{o['hit@1']:.2f}/{o['hit@5']:.2f}/{o['mrr']:.2f}")
        for lang, r in res["by_lang"].items():
            yield row(f"{mode}: hit@5 lang={lang} (n={r['n']})", f"{r['hit@5']:.2f}")
        yield row(f"{mode}: latency p50 / p95 (ms)", f"{o['p50_ms']:.0f}/{o['p95_ms']:.0f}")


def bench_rerank():
    """Hybrid vs hybrid re-ranked by the bundled LLM (query likelihood), in one run: what
    the optional second stage gives and what it costs (about 7 minutes on 2 cores)."""
    yield from bench_retrieval("hybrid,hybrid+rerank", "rerank.json")


def bench_abstain():
    """Calibrate abstention: evidence on answerable questions vs off-topic ones."""
    import numpy as np

    from rag.search.abstain import enough

    files = corpus()
    home = RESULTS / "home-retrieval"
    _cli("ingest", *files.values(), home=home)
    os.environ["RAG_HOME"] = str(home)
    from rag import Engine
    from rag.search.evaluation import load_qa

    engine = Engine()
    positives = [engine.search(r.question).support for r in load_qa(QA_FILE)]
    negatives = [engine.search(json.loads(line)["question"]).support
                 for line in (ROOT / "bench" / "qa" / "negatives.jsonl").read_text().splitlines() if line.strip()]
    s = engine.settings
    answered = np.mean([enough(e, s.abstain_min_dense, s.abstain_min_coverage) for e in positives])
    refused = np.mean([not enough(e, s.abstain_min_dense, s.abstain_min_coverage) for e in negatives])
    engine.close()
    for name, evs in (("answerable", positives), ("off-topic", negatives)):
        dense = [e.dense for e in evs if e.dense is not None]
        cov = [e.coverage for e in evs]
        yield row(f"{name}: dense cosine p10/p50/p90",
                  "/".join(f"{np.percentile(dense, q):.2f}" for q in (10, 50, 90)) if dense else "-")
        yield row(f"{name}: term coverage p10/p50/p90", "/".join(f"{np.percentile(cov, q):.2f}" for q in (10, 50, 90)))
    yield row(f"answerable questions answered (dense>={s.abstain_min_dense}, coverage>={s.abstain_min_coverage})",
              f"{answered:.2f}")
    yield row("off-topic questions refused", f"{refused:.2f}")


LC_PACKAGES = ["langchain-community", "langchain-huggingface", "langchain-chroma", "langchain-text-splitters",
               "sentence-transformers", "chromadb", "pypdf", "cryptography"]


def langchain_python() -> Path:
    """A separate venv for the LangChain baseline (CPU torch from the same wheel as ours)."""
    venv = RESULTS / "venv-langchain"
    python = venv / "bin" / "python"
    stamp = venv / ".ready"
    if not stamp.exists():
        uv = BIN / "uv"
        subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        wheels = sorted(Path("/opt/wheels").glob("torch-*+cpu-cp3*.whl")) if Path("/opt/wheels").exists() else []
        if wheels:
            subprocess.run([str(uv), "pip", "install", "-q", "--python", str(python), str(wheels[-1])], check=True)
        subprocess.run([str(uv), "pip", "install", "-q", "--python", str(python), *LC_PACKAGES], check=True)
        stamp.touch()
    return python


def run_langchain(pdfs: list[Path], qa: Path | None, extra_env: dict | None = None, watch=None) -> dict:
    """The canonical LangChain pipeline (bench/langchain_baseline.py) in its own venv.
    `extra_env` is added to its environment; `watch(pid)`, when given, is a context manager
    over the running process whose `found` comes back as "avx512" (bench/isa.Watch)."""
    import contextlib

    from models.bundled import embedder_dir

    args = {"pdfs": [str(p) for p in pdfs], "qa": str(qa) if qa else None, "model_dir": str(embedder_dir())}
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", ANONYMIZED_TELEMETRY="False",
               **(extra_env or {}))
    proc = subprocess.Popen([str(langchain_python()), str(ROOT / "bench" / "langchain_baseline.py"), json.dumps(args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    with (watch(proc.pid) if watch else contextlib.nullcontext()) as watcher:
        out, err = proc.communicate(timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(err[-2000:])
    result = json.loads(out.strip().splitlines()[-1])
    if watcher is not None:
        result["avx512"] = sorted(watcher.found)
    return result


def bench_langchain():
    """The canonical LangChain pipeline on the same corpus and questions (hit@k and ingest speed)."""
    files = corpus()
    res = run_langchain(list(files.values()), QA_FILE)
    (RESULTS / "langchain.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    o = res["eval"]["overall"]
    yield row(f"langchain: hit@1 / hit@5 / MRR (all, n={o['n']})", f"{o['hit@1']:.2f}/{o['hit@5']:.2f}/{o['mrr']:.2f}")
    for lang, r in res["eval"]["by_lang"].items():
        yield row(f"langchain: hit@5 lang={lang} (n={r['n']})", f"{r['hit@5']:.2f}")
    yield row(f"langchain: ingest {res['pages']} pages -> {res['chunks']} chunks (s)", res["ingest_s"])


def bench_scaleout():
    """Embedded chromadb vs a local `chroma run` server (ingest pages/s, query latency), and
    the bundled GGUF in-process vs through `python -m llama_cpp.server` (ttft, tokens/s),
    all in one run on this machine (127.0.0.1: no network latency)."""
    import shutil
    import threading
    from dataclasses import replace

    sys.path.insert(0, str(ROOT / "tests"))
    from servers import start_chroma, start_llama_server

    from models.bundled import llm_path
    from rag.embed.embedder import Embedder
    from rag import Engine
    from rag import Source
    from rag.llm.llama import LlamaGenerator
    from rag.llm.openai import OpenAIGenerator
    from rag.answer.prompt import build_prompt
    from rag import BUNDLED_EMBEDDER, Settings

    pdf = hundred_page_pdf()
    root = RESULTS / "scaleout"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    models = RESULTS / "home-ingest" / "models"  # reuse the one-time ONNX export
    embedder = Embedder(BUNDLED_EMBEDDER, "auto", cache_dir=models)
    embedder.load()
    chroma = start_chroma(root / "chroma-data", root / "chroma.log")
    questions = ["How do I set the title of a plot?", "set logscale on the y axis", "what does splot do",
                 "How are tics labelled?", "set the output terminal to png", "multiplot layout",
                 "How do I fit a function to data?", "set xrange", "line styles and colors", "key position"]
    try:
        for backend, changes in (("embedded", {}), ("server", {"chroma_url": chroma.url})):
            home = root / f"home-{backend}"
            engine = Engine(replace(Settings(), **changes), home=home, embedder=embedder)
            t0 = time.perf_counter()
            events = list(engine.ingest([pdf]))
            wall = time.perf_counter() - t0
            pages = sum(getattr(e, "pages", 0) for e in events if type(e).__name__ == "FileIndexed")
            yield row(f"{backend}: ingest 100-page PDF (pages/s)", round(pages / wall, 1))
            engine.search(questions[0])  # warm
            lat = []
            for _ in range(3):
                for q in questions:
                    t = time.perf_counter()
                    engine.search(q)
                    lat.append((time.perf_counter() - t) * 1000)
            lat.sort()
            yield row(f"{backend}: hybrid query latency p50 / p95 (ms, n={len(lat)})",
                      f"{statistics.median(lat):.1f}/{lat[int(0.95 * len(lat)) - 1]:.1f}")
            engine.close()
    finally:
        chroma.stop()

    gguf = llm_path(models)
    server = start_llama_server(gguf, root / "llama-server.log")
    src = Source(1, "manual.pdf", "/m.pdf", 3, 3, 1.0, "The default port of the admin console is 8443. " * 20)
    try:
        local = LlamaGenerator(gguf, context_size=4096, threads=2)
        remote = OpenAIGenerator(server.url, api="completion")
        for name, gen in (("in-process llama.cpp", local), ("HTTP llama_cpp.server", remote)):
            prompt = build_prompt("Write a long story about the admin console.", [src], gen.count_tokens, 3000)
            list(gen.stream(prompt, 8, 0.0, threading.Event()))  # warm: model loaded, prompt cache primed
            ttfts, rates = [], []
            for i in range(3):
                q = build_prompt(f"Question {i}: write a long story about the admin console.", [src],
                                 gen.count_tokens, 3000)
                t0 = time.perf_counter()
                first = last = None
                n = 0
                for _ in gen.stream(q, 96, 0.0, threading.Event()):
                    last = time.perf_counter()
                    first = first or last
                    n += 1
                ttfts.append(first - t0)
                rates.append((n - 1) / (last - first) if n > 1 and last > first else 0.0)
            yield row(f"{name}: ttft, median of 3 (s)", round(statistics.median(ttfts), 3))
            yield row(f"{name}: tokens/s, median of 3", round(statistics.median(rates), 1))
            gen.close()
    finally:
        server.stop()


_PEAK_HELPER = """
import json, resource, signal, subprocess, sys
limit = float(sys.argv[1]) if sys.argv[1] != "-" else None
proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
try:
    _, err = proc.communicate(timeout=limit)
except subprocess.TimeoutExpired:
    proc.send_signal(signal.SIGINT)  # Ctrl-C, as a user would
    _, err = proc.communicate(timeout=120)
print(json.dumps({"rc": proc.returncode, "err": err[-4000:],
                  "mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def peak_rss(args: list[str], env: dict, limit_s: float | None = None) -> tuple[float, subprocess.CompletedProcess]:
    """Run `args` from a fresh helper process (Ctrl-C after `limit_s` when given) and return the
    largest RSS of any process it waited for (rag-cli or its children), in MiB, with its exit
    status and stderr's tail."""
    helper = [sys.executable, "-c", _PEAK_HELPER, "-" if limit_s is None else str(limit_s), *args]
    proc = subprocess.run(helper, capture_output=True, text=True, env=env, timeout=3600)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["mb"], subprocess.CompletedProcess(args, out["rc"], "", out["err"])
