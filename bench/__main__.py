"""Run the benchmark suite and print a table of figures and ratios.

    ./desk bench [SUITE ...] [--json FILE]       suites: cli, ingest, ask, retrieval, rerank, abstain, langchain, scaleout, gui, ocr, perf, overlap, answers, formats, serve,
                                                 multilingual, progressive, int8, avx2, ingest-avx2
                                                 (default: all but perf/overlap/rerank/answers/formats/serve/multilingual; `perf` is the issue's target table)

Real PDFs come from scripts/fetch_pdfs.py; every suite works in its own RAG_HOME under
bench/results/ (ignored by git) so nothing touches the user's data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import answers, avx2, hostile, formats, int8, multilingual, ocr, perf, progressive, serve, suites

SUITES = {"cli": suites.bench_cli, "ingest": suites.bench_ingest, "ask": suites.bench_ask,
          "retrieval": suites.bench_retrieval, "rerank": suites.bench_rerank, "abstain": suites.bench_abstain,
          "langchain": suites.bench_langchain, "gui": suites.bench_gui, "scaleout": suites.bench_scaleout, "ocr": ocr.bench_ocr,
          "perf": perf.bench_perf, "overlap": perf.bench_overlap, "answers": answers.bench_answers, "hostile": hostile.bench_hostile,
          "formats": formats.bench_formats, "serve": serve.bench_serve,
          "multilingual": multilingual.bench_multilingual, "progressive": progressive.bench_progressive,
          "int8": int8.bench_int8, "avx2": avx2.bench_avx2, "ingest-avx2": avx2.bench_ingest_avx2}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("suites", nargs="*", help=f"any of: {', '.join(SUITES)}")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    chosen = args.suites or [s for s in SUITES if s not in ("perf", "overlap", "rerank", "answers", "formats", "serve", "hostile",
                                                               "multilingual", "progressive", "int8", "avx2", "ingest-avx2")]
    unknown = [s for s in chosen if s not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s): {', '.join(unknown)}; choose from {', '.join(SUITES)}")
    rows: list[dict] = []
    for name in chosen:
        print(f"== {name}", file=sys.stderr, flush=True)
        for row in SUITES[name]():
            rows.append({"suite": name, **row})
            verdict = {True: "pass", False: "FAIL"}.get(row.get("ok"), "")
            print(f"  {row['what']:<62} {row['value']!s:>12} {row.get('target', ''):>10} {verdict:>5}"
                  f"{'  ' + row['note'] if row.get('note') else ''}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
