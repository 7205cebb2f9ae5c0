"""Nothing leaves the machine: ingest and ask work in a process that has no network at all."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pdfs import make_sample_pdf

BIN = Path(sys.executable).parent


def offline(*args, home):
    """Run rag-cli in a fresh network namespace (only a downed loopback): no route anywhere."""
    env = dict(os.environ, RAG_HOME=str(home))
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # prove we do not rely on them
        env.pop(var, None)
    return subprocess.run(["unshare", "--net", str(BIN / "rag-cli"), *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.mark.skipif(shutil.which("unshare") is None or os.geteuid() != 0, reason="needs root and unshare")
def test_ingest_and_ask_without_network(rag_home, tmp_path):
    pdf = make_sample_pdf(tmp_path / "router.pdf")
    ingest = offline("ingest", pdf, home=rag_home)
    assert ingest.returncode == 0, ingest.stderr
    assert "router.pdf: indexed" in ingest.stderr
    ask = offline("ask", "What is the default port of the admin console?", "--json", home=rag_home)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert answer["answer"] and answer["sources"][0]["page"] == 2


def test_chromadb_telemetry_is_off(make_engine):
    engine = make_engine()
    settings = engine.store.client.get_settings()
    assert settings.anonymized_telemetry is False

