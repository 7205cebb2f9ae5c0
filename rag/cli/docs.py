from __future__ import annotations

import sys

import click

from .common import emit_json, kb_option, make_engine


def report(events, verbose: bool = False) -> int:
    """Print ingest events on stderr (a live line on a terminal); return how many files failed.
    `verbose` also lists the files inside folders that are not documents. A file is reported
    when its text is searchable (BM25), then when its vectors are stored (indexed)."""
    from rag import (FileFailed, FileIgnored, FileIndexed, FileProgress, FileRemoved, FileSearchable, FileSkipped,
                     FileStarted, IngestDone)

    tty = sys.stderr.isatty()
    failed = 0
    prefix = ""
    prefixes: dict = {}  # path -> "[i/n] name": vectors of a file may finish while a later one is read
    for ev in events:
        if isinstance(ev, FileStarted):
            prefix = prefixes[ev.path] = f"[{ev.index}/{ev.total}] {ev.name}"
            if tty:
                click.echo(f"{prefix}: starting", err=True, nl=False)
        elif isinstance(ev, FileProgress) and tty:
            click.echo(f"\r\x1b[K{prefixes.get(ev.path, ev.name)}: {ev.describe()}", err=True, nl=False)
        elif isinstance(ev, FileIgnored):
            if verbose:
                click.echo(f"{ev.name}: ignored ({ev.reason})", err=True)
        elif isinstance(ev, FileRemoved):
            click.echo(f"{ev.name}: removed (deleted from its watched folder)", err=True)
        elif isinstance(ev, (FileSearchable, FileIndexed, FileSkipped, FileFailed)):
            if tty:
                click.echo("\r\x1b[K", err=True, nl=False)
            if isinstance(ev, FileSearchable):
                msg = f"searchable: {ev.chunks} chunks from {ev.pages} pages ({ev.seconds:.1f} s)"
            elif isinstance(ev, FileIndexed):
                ocr = f", {len(ev.ocr_pages)} read by OCR" if ev.ocr_pages else ""
                msg = f"indexed {ev.chunks} chunks from {ev.pages} pages{ocr} ({ev.seconds:.1f} s)"
                if ev.note:
                    msg += f"; {ev.note}"
            elif isinstance(ev, FileSkipped):
                msg = f"skipped ({ev.reason})"
            else:
                failed += 1
                msg = f"FAILED: {ev.reason}"
            click.echo(f"{prefixes.get(ev.path, ev.name)}: {msg}", err=True)
        elif isinstance(ev, IngestDone):
            removed = f", {ev.removed} removed" if ev.removed else ""
            ignored = ""
            if ev.ignored:
                ignored = f", {ev.ignored} other file(s) ignored (not .pdf/.txt/.md{'' if verbose else '; -v lists them'})"
            lexical = f", {ev.searchable} searchable by text only" if ev.searchable else ""
            click.echo(
                f"done: {ev.indexed} indexed{lexical}, {ev.skipped} skipped, {ev.failed} failed{removed}{ignored}; "
                f"{ev.chunks} chunks in {ev.seconds:.1f} s", err=True)
            if ev.searchable:
                click.echo("note: their vectors are made by the next `rag-cli ingest` or `rag-cli sync` of this "
                           "knowledge base, or by the desktop app; until then search finds them by their words (BM25)",
                           err=True)
    return failed


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@kb_option
@click.option("-v", "--verbose", is_flag=True, help="Also list the files inside folders that are not documents.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait for every file's vectors (--wait), or return as soon as every file is searchable by its "
                   "text (--no-wait: BM25 finds it now; the vectors are made by the next ingest or sync, or the app).")
def ingest(paths: tuple[str, ...], kb_name: str | None, verbose: bool, wait: bool) -> int:
    """Index PDFs, .docx, .epub, .html, .txt and .md files, or folders of them (recursively)."""
    with make_engine() as engine:
        failed = report(engine.ingest(list(paths), kb=kb_name, wait=wait), verbose)
    return 1 if failed else 0


@click.command()
@click.argument("files", nargs=-1)
@click.option("--all", "everything", is_flag=True,
              help="Rebuild the whole knowledge base with its embedding model and the current chunk settings.")
@click.option("--embedder", metavar="NAME",
              help="With --all: rebuild with this embedding model instead (e5, minilm, a catalog name or an "
                   "embedding_model value); the knowledge base keeps it from then on.")
