import os
import subprocess
import sys
from pathlib import Path

from pdfs import make_sample_pdf

BIN = Path(sys.executable).parent


def test_chinese_and_non_utf8_names(rag_home, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    make_sample_pdf(folder / "说明书.pdf")
    os.link(folder / "说明书.pdf", os.fsencode(folder) + b"/caf\xe9.pdf")
    env = dict(os.environ, RAG_HOME=str(rag_home))
    proc = subprocess.run([str(BIN / "rag-cli"), "ingest", str(folder)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "说明书.pdf: indexed" in proc.stderr
    assert "caf\\xe9.pdf: FAILED: the file name is not valid UTF-8 text; rename the file" in proc.stderr
    listing = subprocess.run([str(BIN / "rag-cli"), "list"], capture_output=True, text=True, env=env, timeout=120)
    assert "说明书.pdf" in listing.stdout
