"""`./desk bench progressive`: searchable in seconds.

The 311-page gnuplot manual is dropped on an empty data folder with `rag-cli ingest` (a cold
process, default: it waits for the vectors) while a reader in this process (its own Engine
on the same data folder, as `rag-cli search` beside the app) asks the QA set's English
gnuplot questions (gold pages across the manual) by BM25 every 0.2 s. Rows: seconds from the
drop to the first answer on a gold page and to the moment every question that BM25 answers
on the finished file has been answered on its gold page, to the file's stage `lexical` in the catalog (what `rag-cli list` shows), and to
`indexed`; whether any search result ever showed a file the catalog did not list as
searchable at that moment (list and search must agree); the `--no-wait` return time; and
hybrid retrieval quality on the QA set once embedding finished, against the same corpus
built by the previous, non-progressive pipeline (`BENCH_BASELINE=DIR`: a checkout of it,
e.g. `git archive HEAD | tar -x -C DIR`) or, without one, the quality figures of the
retrieval suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from .suites import BIN, QA_FILE, RESULTS, corpus, empty_home, row

def _questions() -> list[dict]:
    """The English gnuplot questions of the QA set (gold pages spread over the manual)."""
    rows = [json.loads(line) for line in QA_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["file"] == "gnuplot.pdf" and r["lang"] == "en"]


def _on_gold(found, q: dict) -> bool:
    return any(s.file == q["file"] and s.page <= q["page"] <= s.page_end for s in found.sources)


def _env(home: Path, **extra) -> dict:
    return dict(os.environ, RAG_HOME=str(home), **extra)


def _models(home: Path) -> None:
    """Share the bench's exported models (the one-time export is not ingestion)."""
    models = RESULTS / "home-ingest" / "models"
    if not (models / "onnx").exists():  # export once, as bench perf does, before anything is timed
        warm_home = RESULTS / "home-ingest"
        warm = RESULTS / "warm.txt"
        warm_home.mkdir(parents=True, exist_ok=True)
        warm.write_text("Warm-up text so that the embedder is exported before timing.")
        subprocess.run([str(BIN / "rag-cli"), "ingest", str(warm), "--kb", "warmup"], env=_env(warm_home),
                       capture_output=True, text=True, timeout=1800, check=True)
    home.mkdir(parents=True, exist_ok=True)
    if models.exists() and not (home / "models").exists():
        (home / "models").symlink_to(models, target_is_directory=True)


def drop_and_ask(pdf: Path, questions: list[dict], home: Path, args: tuple[str, ...] = (),
                 cli: list[str] | None = None) -> dict:
    """Start `rag-cli ingest PDF` at t=0 and, every 0.2 s from a reader Engine in this process,
    ask (BM25, k=5) each of `questions` not yet answered on its gold page, until the file is
    indexed (or the process ends). Then ask each once more on the finished file: a question
    BM25 does not answer there is not a matter of progressive indexing and is counted apart."""
    from rag import Engine

    empty_home(home, "catalog.sqlite3.bak")
    _models(home)
    reader = None
    first: dict[int, float] = {}  # question index -> seconds to its first answer on the gold page
    lexical_at = indexed_at = None
    disagreements = []  # (t, file shown by search, its status at the time)
    polls = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen([*(cli or [str(BIN / "rag-cli")]), "ingest", str(pdf), *args], env=_env(home),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(proc.stderr), daemon=True).start()
    while True:
        t = time.perf_counter() - t0
        if reader is None and (home / "catalog.sqlite3").is_file():
            os.environ["RAG_HOME"] = str(home)  # the reader's settings are the data folder's, as rag-cli's
            reader = Engine(home=home)
        if reader is not None:
            polls += 1
            try:
                results = [(i, reader.search(q["question"], mode="bm25", k=5)) for i, q in enumerate(questions)
                           if i not in first]
                files = {f.name: f for f in reader.list_files()}  # listed after the searches: stages only move on
            except Exception:  # the catalog is being created
                results, files = [], {}
            for i, found in results:
                for src in found.sources:
                    rec = files.get(src.file)
                    if rec is None or rec.state not in ("lexical", "indexed"):
                        disagreements.append((round(t, 2), src.file, rec.state if rec else "not listed"))
                if _on_gold(found, questions[i]):
                    first[i] = t
            rec = files.get(pdf.name)
            if rec is not None and rec.state in ("lexical", "indexed") and lexical_at is None:
                lexical_at = t
            if rec is not None and rec.state == "indexed":
                indexed_at = t
                break
        if proc.poll() is not None and (reader is None or lexical_at is not None):
            if reader is not None:
                rec = {f.name: f for f in reader.list_files()}.get(pdf.name)
                if rec is not None and rec.state == "indexed" and indexed_at is None:
                    indexed_at = time.perf_counter() - t0
            break
        time.sleep(0.2)
    returned = None
    proc.wait()
    returned = time.perf_counter() - t0
    answerable = set()
    if reader is not None:
        answerable = {i for i, q in enumerate(questions) if _on_gold(reader.search(q["question"], mode="bm25", k=5), q)}
        reader.close()
    if proc.returncode not in (0,):
        raise RuntimeError("".join(stderr)[-2000:])
    answered = {i: first[i] for i in answerable if i in first}
    return {"first": first, "answerable": answerable, "answered": answered,
            "all_answered": max(answered.values()) if answered and len(answered) == len(answerable) else None,
            "first_answer": min(first.values()) if first else None, "lexical": lexical_at, "indexed": indexed_at, "returned": returned,
            "disagreements": disagreements, "polls": polls, "stderr": "".join(stderr)}


