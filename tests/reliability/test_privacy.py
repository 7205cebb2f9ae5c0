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
    settings = engine.parts.store.client.get_settings()
    assert settings.anonymized_telemetry is False


def test_openvino_embedder_sends_no_usage_telemetry(tmp_path, models_dir):
    """`import openvino` alone would start Intel's telemetry (files under ~/intel, a forked
    process posting to Google Analytics); RAG Desk loads it with that switched off."""
    pytest.importorskip("openvino")
    home = tmp_path / "user-home"
    home.mkdir()
    script = ("import sys\nfrom pathlib import Path\nfrom rag.embed.embedder import Embedder\n"
              f"e = Embedder('bundled:all-MiniLM-L6-v2', 'cpu', backend='openvino',\n"
              f"             cache_dir=Path({str(models_dir)!r}))\n"
              "print(e.embed_documents(['a passage']).shape, e.backend, sys.modules.get('openvino_telemetry', 'none'))")
    env = dict(os.environ, HOME=str(home))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(1,", "384)", "openvino", "None"]
    assert list(home.iterdir()) == []  # no ~/intel consent, client-id or stats files


def test_cli_and_app_never_try_the_network(rag_home, tmp_path):
    """Stronger than working offline: no process (children included) even tries to open an
    internet socket or send a datagram; telemetry that fails quietly without a network is
    caught here. The app runs its self-test (ingest, ask, open the cited page) offscreen."""
    # `./desk test` installs strace (or names it and stops): a missing one is a failure, not a skip
    assert shutil.which("strace"), "strace is not installed: run the tests with ./desk test, or apt-get install strace"
    pdf = make_sample_pdf(tmp_path / "router.pdf")
    log = tmp_path / "net.log"
    env = dict(os.environ, RAG_HOME=str(rag_home), QT_QPA_PLATFORM="offscreen")
    # A login session always names its user; without USER, the first run's ONNX export (torch)
    # asks the passwd database, which glibc tries through nscd's socket first: a local lookup,
    # not the network, but indistinguishable from a name lookup by the connect alone.
    import pwd

    for var in ("USER", "LOGNAME"):
        env[var] = env.get(var) or pwd.getpwuid(os.getuid()).pw_name
    for args in (["rag-cli", "ingest", str(pdf)], ["rag-cli", "ask", "What is the default port of the admin console?"],
                 ["rag-app", "--self-test"]):
        out = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o", str(log),
                              str(BIN / args[0]), *args[1:]], capture_output=True, text=True, env=env, timeout=300)
        if "ptrace" in out.stderr and out.returncode:
            pytest.skip(f"strace cannot trace here: {out.stderr.strip()[:200]}")
        assert out.returncode == 0, out.stderr
        # AF_INET covers AF_INET6; a name lookup handed to nscd or systemd-resolved is a unix
        # socket whose daemon would go out for us, so those count too.
        calls = [line for line in log.read_text().splitlines()
                 if "AF_INET" in line or ("AF_UNIX" in line and ("nscd" in line or "resolve" in line))]
        assert calls == [], f"{' '.join(args[:2])} tried the network:\n" + "\n".join(calls[:5])
