"""`rag-cli`: the headless face of the engine. Imports stay light so --help is instant."""

from __future__ import annotations

import sys

import click

from .chats import chats
from .common import run_guarded
from .docs import doctor, ingest, list_files, reindex, remove, sync, unwatch, watch
from .kb import kb
from .models import models
from .query import ask, evaluate, search
from .serve import mcp, serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag-desk", prog_name="rag-cli")
def cli() -> None:
    """RAG Desk: chat with your PDFs, offline.

    Data lives under $RAG_HOME when set, else in the user data folder; settings in
    settings.toml there (or the user config folder) and RAG_* variables.
    """


@cli.result_callback()
def _exit_code(rv, **_):
    """Commands return their exit status; make it the process's (also under CliRunner)."""
    if rv:
        raise click.exceptions.Exit(int(rv))


for command in (ingest, ask, search, evaluate, list_files, remove, reindex, watch, unwatch, sync, kb, chats,
                doctor, models, serve, mcp):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_guarded(cli, argv))
