import numpy as np

from rag.embed.embedder import Embedder, onnx_eligible
from rag.settings import BUNDLED_EMBEDDER

TEXTS = ["How do I set the title of a plot?", "额定电压是多少", "word " * 400, "x"]


def test_default_backend_is_the_fastest_cpu_graph_and_matches_torch(embedder):
    from rag.embed.embedder import available_backends

    assert embedder.backend == available_backends()[0] and embedder.backend in ("openvino", "onnx")
    assert onnx_eligible(embedder.model_dir)
    torch_emb = Embedder(BUNDLED_EMBEDDER, "cpu", backend="torch")
    a = embedder.embed_documents(TEXTS)
    finished = []
    b = torch_emb.embed_documents(TEXTS, done=finished.extend)  # done(indices) per batch: progress
    assert sorted(finished) == [0, 1, 2, 3]
    assert a.shape == b.shape == (4, 384) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert (a * b).sum(axis=1).min() > 0.9999


def test_onnx_export_is_cached(embedder, models_dir):
    from rag.embed.runtimes import onnx_path

    path = onnx_path(embedder.model_dir, models_dir)
    assert path.exists()
    mtime = path.stat().st_mtime_ns
    again = Embedder(BUNDLED_EMBEDDER, "auto", cache_dir=models_dir)
    again.embed_query("hello")
    assert path.stat().st_mtime_ns == mtime, "an exported model is reused, not re-exported"


def test_counter_counts_without_special_tokens(embedder):
    assert embedder.counter.count(["hello world"]) == [2]


def test_openvino_chosen_automatically_falls_back_to_onnx_when_it_cannot_run(embedder, models_dir, monkeypatch):
    import pytest

    from rag.embed import embedder as embedding
    from rag.embed.runtimes import OnnxEncoder

    def broken(self, path, threads, cache):
        raise RuntimeError("CPU plugin: unsupported instruction set")

    monkeypatch.setattr(OnnxEncoder, "_load_openvino", broken)
    monkeypatch.setattr(embedding, "available_backends", lambda: ["openvino", "onnx"])
    auto = Embedder(BUNDLED_EMBEDDER, "auto", cache_dir=models_dir)
    assert auto.backend == "openvino"
    vec = auto.embed_documents(["How do I set the title of a plot"])[0]
    assert auto.backend == "onnx" and auto.precision == "onnx-fp32"
    assert float(vec @ embedder.embed_query("How do I set the title of a plot")) > 0.9999
    chosen = Embedder(BUNDLED_EMBEDDER, "cpu", backend="openvino", cache_dir=models_dir)
    with pytest.raises(RuntimeError, match="unsupported instruction set"):
        chosen.embed_documents(["hello"])  # asked for by name: the error is the user's to see


def test_query_and_passage_prefixes_of_e5_bge_and_prompt_configured_models(embedder, tmp_path):
    import json
    import shutil

    from rag.embed.embedder import embedding_prefixes

    assert embedding_prefixes(embedder.name, embedder.model_dir) == ("", "")
    assert embedding_prefixes("intfloat/multilingual-e5-small", tmp_path) == ("query: ", "passage: ")
    assert embedding_prefixes("BAAI/bge-small-en-v1.5", tmp_path)[0].startswith("Represent this sentence")
    assert embedding_prefixes("BAAI/bge-small-zh-v1.5", tmp_path)[0].startswith("为这个句子")
    assert embedding_prefixes("BAAI/bge-m3", tmp_path) == ("", "")

    # A real model folder whose name marks it as an e5 model: texts get e5's markers on every
    # backend, and the vectors are those of the marked texts.
    e5 = tmp_path / "tiny-multilingual-e5"
    shutil.copytree(embedder.model_dir, e5)
    for backend in ("torch", "onnx"):
        marked = Embedder(str(e5), "cpu", backend=backend, cache_dir=tmp_path / f"cache-{backend}")
        assert (marked.query_prefix, marked.passage_prefix) == ("query: ", "passage: ")
        raw = marked._encode(["query: fan speed", "passage: The fan speed is set in the BIOS."])
        assert np.allclose(marked.embed_query("fan speed"), raw[0], atol=1e-5)
        assert np.allclose(marked.embed_documents(["The fan speed is set in the BIOS."])[0], raw[1], atol=1e-5)
        assert not np.allclose(marked.embed_query("fan speed"), embedder.embed_query("fan speed"), atol=1e-3)

    # Prompts named in the folder's sentence-transformers config win over the name.
    config = e5 / "config_sentence_transformers.json"
    data = json.loads(config.read_text()) if config.exists() else {}
    config.write_text(json.dumps({**data, "prompts": {"query": "Q> ", "document": "D> "},
                                  "default_prompt_name": "query"}))
    custom = Embedder(str(e5), "cpu", backend="torch")
    assert (custom.query_prefix, custom.passage_prefix) == ("Q> ", "D> ")
    # sentence-transformers' own default prompt is not added on top of ours
    assert np.allclose(custom.embed_documents(["x"])[0], custom.model.encode(["D> x"], prompt="",
                                                                               normalize_embeddings=True)[0], atol=1e-5)
    assert not np.allclose(custom.embed_documents(["x"])[0],
                           custom.model.encode(["D> x"], normalize_embeddings=True)[0], atol=1e-3)


def test_batches_of_long_texts_are_capped_by_padded_tokens_and_vectors_do_not_change(embedder, monkeypatch):
    import rag.embed.runtimes as runtimes

    lengths = [3, 5, 5, 120, 300, 300, 301, 510, 512, 512]
    batches = list(runtimes._batches(sorted(range(10), key=lambda i: lengths[i]), lengths, 32, 1024))
    assert sorted(i for b in batches for i in b) == list(range(10))
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 1024
    assert [len(b) for b in batches] == [4, 3, 2, 1]  # 2 x 512 fits 1,024 tokens; a third does not

    texts = ["short one", "word " * 60, "额定电压 " * 100, "word " * 300, "another short"] * 3
    whole = embedder.embed_documents(texts)
    monkeypatch.setattr(runtimes, "BATCH_TOKENS", 64)  # nearly every text a batch of its own
    split = embedder.embed_documents(texts)
    assert (whole * split).sum(axis=1).min() > 0.99999


def test_export_runs_in_a_child_so_torch_never_loads_in_the_app_and_a_broken_model_says_so(embedder, tmp_path):
    import shutil
    import subprocess
    import sys

    import pytest

    from models.errors import ModelError
    from rag.embed.runtimes import export

    code = ("import sys; from pathlib import Path; from rag.embed.runtimes import export; "
            "export(Path(sys.argv[1]), Path(sys.argv[2])); print('torch' in sys.modules)")
    target = tmp_path / "graph" / "model.onnx"
    out = subprocess.run([sys.executable, "-c", code, str(embedder.model_dir), str(target)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False" and target.stat().st_size > 1_000_000

    broken = tmp_path / "broken-model"
    shutil.copytree(embedder.model_dir, broken)
    (broken / "config.json").write_text("{ not json", encoding="utf-8")
    with pytest.raises(ModelError) as err:
        export(broken, tmp_path / "broken" / "model.onnx")
    assert "broken-model" in str(err.value) and "embedding_backend" in str(err.value)
    assert not (tmp_path / "broken" / "model.onnx").exists()
