from __future__ import annotations

import sys

import click

from .common import emit_json, kb_option, make_engine

k_option = click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Number of passages.")
mode_option = click.option("--mode", type=click.Choice(["dense", "bm25", "hybrid"]), default=None,
                           help="Retrieval: dense, bm25 or hybrid (default: the retrieval_mode setting, hybrid).")
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
    engine = make_engine()
    try:
        result = engine.search(query, kb_name, k, files, mode)
    finally:
        engine.close()
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout (no streaming).")
def ask(question: str, kb_name, k, files, mode, as_json: bool) -> int:
    """Answer QUESTION from your documents; tokens stream to stdout, then the sources."""
    from rag.events import Abstained, AnswerDone, Token

    engine = make_engine()
    done = None
    abstained = None
    try:
        for ev in engine.ask(question, kb_name, k=k, files=files, mode=mode):
            if isinstance(ev, Token) and not as_json:
                sys.stdout.write(ev.text)
                sys.stdout.flush()
            elif isinstance(ev, AnswerDone):
                done = ev
            elif isinstance(ev, Abstained):
                abstained = ev
    finally:
        engine.close()
    if abstained is not None:
        if as_json:
            emit_json({"answer": "", "abstained": abstained.reason,
                       "sources": [s.to_json() for s in abstained.sources], "stats": {}})
        click.echo(f"no answer: {abstained.reason}", err=True)
        return 1
    assert done is not None
    if as_json:
        emit_json({"answer": done.answer, "sources": [s.to_json() for s in done.sources],
                   "stats": done.stats.to_json()})
    else:
        click.echo("\n\nSources:")
        for s in done.sources:
            click.echo(f"[{s.n}] {s.label()}")
        st = done.stats
        click.echo(f"({st.tokens} tokens, first after {st.ttft_s:.2f} s, {st.tokens_per_s:.1f} tokens/s, "
                   f"{st.model})", err=True)
    if not done.answer:
        click.echo("the model produced no answer", err=True)
        return 1
    return 0
