"""`rag-cli serve` (the local OpenAI-compatible API) and `rag-cli mcp` (the MCP server on stdio)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--token", default=None, envvar="RAG_SERVE_TOKEN", metavar="TOKEN",
              help="Require 'Authorization: Bearer TOKEN' on every request (or RAG_SERVE_TOKEN).")
def serve(host: str, port: int, token: str | None) -> int:
    """Serve the knowledge bases as an OpenAI-compatible API: /v1/models, /v1/chat/completions
    (model = knowledge base), /v1/search. Ctrl+C stops it."""
    from rag.serve.api import check_bind, serve as run

    check_bind(host, token)
    click.echo("starting the engine…", err=True)
    run(host, port, token, on_ready=lambda url: click.echo(
        f"RAG Desk API on {url} (model = knowledge base name){'; token required' if token else ''}; Ctrl+C stops",
        err=True))
    return 0


@click.command()
def mcp() -> int:
    """Serve the knowledge bases to an MCP client over stdin/stdout (tools search, ask,
    list_documents; a resource per document)."""
    from rag.serve.mcp_server import run_stdio

    run_stdio()
    return 0
