"""The answer benchmark's judge: what counts as a right answer, a cited page, an unsupported token."""

import json

from rag.answer.evaluation import AnswerCase, evaluate_answers, holds_answer, judge, load_cases
from rag.events import Abstained, AnswerDone, AnswerStats, Quote, Source

SRC = Source(1, "gnuplot.pdf", "/d/gnuplot.pdf", 158, 158, 0.5, "To switch it off, use set key off. The key is the legend.")
STATS = AnswerStats(10.0, 0.4, 12, 20.0, "scripted")


def done(answer, sources=(SRC,), evidence=()):
    return AnswerDone(answer, tuple(sources), STATS, tuple(evidence))


def test_the_gold_answer_must_be_in_the_first_300_characters():
    assert holds_answer("Use  SET KEY off [1].", "set key off")
    assert holds_answer("Ｓｅｔ key off", "set key off")  # NFKC
    assert not holds_answer("x" * 300 + " set key off", "set key off")  # a dump of passages cannot pass
    assert holds_answer("用 \\pagenumbering{zhnum} 命令", "\\pagenumbering {zhnum}", "zh")  # spaces ignored for zh
    assert not holds_answer("用 \\pagenumbering{zhnum} 命令", "\\pagenumbering {zhnum}", "en")


def test_judge_counts_hits_citations_quotes_and_unsupported_tokens():
    case = AnswerCase("How do I hide the legend?", "set key off", "gnuplot.pdf", (158,), "en", "paraphrase")
    quote = Quote(1, "gnuplot.pdf", "/d/gnuplot.pdf", 158, "To switch it off, use set key off.", 0, 34)
    o = judge(case, [done("«To switch it off, use set key off.» [1] See http://x.example/key.", evidence=[quote])])
    assert (o.answered, o.hit, o.cited, o.quoted) == (True, True, True, True)
    assert o.unsupported == ("http://x.example/key",)
    other = Source(1, "gnuplot.pdf", "/d/gnuplot.pdf", 20, 20, 0.5, "Nothing about keys.")
    o = judge(case, [done("The legend is shown.", sources=[other])])
    assert (o.hit, o.cited, o.quoted, o.unsupported) == (False, False, False, ())
    o = judge(case, [Abstained("not found")])
    assert not o.answered and not o.hit


def test_evaluate_answers_reports_refusals_and_slices(tmp_path):
    qa = tmp_path / "qa.jsonl"
    qa.write_text("\n".join(json.dumps(r) for r in [
        {"question": "How do I hide the legend?", "file": "gnuplot.pdf", "page": 158, "answer": "set key off",
         "lang": "en", "kind": "paraphrase"},
        {"question": "No answer given here", "file": "gnuplot.pdf", "page": 3},  # skipped: no gold answer
    ]))
    neg = tmp_path / "neg.jsonl"
    neg.write_text(json.dumps({"question": "What is the capital of Australia?"}))
    cases = load_cases(qa) + load_cases(neg, off_topic=True)
    assert len(cases) == 2 and cases[1].off_topic

    def ask(question):
        if "Australia" in question:
            return [Abstained("not found")]
        return [done("Use set key off [1].")]

    res = evaluate_answers(ask, cases)
    o = res["overall"]
    assert (o["n"], o["answer_hit"], o["page_cited"], o["not_found"]) == (1, 1.0, 1.0, 0.0)
    assert (o["off_topic"], o["refused"], o["unsupported_tokens"]) == (1, 1.0, 0)
    assert res["by_kind"]["paraphrase"]["answer_hit"] == 1.0 and len(res["answers"]) == 2
