from __future__ import annotations

import click

from .common import emit_json, make_engine


@click.group()
def kb() -> None:
    """Manage knowledge bases."""


@kb.command("list")
@click.option("--json", "as_json", is_flag=True)
def kb_list(as_json: bool) -> int:
    """List knowledge bases."""
    with make_engine() as engine:
        kbs = engine.list_kbs()
    if as_json:
        emit_json({"kbs": [{"name": k.name, "files": k.files, "chunks": k.chunks,
                            "embed_model": k.embed_model} for k in kbs]})
        return 0
    if not kbs:
        click.echo("no knowledge bases yet; `rag-cli ingest` creates 'default'", err=True)
    for k in kbs:
        click.echo(f"{k.name}\t{k.files} files\t{k.chunks} chunks\t{k.embed_model or '-'}")
    return 0


@kb.command("create")
@click.argument("name")
@click.option("--embedder", metavar="NAME",
              help="Embedding model it is built with: e5 (multilingual-e5-small, for Chinese documents), minilm "
                   "(the bundled English one), a catalog name or an embedding_model value; default: the "
                   "embedding_model setting.")
def kb_create(name: str, embedder: str | None) -> int:
    """Create an empty knowledge base."""
    with make_engine() as engine:
        kb = engine.create_kb(name, embedder=embedder)
    built = f" (embedder {kb.embed_model})" if kb.embed_model else ""
    click.echo(f"created knowledge base '{name}'{built}", err=True)
    return 0


@kb.command("rename")
@click.argument("old")
@click.argument("new")
def kb_rename(old: str, new: str) -> int:
    """Rename a knowledge base."""
    with make_engine() as engine:
        engine.rename_kb(old, new)
    click.echo(f"renamed '{old}' to '{new}'", err=True)
    return 0


@kb.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def kb_delete(name: str, yes: bool) -> int:
    """Delete a knowledge base and its index (your files are not touched)."""
    if not yes and not click.confirm(f"Delete knowledge base '{name}' and its index?", err=True):
        return 1
    with make_engine() as engine:
        engine.delete_kb(name)
    click.echo(f"deleted knowledge base '{name}'", err=True)
    return 0
