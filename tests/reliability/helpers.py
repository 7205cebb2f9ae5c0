"""Helpers for the reliability suite: real `rag-cli` processes over an isolated RAG_HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


BIN = Path(sys.executable).parent


def rag_cli(*args, home: Path, env: dict | None = None, timeout: int = 300, prefix: list[str] = ()):
    """Run the real `rag-cli` (optionally behind `prefix`, e.g. setpriv) and return the result."""
    full_env = {**os.environ, "RAG_HOME": str(home), **(env or {})}
    return subprocess.run([*prefix, str(BIN / "rag-cli"), *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def outcomes(stderr: str) -> dict[str, str]:
    """`name: message` lines of `rag-cli ingest` (one per file) as {name: message}."""
    import re

    return {m.group(1): m.group(2) for m in re.finditer(r"^\[\d+/\d+\] (.+?): (.*)$", stderr, re.MULTILINE)}


def unprivileged() -> list[str] | None:
    """A command prefix that runs as `nobody` (the tests run as root, which reads any file);
    [] when the tests already run unprivileged, None when that cannot be arranged."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
