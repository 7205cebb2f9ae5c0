"""The CLI as a user runs it: real subprocesses, real models, real files."""

import json
import os
import subprocess
import sys
from pathlib import Path

from pdfs import make_sample_pdf

BIN = Path(sys.executable).parent


def cli(*args, home, check_rc=None, timeout=300):
    env = dict(os.environ, RAG_HOME=str(home))
    proc = subprocess.run([str(BIN / "rag-cli"), *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=timeout)
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def test_help_imports_nothing_heavy():
    code = ("import sys; from rag.cli import cli\n"
            "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'chromadb', 'llama_cpp', 'PySide6', 'sentence_transformers', 'numpy')"
            " if m in sys.modules]\nprint('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage:" in out and "HEAVY []" in out


def test_usage_errors_exit_2(rag_home):
    assert cli("ask", home=rag_home).returncode == 2
    assert cli("frobnicate", home=rag_home).returncode == 2
    assert cli("search", "x", "-k", "0", home=rag_home).returncode == 2


def test_bad_setting_is_one_clean_line(rag_home):
    rag_home.mkdir()
    (rag_home / "settings.toml").write_text("top_k = 'lots'\n")
    proc = cli("list", home=rag_home, check_rc=2)
    assert "setting 'top_k' must be a int" in proc.stderr and "Traceback" not in proc.stderr


def test_ingest_search_ask_list_remove(rag_home, tmp_path, real_pdfs):
    pdf = make_sample_pdf(tmp_path / "router.pdf")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    real = real_pdfs["asymptote-CAD.pdf"]

    proc = cli("ingest", pdf, tmp_path / "broken.pdf", real, home=rag_home, check_rc=1)
    assert "router.pdf: indexed" in proc.stderr and "asymptote-CAD.pdf: indexed" in proc.stderr
    assert "broken.pdf: FAILED: the PDF is damaged" in proc.stderr
    assert proc.stdout == ""
    assert "router.pdf: skipped (unchanged)" in cli("ingest", pdf, home=rag_home, check_rc=0).stderr

    listing = json.loads(cli("list", "--json", home=rag_home, check_rc=0).stdout)
    status = {f["file"]: f for f in listing["files"]}
    assert status["router.pdf"]["status"] == "indexed" and status["router.pdf"]["pages"] == 4
    assert status["broken.pdf"]["status"] == "failed" and "damaged" in status["broken.pdf"]["error"]

    found = json.loads(cli("search", "admin console port", "--json", "-k", "3", home=rag_home,
                           check_rc=0).stdout)
    assert set(found["results"][0]) == {"n", "file", "path", "page", "page_end", "score", "text", "ocr", "section"}
    assert found["results"][0]["ocr"] is False  # a text-layer page
    assert found["results"][0]["file"] == "router.pdf" and found["results"][0]["page"] == 2
    assert isinstance(found["results"][0]["page"], int) and found["stats"]["retrieval_ms"] >= 0
    assert len(found["results"]) == 3

    # a question about the real Debian PDF cites its page
    real_hit = json.loads(cli("search", "Which pen is used for invisible edges?", "--file",
                              "asymptote-CAD.pdf", "--json", home=rag_home, check_rc=0).stdout)["results"]
    assert all(r["file"] == "asymptote-CAD.pdf" for r in real_hit)
    assert any("pInvisibleEdge" in r["text"] for r in real_hit[:3])

    answer = json.loads(cli("ask", "What is the default port of the admin console?", "--json",
                            home=rag_home, check_rc=0).stdout)
    assert set(answer) == {"answer", "sources", "evidence", "stats"}
    assert set(answer["stats"]) == {"retrieval_ms", "ttft_s", "tokens", "tokens_per_s", "model"}
    assert answer["answer"] and answer["stats"]["tokens"] > 0
    assert ("router.pdf", 2) in [(s["file"], s["page"]) for s in answer["sources"]]
    # the answer rests on a verbatim quote of page 2, with its span on the page
    quote = answer["evidence"][0]
    assert set(quote) == {"n", "file", "page", "quote", "start", "end"}
    assert (quote["file"], quote["page"]) == ("router.pdf", 2) and "8443" in quote["quote"]
    assert "8443" in answer["answer"][:300] and 0 <= quote["start"] < quote["end"]

    streamed = cli("ask", "What is the default port of the admin console?", home=rag_home, check_rc=0)
    assert "Sources:" in streamed.stdout and "router.pdf p.2" in streamed.stdout
    assert "Evidence:\n[" in streamed.stdout and "router.pdf p.2, characters" in streamed.stdout
    # the quote streams first, while the model still loads: llama-cpp-python's quiet loading
    # pointed stdout at /dev/null meanwhile, and the quote vanished
    assert streamed.stdout.startswith("«") and "8443" in streamed.stdout.split("»")[0]
    assert "tokens/s" in streamed.stderr

    # once the ONNX export exists, answering never imports torch or sentence-transformers
    code = ("import sys; from rag import Engine; e = Engine(); e.search('admin console port');"
            "print('HEAVY', [m for m in ('torch', 'sentence_transformers') if m in sys.modules])")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ, RAG_HOME=str(rag_home)))
    assert "HEAVY []" in probe.stdout, probe.stderr

    assert "removed router.pdf" in cli("remove", "router.pdf", home=rag_home, check_rc=0).stderr
    assert "not in knowledge base" in cli("remove", "router.pdf", home=rag_home, check_rc=1).stderr


def test_kb_commands(rag_home):
    cli("kb", "create", "papers", home=rag_home, check_rc=0)
    assert "already exists" in cli("kb", "create", "papers", home=rag_home, check_rc=1).stderr
    cli("kb", "rename", "papers", "articles", home=rag_home, check_rc=0)
    names = [k["name"] for k in json.loads(cli("kb", "list", "--json", home=rag_home, check_rc=0).stdout)["kbs"]]
    assert "articles" in names and "papers" not in names
    cli("kb", "delete", "articles", "--yes", home=rag_home, check_rc=0)
    assert "does not exist" in cli("list", "--kb", "articles", home=rag_home, check_rc=1).stderr


def test_ask_on_empty_kb_exits_1(rag_home):
    proc = cli("ask", "anything?", home=rag_home, check_rc=1)
    assert "no answer" in proc.stderr
