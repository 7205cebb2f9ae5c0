"""Bad settings and bad models: a clear error naming the file and the fix in `rag-cli`, and an
app that starts anyway, on the bundled defaults, saying what was wrong in its status bar."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pdfs import make_sample_pdf
from reliability.helpers import BIN, rag_cli

QUESTION = "What is the default port of the admin console?"


@pytest.fixture(scope="module")
def bundled_gguf(models_dir) -> Path:
    from models.bundled import llm_path

    return llm_path(models_dir)


def seed_bundled(home: Path, gguf: Path) -> None:
    """Put the already assembled bundled GGUF (hard link + its stamp) under home/models."""
    target = home / "models" / gguf.name
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.link(gguf, target)
        shutil.copy(gguf.with_name(gguf.name + ".verified.json"), target.with_name(gguf.name + ".verified.json"))


def bad_models(folder: Path, gguf: Path) -> dict[str, tuple[dict, str]]:
    """name -> (RAG_* variables, what the message must say)."""
    folder.mkdir(parents=True, exist_ok=True)
    junk = folder / "random.gguf"
    junk.write_bytes(os.urandom(1 << 16))
    head = folder / "header-cut.gguf"
    with gguf.open("rb") as f:
        head.write_bytes(f.read(1 << 16))
    cut = folder / "download-cut.gguf"
    with gguf.open("rb") as f:
        cut.write_bytes(f.read(20 << 20))
    big = folder / "big-model.gguf"
    os.symlink(gguf, big)
    missing = folder / "nowhere" / "model.gguf"
    return {
        "missing": ({"RAG_LLM_MODEL": str(missing)},
                    f"LLM file {missing} does not exist; pick a .gguf file in settings (llm_model)"),
        "random bytes": ({"RAG_LLM_MODEL": str(junk)}, "random.gguf is not a GGUF model file; llama.cpp needs a .gguf file"),
        "truncated header": ({"RAG_LLM_MODEL": str(head)},
                             "header-cut.gguf: the GGUF header is truncated; the file is incomplete or damaged"),
        "truncated weights": ({"RAG_LLM_MODEL": str(cut)},
                              "download-cut.gguf is incomplete: its header describes 253,113,024 bytes of weights but "
                              "the file has 20,971,520; the download was cut short or the file is damaged: download it "
                              "again"),
        "too large": ({"RAG_LLM_MODEL": str(big), "RAG_CONTEXT_SIZE": "32768", "RAG_MEMORY_LIMIT_MB": "600"},
                      "big-model.gguf needs about 0.87 GiB (weights 0.24 GiB + KV cache 0.56 GiB for a 32768-token "
                      "context + 0.07 GiB buffers), but only 0.59 GiB is memory_limit_mb = 600; lower context_size"),
    }


def test_cli_names_the_bad_model_file_and_the_fix(home, tmp_path, bundled_gguf):
    ingest = rag_cli("ingest", make_sample_pdf(tmp_path / "router.pdf"), home=home)
    assert ingest.returncode == 0, ingest.stderr
    for case, (env, message) in bad_models(tmp_path / "models", bundled_gguf).items():
        proc = rag_cli("ask", QUESTION, home=home, env=env)
        assert proc.returncode == 1, (case, proc.stderr)
        assert proc.stderr.startswith("error: ") and message in proc.stderr, (case, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == "", case


@pytest.mark.parametrize("content", ["top_k = [\n", "llm_model = 'x'\nllm_model = 'y'\n", "\xff\xfe bad bytes"])
def test_cli_names_a_malformed_settings_file(rag_home, content):
    rag_home.mkdir()
    (rag_home / "settings.toml").write_bytes(content.encode("latin-1"))
    proc = rag_cli("ask", QUESTION, home=rag_home, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"error: {rag_home / 'settings.toml'}: not valid TOML")
    assert "fix or delete the file to return to the defaults" in proc.stderr


def test_settings_file_that_is_a_folder(rag_home):
    (rag_home / "settings.toml").mkdir(parents=True)
    proc = rag_cli("list", home=rag_home, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{rag_home / 'settings.toml'}: cannot read the settings file" in proc.stderr


# ---- the desktop app -----------------------------------------------------------------------------


def test_app_falls_back_to_the_bundled_model_and_says_why(qtbot, rag_home, tmp_path, bundled_gguf, monkeypatch):
    pytest.importorskip("pytestqt")
    from app.main import make_engine
    from app.window import MainWindow
    from rag.settings import BUNDLED_LLM

    seed_bundled(rag_home, bundled_gguf)
    for case, (env, message) in bad_models(tmp_path / "models", bundled_gguf).items():
        with monkeypatch.context() as m:
            for var, value in env.items():
                m.setenv(var, value)
            engine, problem = make_engine()
        assert engine.settings.llm_model == BUNDLED_LLM, case
        assert problem and message in problem and "using the bundled model" in problem, (case, problem)
        if case == "too large":
            assert engine.settings.context_size == 4096 and "with a 4096-token context" in problem
        window = MainWindow(engine)
        qtbot.addWidget(window)
        window.show_error(problem)  # what app.main.main() does with it
        window.show()
        assert message in window.statusBar().currentMessage(), case
        window.close()
        engine.close()


def test_app_with_bad_settings_starts_on_the_defaults(qtbot, rag_home):
    pytest.importorskip("pytestqt")
    from app.main import make_engine
    from rag.settings import Settings

    rag_home.mkdir()
    (rag_home / "settings.toml").write_text("top_k = [\n", encoding="utf-8")
    engine, problem = make_engine()
    assert engine.settings == Settings()
    assert problem.startswith(f"{rag_home / 'settings.toml'}: not valid TOML")
    assert problem.endswith("; using the default settings for now")
    engine.close()


def run_app(home: Path, env: dict) -> subprocess.CompletedProcess:
    full = dict(os.environ, RAG_HOME=str(home), QT_QPA_PLATFORM="offscreen", **env)
    return subprocess.run([str(BIN / "rag-app"), "--exit-when-shown"], capture_output=True, text=True, env=full,
                          timeout=180)


def test_real_app_process_starts_with_a_broken_setup(rag_home, tmp_path, bundled_gguf):
    """`rag-app` as a process: malformed settings, then a corrupt model; the window opens each
    time (exit 0) and the log names the problem."""
    seed_bundled(rag_home, bundled_gguf)
    (rag_home / "settings.toml").write_text("theme = \n", encoding="utf-8")
    first = run_app(rag_home, {})
    assert first.returncode == 0 and "window shown" in first.stderr and "Traceback" not in first.stderr, first.stderr
    log = (rag_home / "logs" / "rag-desk.log").read_text(encoding="utf-8")
    assert "not valid TOML" in log and "using the default settings for now" in log

    (rag_home / "settings.toml").unlink()
    junk = tmp_path / "random.gguf"
    junk.write_bytes(os.urandom(4096))
    second = run_app(rag_home, {"RAG_LLM_MODEL": str(junk)})
    assert second.returncode == 0 and "window shown" in second.stderr, second.stderr
    log = (rag_home / "logs" / "rag-desk.log").read_text(encoding="utf-8")
    assert "random.gguf is not a GGUF model file" in log and "using the bundled model" in log