def _cold_search(home: Path, question: dict) -> float:
    """A new `rag-cli search --mode bm25` process on the finished folder, launch to exit."""
    t0 = time.perf_counter()
    out = subprocess.run([str(BIN / "rag-cli"), "search", question["question"], "--mode", "bm25", "--json"],
                         env=_env(home), capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return time.perf_counter() - t0


def _quality(home: Path, files: list[Path], baseline: Path | None) -> dict:
    """Ingest the corpus (default: wait for the vectors) and run the QA set dense, bm25, hybrid."""
    empty_home(home, "catalog.sqlite3.bak")
    _models(home)
    env = _env(home)
    cmd = [str(BIN / "rag-cli")]
    if baseline is not None:  # the previous pipeline, from its own checkout, same interpreter and models
        env["PYTHONPATH"] = str(baseline)
        cmd = [sys.executable, "-c", "import sys; from rag.cli import main; sys.exit(main())"]
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "ingest", *map(str, files)], env=env, capture_output=True, text=True, timeout=7200,
                          cwd=str(baseline) if baseline else None)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr[-2000:])
    out = subprocess.run([*cmd, "eval", str(QA_FILE), "--compare", "dense,bm25,hybrid", "--json"], env=env,
                         capture_output=True, text=True, timeout=3600, cwd=str(baseline) if baseline else None)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    res = json.loads(out.stdout)["results"]
    return {"wall": wall, **{m: res[m]["overall"]["hit@5"] for m in ("dense", "bm25", "hybrid")},
            "misses": {m: sorted(x["question"] for x in res[m]["misses"]) for m in ("dense", "bm25", "hybrid")}}


def progress_updates(pdf: Path, home: Path) -> dict:
    """Ingest `pdf` into an empty data folder with an Engine in this process and time the
    "searchable · embedding N%" updates (FileProgress events of stage embedding) between the
    file's FileSearchable and FileIndexed: how often the bar moves while the vectors are made."""
    from rag import Engine, FileIndexed, FileProgress, FileSearchable, load_settings

    empty_home(home, "write.lock")
    _models(home)
    os.environ["RAG_HOME"] = str(home)
    marks: list[tuple[float, str, int]] = []
    with Engine(load_settings()) as engine:
        t0 = time.perf_counter()
        for ev in engine.ingest([pdf]):
            t = time.perf_counter() - t0
            if isinstance(ev, FileSearchable):
                marks.append((t, "searchable", 0))
            elif isinstance(ev, FileProgress) and ev.stage == "embedding":
                marks.append((t, "embedding", ev.done))
            elif isinstance(ev, FileIndexed):
                marks.append((t, "indexed", ev.chunks))
    start = next((t for t, what, _ in marks if what == "searchable"), 0.0)  # the bar shows from here on
    times = [start] + [t for t, what, _ in marks if what != "searchable" and t >= start]
    gaps = [b - a for a, b in zip(times, times[1:])]
    done = [n for _, what, n in marks if what == "embedding"]
    return {"updates": len(done), "longest_gap": max(gaps) if gaps else None,
            "monotonic": done == sorted(done), "indexed": times[-1] if times else None}


