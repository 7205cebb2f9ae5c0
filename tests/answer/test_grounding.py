"""The grounding check: invented URLs, paths, numbers and identifiers never reach the user."""

from rag.answer.grounding import SourceText, ground, risky_tokens

SOURCES = SourceText([
    "The default port of the admin console is 8443. Change it with the option set_admin_port.",
    "Logs are kept in /var/log/zephyr/ for 30 days. See https://zephyr.example.org/docs for more.",
    "本设备的额定电压为十二伏特，额定功率为 18 W。使用 \\zhnumber 命令。",
])


def test_risky_tokens_are_found_in_text():
    text = ("See https://www.cnblogs.com/x/p/1.html or mail admin@example.com; edit /etc/zephyr.conf, "
            "run --force with set_admin_port and \\pagenumbering, it takes 12 MB and 8443 is the port; step 1.")
    found = risky_tokens(text)
    for token in ("https://www.cnblogs.com/x/p/1.html", "admin@example.com", "/etc/zephyr.conf", "--force",
                  "set_admin_port", "\\pagenumbering", "12 MB", "8443"):
        assert token in found, (token, found)
    assert "1" not in found  # a lone digit is not a fact


def test_supported_tokens_are_those_the_sources_hold():
    assert SOURCES.unsupported("The port is 8443, set with set_admin_port.") == []
    assert SOURCES.unsupported("Logs live in /var/log/zephyr/ (30 days).") == []
    assert SOURCES.unsupported("The port is 8080.") == ["8080"]
    assert SOURCES.unsupported("来源：https://www.cnblogs.com/abc/p/123.html") == ["https://www.cnblogs.com/abc/p/123.html"]
    # compared without case and white space, after NFKC (full-width digits)
    assert SOURCES.unsupported("It draws １８ W.") == []
    assert SOURCES.unsupported("用 \\ZHNUMBER 命令") == []


def test_sentences_with_invented_facts_are_cut_and_reported():
    g = ground("The port is 8443. The docs are at https://made.up/docs. It uses 512 MB of memory.", SOURCES)
    assert g.text == "The port is 8443."
    assert g.cut == ("The docs are at https://made.up/docs.", "It uses 512 MB of memory.")
    assert g.unsupported == ("https://made.up/docs", "512 MB")


def test_a_sentence_from_the_models_own_knowledge_is_cut():
    # no risky token, but hardly a word of it is in the sources
    g = ground("Canberra is the capital of Australia. The admin console port is 8443.", SOURCES)
    assert g.text == "The admin console port is 8443." and g.cut == ("Canberra is the capital of Australia.",)
    zh = ground("澳大利亚的首都是堪培拉。额定电压为十二伏特。", SOURCES)
    assert zh.text == "额定电压为十二伏特。"


def test_nothing_kept_when_everything_is_invented():
    g = ground("Download it from http://evil.example/x.exe and run setup.exe.", SOURCES)
    assert g.text == "" and len(g.unsupported) >= 2


def test_model_fragments_and_format_echoes_are_not_shown():
    from rag.answer.stream import says_something

    assert not says_something("1.") and not says_something("172")
    assert not says_something("«Asymptote is a file format that allows you to create figures»")
    assert not says_something("Source [2] — manual.pdf, page 3")
    assert says_something("Clean the fan every six months.") and says_something("额定电压为十二伏特。")


def test_a_question_too_long_for_the_context_window_gets_advice(make_engine, tmp_path):
    import pytest

    from helpers import ScriptedGenerator
    from pdfs import make_sample_pdf
    from rag.errors import GenerationError

    engine = make_engine(generator=ScriptedGenerator(["never"]))
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    long = "What is the default port of the admin console? " * 400  # ~3,600 words > half of 4,096 tokens
    with pytest.raises(GenerationError, match="the question is too long for the model.*shorten the question"):
        list(engine.ask(long))


def test_control_characters_in_names_are_shown_escaped():
    from rag.paths import display

    assert display("a\nb.pdf") == "a\\nb.pdf" and display("x\x1b[31my.txt") == "x\\x1b[31my.txt"
    assert display("caf\udce9.pdf") == "caf\\xe9.pdf" and display("中文.pdf") == "中文.pdf"
