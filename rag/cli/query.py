from __future__ import annotations

import sys

import click

from rag import RETRIEVAL_MODES

from .common import emit_json, kb_option, make_engine

k_option = click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Number of passages.")
mode_option = click.option("--mode", type=click.Choice(RETRIEVAL_MODES), default=None,
                           help="Retrieval: dense, bm25 or hybrid (default: retrieval_mode, hybrid); +rerank "
                                "re-reads the top candidates with the reranker setting, or the local LLM.")
file_option = click.option("--file", "files", multiple=True, metavar="NAME",
                           help="Only search these files (base name or path); repeatable.")


@click.command()
@click.argument("query")
@kb_option
@k_option
@file_option
@mode_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def search(query: str, kb_name, k, files, mode, as_json: bool) -> int:
    """Retrieve the best passages for QUERY (no LLM)."""
    with make_engine() as engine:
        result = engine.search(query, kb_name, k, files, mode)
    if as_json:
        emit_json({"results": [s.to_json() for s in result.sources],
                   "stats": {"retrieval_ms": round(result.retrieval_ms, 2)}})
        return 0
    if not result.sources:
        click.echo("no matching passages", err=True)
        return 1
    for s in result.sources:
        snippet = " ".join(s.text.split())
        click.echo(f"[{s.n}] {s.label()}  score {s.score:.3f}\n    {snippet[:300]}")
    click.echo(f"({result.retrieval_ms:.0f} ms)", err=True)
    return 0


@click.command()
@click.argument("question")
@kb_option
@k_option
@file_option
@mode_option
@click.option("--chat", "chat", default=None, metavar="ID|new",
              help="Continue chat ID (follow-up questions use its history), or start a new saved chat.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout (no streaming).")
def ask(question: str, kb_name, k, files, mode, chat, as_json: bool) -> int:
    """Answer QUESTION from your documents; tokens stream to stdout, then the sources."""
    from rag import Abstained, AnswerDone, ChatSaved, Token

    if chat is not None and chat != "new" and not chat.isdigit():
        raise click.BadParameter("give a chat number or 'new'", param_hint="--chat")
    done = abstained = None
    chat_id = None
    with make_engine() as engine:
        for ev in engine.ask(question, kb_name, k=k, files=files, mode=mode, chat=chat):
            if isinstance(ev, Token) and not as_json:
                sys.stdout.write(ev.text)
                sys.stdout.flush()
            elif isinstance(ev, ChatSaved):
                chat_id = ev.chat_id
            elif isinstance(ev, AnswerDone):
                done = ev
            elif isinstance(ev, Abstained):
                abstained = ev
    if chat_id is not None:
        click.echo(f"(chat {chat_id}; continue with --chat {chat_id})", err=True)
    if abstained is not None:
        if as_json:
            emit_json({"answer": "", "abstained": abstained.reason,
                       "sources": [s.to_json() for s in abstained.sources], "stats": {}})
        elif abstained.sources:
            click.echo(abstained.reason)
            click.echo("\nClosest passages:")
            for s in abstained.sources:
                click.echo(f"[{s.n}] {s.label()}: {' '.join(s.text.split())[:160]}")
        click.echo(f"no answer: {abstained.reason}", err=True)
        return 1
    assert done is not None
    if as_json:
        emit_json({"answer": done.answer, "sources": [s.to_json() for s in done.sources],
                   "evidence": [q.to_json() for q in done.evidence], "stats": done.stats.to_json()})
    else:
        click.echo("\n\nSources:")
        for s in done.sources:
            click.echo(f"[{s.n}] {s.label()}")
        if done.evidence:
            click.echo("\nEvidence:")
            for q in done.evidence:
                click.echo(f"[{q.n}] {q.label()}, characters {q.start}-{q.end}: «{q.text}»")
        st = done.stats
        click.echo(f"({st.tokens} tokens, first after {st.ttft_s:.2f} s, {st.tokens_per_s:.1f} tokens/s, "
                   f"{st.model})", err=True)
    if not done.answer:
        click.echo("the model produced no answer", err=True)
        return 1
    return 0


@click.command("eval")
@click.argument("qa_file", type=click.Path(exists=True, dir_okay=False))
@kb_option
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Passages counted as 'in context'.")
@click.option("--compare", default=None, metavar="MODES",
              help="Comma-separated retrieval modes to run side by side, e.g. dense,bm25,hybrid.")