def bench_progressive():
    from .machine import machine_rows

    yield from machine_rows()
    files = corpus()
    pdf = files["gnuplot.pdf"]
    questions = _questions()
    home = RESULTS / "home-progressive"
    res = drop_and_ask(pdf, questions, home)
    ok_pages = sorted(questions[i]["page"] for i in res["answerable"])
    yield row("311-page manual dropped: first BM25 answer on a gold page (s after the drop)",
              round(res["first_answer"], 2) if res["first_answer"] is not None else "never") | {
        "note": f"{len(questions)} questions asked every 0.2 s; {res['polls']} polls"}
    yield row("311-page manual dropped: every question BM25 answers on the finished file answered on its gold "
              "page by (s after the drop)",
              round(res["all_answered"], 2) if res["all_answered"] is not None else "never", "<= 10") | {
        "ok": res["all_answered"] is not None and res["all_answered"] <= 10,
        "note": f"{len(res['answerable'])} of {len(questions)} questions "
                f"(gold pages {ok_pages[0] if ok_pages else '-'}-{ok_pages[-1] if ok_pages else '-'}); "
                f"the other {len(questions) - len(res['answerable'])} are BM25 misses on the finished file too"}
    yield row("311-page manual: stage lexical in the catalog (rag-cli list: searchable) (s)",
              round(res["lexical"], 2) if res["lexical"] is not None else "never")
    yield row("311-page manual: stage indexed, all vectors stored (s)",
              round(res["indexed"], 2) if res["indexed"] is not None else "never")
    yield row("search results from a file the list did not show as searchable", len(res["disagreements"]), "<= 0") | {
        "ok": not res["disagreements"], "note": "; ".join(f"{t}s {f} ({s})" for t, f, s in res["disagreements"][:3])}
    moves = progress_updates(pdf, RESULTS / "home-progressive-updates")
    yield row("311-page manual: 'embedding N%' updates while its vectors are made (count)", moves["updates"]) | {
        "note": f"indexed at {moves['indexed'] or 0:.1f} s; never backwards: {moves['monotonic']}"}
    yield row("311-page manual: longest wait between two updates of its progress, searchable to indexed (s)",
              round(moves["longest_gap"], 2) if moves["longest_gap"] is not None else "-")
    latest = max(questions, key=lambda q: q["page"])
    yield row("rag-cli search --mode bm25, a new process, right after (s)", round(_cold_search(home, latest), 2))
    nowait = drop_and_ask(pdf, questions, RESULTS / "home-progressive-nowait", ("--no-wait",))
    yield row("rag-cli ingest --no-wait of the 311-page manual: returns after (s)", round(nowait["returned"], 2)) | {
        "note": f"first BM25 answer at {nowait['first_answer'] or 0:.2f} s; the file is left at stage lexical"}
    # full hybrid quality once embedding finished: the same corpus, the same QA set
    now = _quality(RESULTS / "home-progressive-qa", list(files.values()), None)
    baseline = Path(os.environ["BENCH_BASELINE"]) if os.environ.get("BENCH_BASELINE") else None
    before = _quality(RESULTS / "home-progressive-qa-baseline", list(files.values()), baseline) if baseline else None
    for mode in ("dense", "bm25", "hybrid"):
        if before is None:
            yield row(f"QA hit@5 {mode}, corpus ingested progressively", round(now[mode], 4))
            continue
        lost = sorted(set(now["misses"][mode]) - set(before["misses"][mode]))
        yield row(f"QA hit@5 {mode}: progressive vs previous pipeline (points)",
                        round((now[mode] - before[mode]) * 100, 2), ">= 0") | {
            "ok": now[mode] >= before[mode] - 1e-9,
            "note": f"{now[mode]:.4f} vs {before[mode]:.4f}; questions lost {len(lost)}"}
    yield row("corpus ingest wall time, progressive (s)", round(now["wall"], 1)) | {
        "note": f"previous pipeline {before['wall']:.1f} s" if before else ""}
