import shutil

import pytest

from pdfs import make_pdf, make_sample_pdf
from test_generation import ScriptedGenerator


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory, embedder):
    """A real (tiny, untrained) BERT cross-encoder folder: exercises the code path offline."""
    from transformers import BertConfig, BertForSequenceClassification

    folder = tmp_path_factory.mktemp("cross-encoder")
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(embedder.model_dir / name, folder / name)
    return folder


def test_rerank_orders_by_cross_encoder_scores(make_engine, tmp_path, tiny_cross_encoder):
    engine = make_engine(reranker=str(tiny_cross_encoder), rerank_candidates=10)
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    query = "What is the default port of the admin console?"
    reranked = engine.search(query, k=4, mode="hybrid").sources
    model = engine.reranker.model
    expected = model.predict([(query, s.text) for s in reranked])
    assert list(expected) == sorted(expected, reverse=True)
    assert [round(s.score, 5) for s in reranked] == [round(float(x), 5) for x in expected]


def test_rerank_without_model_is_a_clear_error(make_engine, tmp_path):
    from rag.errors import SettingsError

    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    with pytest.raises(SettingsError, match="no reranker is configured"):
        engine.search("port", mode="hybrid+rerank")


def test_fusion_searches_the_rephrasings_too(make_engine, tmp_path):
    from rag.fusion import rephrasings

    gen = ScriptedGenerator([" calibration lever procedure\n", "2. blue lever\n", "3. ignored"])
    assert rephrasings(gen, "secret?", 2) == ["calibration lever procedure", "blue lever"]

    make_pdf(tmp_path / "m.pdf", [["The calibration procedure starts by raising the blue lever."] * 4,
                                  ["Unrelated text about coffee machines and their maintenance."] * 4])
    plain = make_engine(generator=ScriptedGenerator(["x"]))
    list(plain.ingest([tmp_path / "m.pdf"]))
    assert plain.search("What is the secret?", mode="bm25").sources == ()
    fused = make_engine(generator=ScriptedGenerator([" calibration lever procedure\n", "2. blue lever\n"]),
                        fusion_queries=2)
    found = fused.search("What is the secret?", mode="bm25").sources
    assert found and found[0].page == 1
