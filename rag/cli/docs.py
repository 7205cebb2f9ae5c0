from __future__ import annotations

import sys

import click

from .common import emit_json, kb_option, make_engine


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@kb_option
def ingest(paths: tuple[str, ...], kb_name: str | None) -> int:
    """Index PDFs, .txt and .md files, or folders of them (recursively)."""
    from rag.events import FileFailed, FileIndexed, FileProgress, FileSkipped, FileStarted, IngestDone

    engine = make_engine()
    tty = sys.stderr.isatty()
    failed = 0
    try:
        for ev in engine.ingest(list(paths), kb=kb_name):
            if isinstance(ev, FileStarted):
                prefix = f"[{ev.index}/{ev.total}] {ev.name}"
                if tty:
                    click.echo(f"{prefix}: starting", err=True, nl=False)
            elif isinstance(ev, FileProgress) and tty:
                click.echo(f"\r\x1b[K{prefix}: {ev.describe()}", err=True, nl=False)
            elif isinstance(ev, (FileIndexed, FileSkipped, FileFailed)):
                if tty:
                    click.echo("\r\x1b[K", err=True, nl=False)
                if isinstance(ev, FileIndexed):
                    ocr = f", {len(ev.ocr_pages)} read by OCR" if ev.ocr_pages else ""
                    msg = f"indexed {ev.chunks} chunks from {ev.pages} pages{ocr} ({ev.seconds:.1f} s)"
                    if ev.ocr_failed:
                        msg += f"; OCR could not read page(s) {', '.join(map(str, ev.ocr_failed))}"
                elif isinstance(ev, FileSkipped):
                    msg = f"skipped ({ev.reason})"
                else:
                    failed += 1
                    msg = f"FAILED: {ev.reason}"
                click.echo(f"{prefix}: {msg}", err=True)
            elif isinstance(ev, IngestDone):
                click.echo(
                    f"done: {ev.indexed} indexed, {ev.skipped} skipped, {ev.failed} failed; "
                    f"{ev.chunks} chunks in {ev.seconds:.1f} s", err=True)
    finally:
        engine.close()
    return 1 if failed else 0


@click.command("list")
@kb_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def list_files(kb_name: str | None, as_json: bool) -> int:
    """List the files of a knowledge base: pages, chunks, status, last error."""
    engine = make_engine()
    try:
        files = engine.list_files(kb_name)
    finally:
        engine.close()
    if as_json:
        emit_json({"kb": kb_name or engine.settings.default_kb, "files": [f.to_json() for f in files]})
        return 0
    if not files:
        click.echo("no files yet; add some with: rag-cli ingest PATH...", err=True)
        return 0
    width = max(len(f.name) for f in files)
    for f in files:
        line = f"{f.name:<{width}}  {f.pages:>5} pages  {f.chunks:>6} chunks  {f.state}"
        if f.error:
            line += f"  ({f.error})"
        click.echo(line)
    return 0


@click.command()
@click.argument("file")
@kb_option
def remove(file: str, kb_name: str | None) -> int:
    """Remove FILE (base name or full path) and its chunks from a knowledge base."""
    engine = make_engine()
    try:
        rec = engine.remove(file, kb_name)
    finally:
        engine.close()
    click.echo(f"removed {rec.name} ({rec.chunks} chunks)", err=True)
    return 0


@click.command()
@kb_option
@click.option("--repair", is_flag=True, help="Fix what can be fixed (delete orphans, rebuild the lexical index).")
def doctor(kb_name: str | None, repair: bool) -> int:
    """Check the knowledge bases for orphaned chunks, missing source files, model mismatches
    and a lexical index out of sync with the vector store."""
    from rag.doctor import check

    engine = make_engine()
    try:
        names = [kb_name] if kb_name else [k.name for k in engine.list_kbs()]
        with engine.writer:
            findings = [f for name in names for f in check(engine, name, repair)]
    finally:
        engine.close()
    for f in findings:
        click.echo(f"[{f.kb}] {f.kind}: {f.message}{' (repaired)' if f.repaired else ''}")
    open_issues = [f for f in findings if not f.repaired and f.kind != "missing-source"]
    click.echo(f"checked {len(names)} knowledge base(s): {len(findings)} finding(s), "
               f"{len(open_issues)} needing action", err=True)
    return 1 if open_issues else 0