@click.option("--answers", "answers", is_flag=True,
              help="Judge full answers (gold answer in the first 300 characters, page cited, unsupported "
                   "tokens, refusals) instead of retrieval.")
@click.option("--negatives", type=click.Path(exists=True, dir_okay=False), default=None,
              help="With --answers: a JSON-lines file of off-topic questions that should be refused.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def evaluate(qa_file: str, kb_name, k: int, compare: str | None, answers: bool, negatives: str | None,
             as_json: bool) -> int:
    """Measure retrieval (or, with --answers, answers) on QA_FILE (JSON lines: question,
    file, page[, pages, answer, lang, kind])."""
    from pathlib import Path

    if answers:
        return _evaluate_answers(Path(qa_file), Path(negatives) if negatives else None, kb_name, k, as_json)

    from rag import EVAL_CUTOFFS, evaluate_retrieval, load_qa

    records = load_qa(Path(qa_file))
    modes = [m.strip() for m in (compare or "").split(",") if m.strip()] or [None]
    for m in modes:
        if m is not None and m not in RETRIEVAL_MODES:
            raise click.BadParameter(f"unknown mode {m!r}; choose from {', '.join(RETRIEVAL_MODES)}",
                                     param_hint="--compare")
    results = {}
    with make_engine() as engine:
        for mode in modes:
            name = mode or engine.settings.retrieval_mode
            engine.search(records[0].question, kb_name, 1, mode=mode)  # warm up models
            results[name] = evaluate_retrieval(lambda q, depth: engine.search(q, kb_name, depth, mode=mode).sources,
                                               records, k)
    if as_json:
        emit_json({"k": k, "questions": len(records), "results": results})
        return 0
    header = f"{'mode':<10}{'slice':<14}{'n':>4}" + "".join(f"{'hit@' + str(c):>8}" for c in EVAL_CUTOFFS)
    header += f"{'MRR':>8}{'ans@k':>8}{'p50ms':>8}{'p95ms':>8}"
    click.echo(header)
    for name, res in results.items():
        slices = [("all", res["overall"])] + [(f"lang={lang}", row) for lang, row in res["by_lang"].items()]
        for label, row in slices:
            ans = "-" if row["answer_in_context"] is None else f"{row['answer_in_context']:.2f}"
            click.echo(f"{name:<10}{label:<14}{row['n']:>4}" + "".join(f"{row[f'hit@{c}']:>8.2f}" for c in EVAL_CUTOFFS)
                       + f"{row['mrr']:>8.3f}{ans:>8}{row['p50_ms']:>8.1f}{row['p95_ms']:>8.1f}")
    return 0


def _evaluate_answers(qa_file, negatives, kb_name, k: int, as_json: bool) -> int:
    from rag import evaluate_answers, load_cases

    cases = load_cases(qa_file) + (load_cases(negatives, off_topic=True) if negatives else [])
    if not cases:
        raise click.BadParameter(f"{qa_file.name} holds no records with an answer", param_hint="QA_FILE")

    def progress(i, n, outcome):
        if sys.stderr.isatty():
            click.echo(f"\r\x1b[K[{i}/{n}] {'hit' if outcome.hit else '-'}", err=True, nl=False)

    with make_engine() as engine:
        result = evaluate_answers(lambda q: engine.ask(q, kb_name, k=k), cases, progress)
    if sys.stderr.isatty():
        click.echo("", err=True)
    if as_json:
        emit_json({"k": k, "questions": len(cases), **result})
        return 0
    click.echo(f"{'slice':<22}{'n':>4}{'hit':>7}{'cited':>7}{'quoted':>7}{'notfnd':>7}{'unsup':>6}"
               f"{'refused':>8}{'ttft':>7}{'tok/s':>7}")
    slices = [("all", result["overall"])] + [(f"lang={x}", r) for x, r in result["by_lang"].items()] \
        + [(f"kind={x}", r) for x, r in result["by_kind"].items()]
    for label, r in slices:
        cell = lambda v, f="{:.2f}": "-" if v is None else f.format(v)  # noqa: E731
        click.echo(f"{label:<22}{r['n']:>4}{cell(r['answer_hit']):>7}{cell(r['page_cited']):>7}"
                   f"{cell(r['page_quoted']):>7}{cell(r['not_found']):>7}{r['unsupported_tokens']:>6}"
                   f"{cell(r['refused']):>8}{cell(r['ttft_p50_s']):>7}{cell(r['tokens_per_s_p50'], '{:.1f}'):>7}")
    return 0
