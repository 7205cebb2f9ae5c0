"""embedding_precision = "int8" (opt-in): documents are embedded by a dynamically quantized graph
on ONNX Runtime; queries stay fp32; a knowledge base keeps the precision it
was built with and never holds vectors of two precisions."""

import numpy as np
import pytest

from pdfs import SAMPLE_PAGES, make_pdf

pytest.importorskip("onnxruntime.quantization")


def test_int8_vectors_stay_close_to_fp32_and_queries_stay_fp32(models_dir, embedder):
    from rag.embed.embedder import Embedder
    from rag.embed.quantize import RECIPE
    from rag.settings import BUNDLED_EMBEDDER

    int8 = Embedder(BUNDLED_EMBEDDER, "cpu", backend="openvino", cache_dir=models_dir, precision="int8")
    assert int8.backend == "onnx", "the int8 graph runs on ONNX Runtime, faster there than fp32"
    texts = [" ".join(page) for page in SAMPLE_PAGES] + ["额定电压是220伏。", "set key off hides the legend box"]
    a, b = int8.embed_documents(texts), embedder.embed_documents(texts)
    cosine = (a * b).sum(axis=1)
    assert cosine.mean() > 0.98 and cosine.min() > 0.95, cosine
    assert not np.allclose(a, b, atol=1e-4), "the int8 graph really ran"
    assert int8.precision == f"onnx-int8-{RECIPE['name']}"
    graph = models_dir / "int8"
    assert graph.is_dir() and any(graph.rglob("model.onnx"))
    q = int8.embed_query("What port does the admin console use?")
    assert np.allclose(q, embedder.embed_query("What port does the admin console use?"), atol=1e-5)


def test_a_knowledge_base_keeps_the_precision_it_was_built_with(rag_home, tmp_path, embedder):
    from dataclasses import replace

    from rag.engine import Engine
    from rag.settings import load_settings

    pdf = make_pdf(tmp_path / "a.pdf", [SAMPLE_PAGES[0], SAMPLE_PAGES[1]])
    settings = replace(load_settings(), embedding_precision="int8")
    with Engine(settings) as engine:
        list(engine.ingest([pdf], kb="small"))
        kb = engine.parts.catalog.get_kb("small")
        assert "-int8-" in kb.embed_backend
        assert engine.search("What port does the admin console use?", kb="small").sources[0].page == 2
    # the setting back to fp32: the knowledge base is still extended with int8 vectors
    b = make_pdf(tmp_path / "b.pdf", [SAMPLE_PAGES[1]])
    with Engine(replace(settings, embedding_precision="fp32")) as engine:
        assert engine.parts.embedder_for(engine.parts.catalog.get_kb("small")).quantized
        list(engine.ingest([b], kb="small"))
        assert "-int8-" in engine.parts.catalog.get_kb("small").embed_backend
        # a rebuild is how a knowledge base changes precision: every vector is made again in fp32
        list(engine.reindex_kb("small"))
        kb = engine.parts.catalog.get_kb("small")
        assert kb.embed_backend.endswith("-fp32")
        assert not engine.parts.embedder_for(kb).quantized
        assert {f.state for f in engine.list_files("small")} == {"indexed"}