@kb_option
def reindex(files: tuple[str, ...], everything: bool, kb_name: str | None, embedder: str | None) -> int:
    """Index FILES (base names or paths) again from their sources, or rebuild with --all."""
    if not files and not everything:
        raise click.UsageError("name the files to re-index, or pass --all")
    if embedder and not everything:
        raise click.UsageError("--embedder switches a whole knowledge base: use it with --all")
    with make_engine() as engine:
        if everything:
            for rec in engine.missing_sources(kb_name):
                click.echo(f"{rec.name}: the source file is gone ({rec.path}); it is dropped by the rebuild",
                           err=True)
            failed = report(engine.reindex_kb(kb_name, embedder=embedder))
        else:
            failed = report(engine.reindex(list(files), kb_name))
    return 1 if failed else 0


@click.command()
@click.argument("folder", type=click.Path(path_type=str))
@kb_option
@click.option("--no-sync", is_flag=True, help="Only record the folder; index it later with `rag-cli sync`.")
def watch(folder: str, kb_name: str | None, no_sync: bool) -> int:
    """Make a knowledge base follow FOLDER: new, changed and deleted files are picked up by
    `rag-cli sync` and, while it runs, by the desktop app."""
    with make_engine() as engine:
        resolved = engine.watch(folder, kb_name)
        click.echo(f"following {resolved}", err=True)
        failed = 0 if no_sync else report(engine.sync(kb_name))
    return 1 if failed else 0


@click.command()
@click.argument("folder", type=click.Path(path_type=str))
@kb_option
def unwatch(folder: str, kb_name: str | None) -> int:
    """Stop following FOLDER (its files stay indexed; remove them with `rag-cli remove`)."""
    with make_engine() as engine:
        engine.unwatch(folder, kb_name)
    click.echo(f"no longer following {folder}", err=True)
    return 0


@click.command()
@kb_option
@click.option("--list", "show", is_flag=True, help="Only list the watched folders.")
def sync(kb_name: str | None, show: bool) -> int:
    """Index new and changed files of the watched folders; drop the ones deleted from them."""
    with make_engine() as engine:
        if show:
            for folder in engine.watched_folders(kb_name):
                click.echo(folder)
            return 0
        failed = report(engine.sync(kb_name))
    return 1 if failed else 0


@click.command("list")
@kb_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def list_files(kb_name: str | None, as_json: bool) -> int:
    """List the files of a knowledge base: pages, chunks, status, last error."""
    with make_engine() as engine:
        files = engine.list_files(kb_name)
    if as_json:
        emit_json({"kb": kb_name or engine.settings.default_kb, "files": [f.to_json() for f in files]})
        return 0
    if not files:
        click.echo("no files yet; add some with: rag-cli ingest PATH...", err=True)
        return 0
    from rag import display

    width = max(len(display(f.name)) for f in files)
    for f in files:
        line = f"{display(f.name):<{width}}  {f.pages:>5} pages  {f.chunks:>6} chunks  {f.status}"
        if f.error:
            line += f"  ({display(f.error)})"
        click.echo(line)
    return 0


@click.command()
@click.argument("file")
@kb_option
def remove(file: str, kb_name: str | None) -> int:
    """Remove FILE (base name or full path) and its chunks from a knowledge base."""
    with make_engine() as engine:
        rec = engine.remove(file, kb_name)
    click.echo(f"removed {rec.name} ({rec.chunks} chunks)", err=True)
    return 0


@click.command()
@kb_option
@click.option("--repair", is_flag=True, help="Fix what can be fixed (delete orphans, rebuild the lexical index).")
def doctor(kb_name: str | None, repair: bool) -> int:
    """Check the knowledge bases for orphaned chunks, missing source files, model mismatches
    and a lexical index out of sync with the vector store."""
    from rag import RagError

    with make_engine() as engine:
        findings = engine.doctor(kb_name, repair)
        try:
            names = [kb_name] if kb_name else [k.name for k in engine.list_kbs()]
        except RagError:
            names = sorted({f.kb for f in findings})
    for f in findings:
        click.echo(f"[{f.kb}] {f.kind}: {f.message}{' (repaired)' if f.repaired else ''}")
    open_issues = [f for f in findings if not f.repaired and f.kind != "missing-source"]
    click.echo(f"checked {len(names)} knowledge base(s): {len(findings)} finding(s), "
               f"{len(open_issues)} needing action", err=True)
    return 1 if open_issues else 0
