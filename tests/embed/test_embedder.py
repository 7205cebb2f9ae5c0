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
    b = torch_emb.embed_documents(TEXTS)
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
    vec = auto.embed_documents(["How do I set the title of a plot?"])[0]
    assert auto.backend == "onnx" and auto.precision == "onnx-fp32"
    assert float(vec @ embedder.embed_query("How do I set the title of a plot?")) > 0.9999
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
