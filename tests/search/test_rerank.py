import shutil

import pytest

from pdfs import make_pdf, make_sample_pdf
from helpers import ScriptedGenerator


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
    model = engine.parts.reranker.model
    expected = model.predict([(query, s.text) for s in reranked])
    assert list(expected) == sorted(expected, reverse=True)
    assert [round(s.score, 5) for s in reranked] == [round(float(x), 5) for x in expected]


def test_bad_reranker_setting_is_a_clear_error(make_engine, tmp_path, models_dir):
    from dataclasses import replace

    from rag.errors import ModelError, SettingsError
    from rag.search.rerank import CrossEncoderReranker, LlmReranker, make_reranker
    from rag.settings import Settings

    engine = make_engine(reranker=str(tmp_path / "no-such-folder"))
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    with pytest.raises(ModelError, match="no-such-folder.*not a local cross-encoder folder"):
        engine.search("port", mode="hybrid+rerank")
    engine.update_settings(replace(engine.settings, reranker=""))
    assert engine.search("port", mode="bm25").sources  # the setting fixed, nothing was lost

    settings = Settings()
    chosen = make_reranker("llm", settings, models_dir)
    assert isinstance(chosen, LlmReranker) and chosen.model_path.suffix == ".gguf"
    (tmp_path / "ce").mkdir()
    (tmp_path / "ce" / "config.json").write_text("{}")
    assert isinstance(make_reranker(str(tmp_path / "ce"), settings, models_dir), CrossEncoderReranker)
    with pytest.raises(ModelError, match="reranker .*missing.gguf does not exist; set reranker to"):
        make_reranker(str(tmp_path / "missing.gguf"), settings, models_dir)
    served = replace(settings, llm_backend="openai")
    with pytest.raises(SettingsError, match="needs llm_backend = llama"):
        make_reranker("llm", served, models_dir)

    from rag.search.rerank import reranker_problem

    assert reranker_problem(settings) is None
    assert reranker_problem(replace(settings, reranker=" LLM ")) is None
    assert "answers to come from this computer" in reranker_problem(replace(served, reranker="llm"))
    assert "missing.gguf: no such .gguf file" in reranker_problem(replace(settings, reranker=str(tmp_path / "missing.gguf")))
    assert "no config.json" in reranker_problem(replace(settings, reranker=str(tmp_path)))
    assert reranker_problem(replace(settings, reranker=str(tmp_path / "ce"))) is None


@pytest.fixture(scope="module")
def llm_reranker(models_dir):
    from models.bundled import llm_path
    from rag.search.rerank import LlmReranker

    return LlmReranker(llm_path(models_dir), candidates=6)


def test_llm_likelihood_matches_llama_cpp_logits_and_prefers_the_passage_that_answers(llm_reranker):
    import numpy as np
    from llama_cpp import Llama

    from rag.search.rerank import PASSAGE_PROMPT, QUESTION_TEXT

    question = "What colour is the calibration lever?"
    passages = ["To calibrate the press, raise the blue calibration lever until it clicks.",
                "Espresso machines need their water filter changed every two months.",
                # about 600 tokens: read in two of llama.cpp's 512-token micro-batches
                " ".join(f"Step {i}: check gauge {i} and note its reading in the log book." for i in range(32))]
    scores = llm_reranker.likelihoods(question, passages)
    assert scores[0] > scores[1]
    assert llm_reranker.likelihoods(question, passages[::-1]) == pytest.approx(scores[::-1], abs=1e-3)

    # The same log-probabilities through llama-cpp-python's own full-logits path.
    ref = Llama(model_path=str(llm_reranker.model_path), n_ctx=768, logits_all=True, verbose=False)
    assert 512 < len(ref.tokenize(passages[2].encode())) < 700
    for passage, score in zip(passages, scores):
        given = ref.tokenize(PASSAGE_PROMPT.format(passage=passage).encode(), add_bos=True, special=False)
        asked = ref.tokenize(QUESTION_TEXT.format(question=question).encode(), add_bos=False, special=False)
        ref.reset()
        ref.eval(given + asked)
        logits = np.asarray(ref.scores[len(given) - 1: len(given) + len(asked) - 1], dtype=np.float64)
        top = logits.max(axis=1, keepdims=True)
        logp = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
        assert float(logp[np.arange(len(asked)), asked].sum()) == pytest.approx(score, abs=0.05)
    ref.close()

    # A passage longer than the reranker's context is cut, keeping the prompt's ending.
    long_scores = llm_reranker.likelihoods(question, [passages[2] * 4, passages[0]])
    assert -200 < long_scores[0] < 0 and long_scores[1] == pytest.approx(scores[0], abs=1e-3)


def test_llm_rerank_stops_on_cancel_and_keeps_the_first_stage_order(make_engine, tmp_path, llm_reranker):
    import threading

    class SetOnThirdLook(threading.Event):
        looks = 0

        def is_set(self):
            self.looks += 1
            return self.looks >= 3

    make_pdf(tmp_path / "c.pdf", [[f"Section {i}: the valve {i} opens at {i * 10} kPa."] * 3 for i in range(6)])
    engine = make_engine(rerank_candidates=6)
    list(engine.ingest([tmp_path / "c.pdf"]))
    query = "At what pressure does valve 4 open?"
    plain = engine.search(query, k=6, mode="hybrid").sources
    engine.parts.__dict__["reranker"] = llm_reranker
    stop = SetOnThirdLook()
    stopped = engine.search(query, k=6, mode="hybrid+rerank", cancel=stop).sources
    assert stop.looks == 3  # two passages read, then it stopped
    assert [(s.page, s.score) for s in stopped] == [(s.page, s.score) for s in plain]
    assert llm_reranker.likelihoods(query, ["valve 4 opens at 40 kPa"], SetOnThirdLook()) is not None
    full = engine.search(query, k=6, mode="hybrid+rerank").sources
    assert sorted(s.page for s in full) == sorted(s.page for s in plain)


def test_llm_rerank_fuses_model_order_with_first_stage_order(make_engine, tmp_path, llm_reranker):
    pages = [["Coffee machines need their water filter changed every two months."] * 3,
             ["Gardening: tomatoes need sun and water every day."] * 3,
             ["The admin console listens on port 8443 by default; change it with --admin-port."] * 3,
             ["Port wine comes from the Douro valley."] * 3]
    make_pdf(tmp_path / "m.pdf", pages)
    engine = make_engine(rerank_candidates=6)
    engine.parts.__dict__["reranker"] = llm_reranker  # the session's loaded model
    list(engine.ingest([tmp_path / "m.pdf"]))
    query = "Which port does the admin console use?"
    plain = engine.search(query, k=4, mode="hybrid").sources
    reranked = engine.search(query, k=4, mode="hybrid+rerank").sources
    assert sorted(s.page for s in plain) == sorted(s.page for s in reranked) == [1, 2, 3, 4]
    scores = llm_reranker.likelihoods(query, [s.text for s in plain])
    by_model = sorted(range(4), key=lambda i: scores[i], reverse=True)
    fused = {plain[i].page: 1 / (61 + i) + 1 / (61 + by_model.index(i)) for i in range(4)}
    assert [s.page for s in reranked] == sorted(fused, key=lambda p: -fused[p])
    assert [s.score for s in reranked] == pytest.approx([fused[s.page] for s in reranked])
    assert reranked[0].page == 3


def test_fusion_searches_the_rephrasings_too(make_engine, tmp_path):
    from rag.search.rephrase import rephrasings

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
