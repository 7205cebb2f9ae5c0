"""A 2,000-page PDF through a real `rag-cli ingest`: every page is indexed and the peak memory
of the ingesting process (and its reader child) stays bounded: pages are streamed, never
held all at once."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from pdfs import make_many_pages_pdf, make_sample_pdf
from reliability.helpers import BIN, rag_cli

MiB = 1 << 20


def ingest_peak_rss(path: Path, home: Path) -> tuple[int, str]:
    """(peak RSS in bytes of `rag-cli ingest PATH` and its waited-for children, its stderr)."""
    env = dict(os.environ, RAG_HOME=str(home))
    proc = subprocess.Popen([str(BIN / "rag-cli"), "ingest", str(path)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, stderr
    return usage.ru_maxrss * 1024, stderr


def test_two_thousand_pages_index_with_bounded_memory(home, tmp_path):
    small_home = tmp_path / "small-home"
    (small_home / "models").mkdir(parents=True)
    os.symlink(home / "models" / "onnx", small_home / "models" / "onnx")
    baseline, _ = ingest_peak_rss(make_sample_pdf(tmp_path / "four-pages.pdf"), small_home)

    big = make_many_pages_pdf(tmp_path / "register.pdf", 2000)
    peak, stderr = ingest_peak_rss(big, home)
    assert "register.pdf: indexed" in stderr and "from 2000 pages" in stderr, stderr
    (entry,) = json.loads(rag_cli("list", "--json", home=home, timeout=120).stdout)["files"]
    assert entry["pages"] == 2000 and entry["status"] == "indexed"
    found = json.loads(rag_cli("search", "entry 1777", "--json", "--mode", "bm25", home=home, timeout=120).stdout)
    top = found["results"][0]
    assert top["page"] <= 1777 <= top["page_end"] and "entry 1777." in top["text"]
    # Same process, same models: 500x the pages may not cost more than a little extra memory.
    print(f"peak RSS: 4 pages {baseline / MiB:.0f} MiB, 2000 pages {peak / MiB:.0f} MiB")
    assert peak < baseline + 200 * MiB, (baseline / MiB, peak / MiB)
