"""`./desk bench answers`: the answers the user reads, on the public QA set and the off-topic
questions, for each answer pipeline side by side in one run (same knowledge base, models
and questions): `generate` (the model answers from whole passages, as RAG Desk did before
the grounding work), `grounded` (the default: evidence quote + checked model text) and
`quote` (the quote alone). Rows overall, by language and by kind; every answer is written to
bench/results/answers-<mode>.json."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

from .suites import QA_FILE, RESULTS, ROOT, _cli, corpus, row

NEGATIVES = ROOT / "bench" / "qa" / "negatives.jsonl"
MODES = tuple(os.environ.get("RAG_BENCH_ANSWER_MODES", "generate,grounded,quote").split(","))


def bench_answers():
    from .machine import machine_rows

    yield from machine_rows()
    files = corpus()
    home = RESULTS / "home-retrieval"
    proc = _cli("ingest", *files.values(), home=home)
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr)
    os.environ["RAG_HOME"] = str(home)
    from rag import Engine, evaluate_answers, load_cases, load_settings

    cases = load_cases(QA_FILE) + load_cases(NEGATIVES, off_topic=True)
    base = load_settings()
    shared = Engine(base)
    embedder, generator = shared.embedder, shared.generator
    results = {}
    for mode in MODES:
        with Engine(replace(base, answer_mode=mode), embedder=embedder, generator=generator) as engine:
            engine.search(cases[0].question)  # warm up: models loaded, store open
            print(f"   {mode}: {len(cases)} questions", file=sys.stderr, flush=True)
            results[mode] = evaluate_answers(lambda q: engine.ask(q), cases)
        (RESULTS / f"answers-{mode}.json").write_text(json.dumps(results[mode], indent=1, ensure_ascii=False))
    shared.close()
    for mode, res in results.items():
        yield from _rows(mode, "all", res["overall"], True)
    for mode, res in results.items():
        for lang, r in res["by_lang"].items():
            yield from _rows(mode, f"lang={lang}", r, False)
        for kind, r in res["by_kind"].items():
            if kind != "off-topic":
                yield row(f"{mode}: answer hit / page cited, kind={kind} (n={r['n']})",
                          f"{r['answer_hit']:.2f}/{r['page_cited']:.2f}")


def _rows(mode: str, part: str, r: dict, full: bool):
    yield row(f"{mode}: gold answer in the first 300 chars, {part} (n={r['n']})", f"{r['answer_hit']:.2f}",
              ">= 0.70" if part == "all" else (">= 0.60" if part == "lang=zh" else ""))
    yield row(f"{mode}: gold page cited / quoted, {part}", f"{r['page_cited']:.2f}/{r['page_quoted']:.2f}",
              ">= 0.95" if part == "all" else "")
    if full:
        yield row(f"{mode}: unsupported tokens in shown answers (answers with any)",
                  f"{r['unsupported_tokens']} ({r['answers_with_unsupported']})", "0")
        yield row(f"{mode}: answerable wrongly refused", f"{r['not_found']:.2f}", "<= 0.05")
        yield row(f"{mode}: off-topic refused (n={r['off_topic']})", f"{r['refused']:.2f}", ">= 0.95")
        yield row(f"{mode}: time to first token p50 (s) / tokens/s p50", f"{r['ttft_p50_s']}/{r['tokens_per_s_p50']}")
