import sqlite3

from click.testing import CliRunner

from pdfs import make_sample_pdf
from rag.events import Source
from rag.search.followup import is_followup, standalone_query
from rag.store.chats import ChatHistory


def test_history_roundtrip_and_markdown(tmp_path):
    h = ChatHistory(tmp_path / "chats.sqlite3")
    chat = h.create("Ports", "default")
    h.add(chat.id, "user", "What is the port?")
    src = Source(1, "manual.pdf", "/m.pdf", 2, 2, 0.5, "port 8443", "c1", 10, 20)
    h.add(chat.id, "assistant", "It is 8443 [1].", (src,))
    h.add(chat.id, "user", "And the protocol?")  # unanswered: crash mid-answer
    h.close()
    h = ChatHistory(tmp_path / "chats.sqlite3")
    assert h.turns(chat.id) == [("What is the port?", "It is 8443 [1].")]
    assert h.messages(chat.id)[1].sources == (src,)
    md = h.export_markdown(chat.id)
    assert "# Ports" in md and "**You:** What is the port?" in md and "- [1] manual.pdf p.2" in md
    h.rename(chat.id, "Admin ports")
    assert h.chats()[0].title == "Admin ports"
    h.delete(chat.id)
    assert h.chats() == []
    mode = sqlite3.connect(tmp_path / "chats.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_followup_detection_and_concat():
    history = [("What is the default port of the admin console?", "8443")]
    assert is_followup("And what is its default?")
    assert is_followup("它的默认值是多少？")
    assert not is_followup("How do I change the colour of the plot border in gnuplot?")
    assert standalone_query("And its protocol?", history) == (
        "What is the default port of the admin console? And its protocol?")
    assert standalone_query("And its protocol?", history, "off") == "And its protocol?"
    assert standalone_query("And its protocol?", []) == "And its protocol?"


def test_followup_retrieval_uses_history(make_engine, tmp_path):
    from pdfs import make_pdf
    from helpers import ScriptedGenerator
    from rag.events import SourcesFound

    engine = make_engine(generator=ScriptedGenerator(["ok"]))
    make_pdf(tmp_path / "plant.pdf", [
        ["The Alpha pump moves water from the tank to the roof.", "Its default flow is 40 litres per minute.",
         "The Alpha pump is serviced every spring by the Alpha pump technician."],
        ["The Beta valve protects the pipes from overpressure.", "Its default opening pressure is 3 bar.",
         "The Beta valve is inspected every autumn by the Beta valve inspector."],
    ])
    list(engine.ingest([tmp_path / "plant.pdf"]))
    for topic, page in (("Tell me about the Beta valve.", 2), ("Tell me about the Alpha pump.", 1)):
        events = list(engine.ask("What is its default?", history=[(topic, "...")]))
        found = next(e for e in events if isinstance(e, SourcesFound))
        assert found.sources[0].page == page, topic


def test_cli_chat_continues(make_engine, tmp_path):
    from rag.cli import cli

    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    engine.close()
    runner = CliRunner()
    first = runner.invoke(cli, ["ask", "What is the default port of the admin console?", "--chat", "new", "--json"])
    assert first.exit_code == 0, first.output
    listing = runner.invoke(cli, ["chats", "list", "--json"])
    import json

    (chat,) = json.loads(listing.stdout)["chats"]
    second = runner.invoke(cli, ["ask", "Which option changes it?", "--chat", str(chat["id"]), "--json"])
    assert second.exit_code == 0
    assert json.loads(second.stdout)["sources"][0]["page"] == 2
    shown = runner.invoke(cli, ["chats", "show", str(chat["id"])])
    assert shown.stdout.count("**You:**") == 2 and shown.stdout.count("**RAG Desk:**") == 2
    assert runner.invoke(cli, ["ask", "x", "--chat", "999"]).exit_code == 1


def test_ask_saves_the_chat_with_its_evidence_and_titles_it_by_the_question(make_engine, tmp_path):
    from helpers import ScriptedGenerator
    from rag.events import AnswerDone, ChatSaved

    engine = make_engine(generator=ScriptedGenerator(["The port is 8443."]))
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    question = "What is the default port of the admin console?\nAnd a second line of the question."
    events = list(engine.ask(question, chat="new"))
    saved = events[0]
    assert isinstance(saved, ChatSaved) and saved.title == "What is the default port of the admin console?"
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.evidence
    user, answer = engine.chats.messages(saved.chat_id)
    assert (user.role, user.text) == ("user", question)
    assert (answer.role, answer.text) == ("assistant", done.answer)
    key = lambda s: (s.n, s.file, s.page, s.text, s.chunk_id, s.char_start, s.char_end, s.offsets)  # noqa: E731
    assert list(map(key, answer.sources)) == list(map(key, done.sources))
    assert answer.evidence == done.evidence  # reopened with its quotes
    # an off-topic follow-up is saved with the reason there is no answer, as the CLI shows it
    events = list(engine.ask("How long should I boil an egg for a soft yolk?", chat=saved.chat_id))
    last = engine.chats.messages(saved.chat_id)[-1]
    assert last.role == "assistant" and last.text == events[-1].reason
    # regenerate replaces the last answer
    before = len(engine.chats.messages(saved.chat_id))
    list(engine.regenerate(saved.chat_id))
    assert len(engine.chats.messages(saved.chat_id)) == before
