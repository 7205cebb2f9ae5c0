from __future__ import annotations

import click

from .common import emit_json, make_engine


@click.group()
def chats() -> None:
    """Saved conversations (the desktop app's chat history)."""


@chats.command("list")
@click.option("--json", "as_json", is_flag=True)
def chats_list(as_json: bool) -> int:
    """List chats, most recent first."""
    with make_engine() as engine:
        items = engine.chats.chats()
    if as_json:
        emit_json({"chats": [{"id": c.id, "title": c.title, "kb": c.kb, "updated": c.updated} for c in items]})
        return 0
    for c in items:
        click.echo(f"{c.id}\t{c.kb}\t{c.title}")
    return 0


@chats.command("show")
@click.argument("chat_id", type=int)
def chats_show(chat_id: int) -> int:
    """Print a chat as Markdown, with its sources."""
    with make_engine() as engine:
        click.echo(engine.chats.export_markdown(chat_id))
    return 0


@chats.command("export")
@click.argument("chat_id", type=int)
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
def chats_export(chat_id: int, output: str) -> int:
    """Write a chat to a Markdown file."""
    from pathlib import Path

    with make_engine() as engine:
        Path(output).write_text(engine.chats.export_markdown(chat_id) + "\n", encoding="utf-8")
    click.echo(f"wrote {output}", err=True)
    return 0


@chats.command("rename")
@click.argument("chat_id", type=int)
@click.argument("title")
def chats_rename(chat_id: int, title: str) -> int:
    """Rename a chat."""
    with make_engine() as engine:
        engine.chats.rename(chat_id, title)
    return 0


@chats.command("delete")
@click.argument("chat_id", type=int)
def chats_delete(chat_id: int) -> int:
    """Delete a chat."""
    with make_engine() as engine:
        engine.chats.delete(chat_id)
    click.echo(f"deleted chat {chat_id}", err=True)
    return 0
