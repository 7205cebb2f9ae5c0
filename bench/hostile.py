"""`./desk bench hostile`: a 200 MB text file, the case that used to fail after 10-20 s with
3-4 GB RSS. Reading it (pages/s, peak memory of the reader) and a real `rag-cli ingest` of it
stopped after a fixed time (embedding 200 MB takes hours on a laptop CPU): its peak RSS,
children included, and that the store stays clean after the stop. A small file is ingested
first in the same data folder, so the one-time model preparation of a first launch (the ONNX
export, in a child process of its own) is its own row and the large file's row measures the large file."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import tracemalloc

from .suites import BIN, RESULTS, peak_rss, row

SIZE_MB = int(os.environ.get("RAG_BENCH_TEXT_MB", "200"))
INGEST_S = float(os.environ.get("RAG_BENCH_TEXT_S", "90"))


def big_text():
    path = RESULTS / f"big-{SIZE_MB}mb.txt"
    if not path.exists() or path.stat().st_size < SIZE_MB << 20:
        RESULTS.mkdir(parents=True, exist_ok=True)
        line = "The gateway keeps its logs for thirty days, rotates them at midnight and mails a summary.\n"
        with path.open("w", encoding="utf-8") as f:
            n = 0
            while f.tell() < SIZE_MB << 20:
                f.write("".join(f"{n + i} {line}" for i in range(10_000)))
                n += 10_000
    return path


def bench_hostile():
    from rag.ingest.readers.plain_text import TextDocument

    path = big_text()
    tracemalloc.start()
    t0 = time.perf_counter()
    pages = sum(1 for _ in TextDocument(path, markdown=False).pages())
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    yield row(f"{SIZE_MB} MB .txt read as pages: pages, pages/s", f"{pages}, {pages / seconds:.0f}")
    yield row("peak Python memory while reading it (MB)", f"{peak / 2**20:.1f}")
    home = RESULTS / "home-hostile"
    shutil.rmtree(home, ignore_errors=True)  # a first launch, every run
    env = dict(os.environ, RAG_HOME=str(home))
    small = RESULTS / "small-hostile.txt"
    small.write_text("The gateway keeps its logs for thirty days.\n" * 50, encoding="utf-8")
    cli = str(BIN / "rag-cli")
    first, _ = peak_rss([cli, "ingest", str(small)], env)
    yield row("first launch in a new data folder (model preparation) + a 2 KB .txt: peak RSS (MB)", f"{first:.0f}")
    rss, proc = peak_rss([cli, "ingest", str(path)], env, INGEST_S)
    yield row(f"rag-cli ingest of it for {INGEST_S:g} s, then Ctrl-C: peak RSS incl. children (MB)", f"{rss:.0f}",
              "<= 1024")
    tail = proc.stderr.strip().splitlines()[-1:]
    listed = subprocess.run([str(BIN / "rag-cli"), "list"], env=env, capture_output=True, text=True)
    shown = [line for line in listed.stdout.splitlines() if path.name in line] or [listed.stderr.strip()]
    yield {**row("after the stop: rag-cli list", " ".join(shown[0].split())[:70]),
           "note": " ".join(tail)[:100]}

