import json

import pytest

from pdfs import make_sample_pdf
from rag.errors import RagError
from rag.search.evaluation import evaluate_retrieval as evaluate, load_qa


def write_qa(path, records):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    return path


QA = [
    {"question": "Which port does the admin console listen on?", "file": "router.pdf", "page": 2, "answer": "8443"},
    {"question": "What should I do when the light blinks red?", "file": "router.pdf", "page": 4,
     "answer": "hold the reset button"},
    {"question": "额定功率是多少？", "file": "router.pdf", "page": 3, "answer": "十八瓦"},
    {"question": "Where is the warranty card?", "file": "router.pdf", "page": 9},  # not in the document
]


def test_evaluate_counts_hits_mrr_and_languages(make_engine, tmp_path):
    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    records = load_qa(write_qa(tmp_path / "qa.jsonl", QA))
    assert [r.lang for r in records] == ["en", "en", "zh", "en"]
    result = evaluate(lambda q, depth: engine.search(q, k=depth).sources, records, k=5)
    overall = result["overall"]
    assert overall["n"] == 4
    assert overall["hit@10"] == 0.75  # the warranty question cannot hit
    assert 0 < overall["mrr"] <= 0.75
    assert overall["answer_in_context"] == 1.0
    assert result["by_lang"]["zh"]["n"] == 1 and result["by_lang"]["zh"]["hit@5"] == 1.0
    assert [m["question"] for m in result["misses"]] == ["Where is the warranty card?"]


def test_bad_qa_file(tmp_path):
    with pytest.raises(RagError, match="qa.jsonl:2: each line needs JSON"):
        load_qa(write_qa(tmp_path / "qa.jsonl", [QA[0], {"question": "no file"}]))


def test_cli_eval_compare(make_engine, tmp_path):
    from click.testing import CliRunner

    from rag.cli import cli

    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    engine.close()
    qa = write_qa(tmp_path / "qa.jsonl", QA[:3])
    result = CliRunner().invoke(cli, ["eval", str(qa), "--compare", "dense,bm25,hybrid", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data["results"]) == {"dense", "bm25", "hybrid"}
    assert data["results"]["hybrid"]["overall"]["hit@5"] == 1.0
    bad = CliRunner().invoke(cli, ["eval", str(qa), "--compare", "dense,magic"])
    assert bad.exit_code == 2
