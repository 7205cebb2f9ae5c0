from __future__ import annotations

import json
import sys

import click


def run_guarded(group: click.Group, argv) -> int:
    """Run the CLI; user-facing errors become one clean line on stderr, no traceback."""
    from rag import RagError, SettingsError

    try:
        rv = group.main(args=argv, prog_name="rag-cli", standalone_mode=False)
        return int(rv or 0)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except SettingsError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except RagError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except BrokenPipeError:
        return 0


def make_engine():
    """The engine on the user's settings; use it as a context manager."""
    from rag import Engine

    return Engine()


def emit_json(data) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


kb_option = click.option("--kb", "kb_name", default=None, metavar="NAME",
                         help="Knowledge base (default: the default_kb setting, 'default').")
