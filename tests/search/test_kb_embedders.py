"""Each knowledge base is read and built by its own embedder: a Chinese one by multilingual-e5,
an English one by the bundled MiniLM, in one engine; switching is a rebuild that leaves no
vector of the old model behind."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.bundled import EMBEDDER_NAME
from models.locate import E5_NAME, E5_SETTING
from rag.errors import EmbeddingMismatchError

ZH = {
    "voltage.txt": "额定电压为 220 伏，频率为 50 赫兹；请勿在潮湿的环境中使用本设备。",
    "pages.txt": "本章介绍如何用 \\pagenumbering{chinese} 让页码以中文数字显示，例如“第三页”。",
    "fonts.txt": "在 ctex 文档类中，可以用 \\setCJKmainfont 命令设置正文使用的中文字体，例如宋体或黑体。",
}
EN = {
    "console.txt": "The admin console listens on port 8443; change it under Settings > Network.",
    "legend.txt": "To hide the legend box of a chart, use the command set key off before plotting.",
}


def write(folder: Path, docs: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def engine(make_engine, e5_embedder):
    engine = make_engine()
    engine.parts.add_embedder(e5_embedder)  # the session's loaded e5 (nothing is built twice)
    return engine


def stored(engine, kb_name: str, emb):
    """(the text `emb` embeds, stored vector) of every chunk of a knowledge base: its section
    title and text, the Latin words alone of a mostly-Chinese chunk for an English-only embedder."""
    from rag.ingest.indexed import embedded_text, indexed_text

    kb = engine.parts.catalog.get_kb(kb_name)
    chunks = engine.parts.store.get(kb.collection)
    vectors = engine.parts.store.vectors_by(kb.collection, "th", [c.metadata["th"] for c in chunks])
    texts = [embedded_text(indexed_text(c.metadata.get("section") or "", c.text), emb.reads_chinese) for c in chunks]
    return texts, np.stack([vectors[c.metadata["th"]] for c in chunks])


def assert_built_by(engine, kb_name: str, emb) -> None:
    kb = engine.parts.catalog.get_kb(kb_name)
    assert (kb.embed_model, kb.embed_dim) == (emb.name, emb.dim)
    texts, vectors = stored(engine, kb_name, emb)
    assert len(texts) == sum(f.chunks for f in engine.list_files(kb_name))
    cos = (vectors * emb.embed_documents(texts)).sum(axis=1)
    assert cos.min() > 0.999, f"a vector of {kb_name} is not {emb.name}'s: {cos}"


def top_file(engine, question: str, kb: str) -> str:
    return engine.search(question, kb=kb, mode="dense").sources[0].file


def test_chinese_kb_uses_e5_while_english_kb_keeps_minilm(engine, tmp_path, embedder, e5_embedder):
    created = engine.create_kb("中文", embedder="e5")
    assert created.embed_model == E5_NAME and created.embed_backend.endswith("-fp32")
    list(engine.ingest([write(tmp_path / "zh", ZH)], kb="中文"))
    list(engine.ingest([write(tmp_path / "en", EN)]))
    assert {k.name: k.embed_model for k in engine.list_kbs()} == {"中文": E5_NAME, "default": EMBEDDER_NAME}
    assert engine.parts.embedder_for(engine.parts.catalog.get_kb("中文")) is e5_embedder
    assert engine.parts.embedder_for(engine.parts.catalog.get_kb("default")) is embedder
    assert_built_by(engine, "中文", e5_embedder)
    assert_built_by(engine, "default", embedder)
    # dense retrieval alone reads Chinese in the e5 knowledge base
    assert top_file(engine, "这台设备的额定电压是多少？", "中文") == "voltage.txt"
    assert top_file(engine, "怎样让页码用中文数字显示？", "中文") == "pages.txt"
    assert top_file(engine, "如何设置正文的中文字体？", "中文") == "fonts.txt"
    assert top_file(engine, "Which port does the admin console use?", "default") == "console.txt"
    # the engine's own embedder setting is untouched: a new knowledge base still gets MiniLM
    list(engine.ingest([tmp_path / "en" / "legend.txt"], kb="third"))
    assert engine.parts.catalog.get_kb("third").embed_model == EMBEDDER_NAME
    assert engine.needs_reindex("中文") == [] and engine.needs_reindex() == []


def test_switching_a_kb_embedder_reindexes_it_and_never_mixes_vectors(engine, tmp_path, embedder, e5_embedder):
    list(engine.ingest([write(tmp_path / "zh", ZH)]))
    assert_built_by(engine, "default", embedder)
    chunks = engine.parts.store.count(engine.parts.catalog.get_kb("default").collection)

    events = list(engine.reindex_kb(embedder="e5"))
    assert type(events[-1]).__name__ == "IngestDone" and events[-1].indexed == len(ZH)
    kb = engine.parts.catalog.get_kb("default")
    assert kb.embed_model == E5_NAME and engine.parts.store.count(kb.collection) == chunks
    assert_built_by(engine, "default", e5_embedder)  # every text embedded again: no cached MiniLM vector
    assert top_file(engine, "这台设备的额定电压是多少？", "default") == "voltage.txt"
    # the knowledge base keeps e5: a file added later, and a plain rebuild, use it too
    list(engine.ingest([write(tmp_path / "en", EN)]))
    list(engine.reindex_kb())
    assert_built_by(engine, "default", e5_embedder)

    list(engine.reindex_kb(embedder="minilm"))
    assert_built_by(engine, "default", embedder)
    assert engine.parts.store.count(kb.collection) == chunks + len(EN)


def test_a_kb_whose_embedder_is_not_here_says_how_to_get_it(engine, tmp_path, embedder):
    list(engine.ingest([write(tmp_path / "en", EN)]))
    kb = engine.parts.catalog.get_kb("default")
    engine.parts.catalog.set_kb_model(kb, "/nowhere/some-other-model", 384, 200, 32)
    with pytest.raises(EmbeddingMismatchError, match=r"was built with embedding model '/nowhere/some-other-model'"
                                                     r".*--embedder"):
        engine.search("admin console port")
    assert engine.needs_reindex() == ["embedding_model"]
    assert [f.kind for f in engine.doctor() if f.kind == "model-mismatch"] == ["model-mismatch"]
    with pytest.raises(EmbeddingMismatchError):  # nothing is written with another model meanwhile
        list(engine.ingest([tmp_path / "en" / "legend.txt"]))
    list(engine.reindex_kb())  # rebuilt with the settings' embedder, which is here
    assert_built_by(engine, "default", embedder)
    assert engine.needs_reindex() == []


def test_e5_is_suggested_for_a_chinese_kb_with_the_time_a_reindex_takes(engine, tmp_path):
    list(engine.ingest([write(tmp_path / "zh", ZH)], kb="zh"))
    list(engine.ingest([write(tmp_path / "en", EN)], kb="en"))
    tip = engine.embedder_suggestion("zh")
    assert tip is not None and (tip.kb, tip.current, tip.reason) == ("zh", EMBEDDER_NAME, "chinese-text")
    assert tip.setting == E5_SETTING and tip.suggested == "multilingual-e5-small"
    assert tip.chinese_share > 0.5 and tip.chunks == len(ZH) and tip.pages == len(ZH)
    assert tip.measured and 0 < tip.estimate_s < 60
    assert engine.embedder_suggestion("en") is None
    ui = engine.embedder_suggestion("en", ui_language="zh_CN", measure=False)
    assert ui.reason == "ui-language" and not ui.measured and ui.estimate_s > 0
    list(engine.reindex_kb("zh", embedder=tip.setting))
    assert engine.embedder_suggestion("zh") is None  # already multilingual


def test_cli_creates_a_kb_with_its_embedder(rag_home):
    env = dict(os.environ, RAG_HOME=str(rag_home))
    cli = Path(sys.executable).parent / "rag-cli"
    run = lambda *args: subprocess.run([str(cli), *args], capture_output=True, text=True, env=env,  # noqa: E731
                                       timeout=300)
    made = run("kb", "create", "docs-zh", "--embedder", "e5")
    assert made.returncode == 0 and f"embedder {E5_NAME}" in made.stderr, made.stderr
    refused = run("kb", "create", "nope", "--embedder", "gemma-3-270m-q4_k_m")
    assert refused.returncode != 0 and "not an embedding model" in refused.stderr
    kbs = {k["name"]: k["embed_model"] for k in json.loads(run("kb", "list", "--json").stdout)["kbs"]}
    assert kbs == {"docs-zh": E5_NAME}
    usage = run("reindex", "x.pdf", "--embedder", "e5", "--kb", "docs-zh")
    assert usage.returncode == 2 and "--all" in usage.stderr
