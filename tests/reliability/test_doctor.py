from click.testing import CliRunner

from pdfs import make_pdf, make_sample_pdf


def test_doctor_finds_and_repairs_drift(make_engine, tmp_path):
    engine = make_engine()
    a = make_sample_pdf(tmp_path / "a.pdf")
    b = make_pdf(tmp_path / "b.pdf", [["The spare key hangs behind the blue door."] * 3])
    list(engine.ingest([a, b]))
    assert engine.doctor("default") == []
    kb = engine.parts.catalog.get_kb("default")

    # an orphan chunk (as if a crash happened between store and catalog), a lexical row lost,
    # and a source file moved away
    vec = engine.embedder.embed_documents(["stray"])
    engine.parts.store.add(kb.collection, ["999-dead-000000"], vec, ["stray"],
                     [{"file": "x.pdf", "path": "/x.pdf", "file_id": 999, "sha": "dead", "page": 1, "page_end": 1}])
    victim = next(c.id for c in engine.parts.store.get(kb.collection) if c.metadata["file"] == "a.pdf")
    engine.parts.lexical._db.execute(f"DELETE FROM lex_{kb.id} WHERE chunk_id = ?", (victim,))
    b.rename(tmp_path / "moved.pdf")

    kinds = {f.kind for f in engine.doctor("default")}
    assert kinds == {"orphans", "lexical-sync", "missing-source"}
    assert engine.search("spare key blue door", mode="bm25").sources[0].file == "b.pdf"  # still answers

    fixed = engine.doctor("default", repair=True)
    assert all(f.repaired for f in fixed if f.kind in ("orphans", "lexical-sync"))
    assert {f.kind for f in engine.doctor("default")} == {"missing-source"}
    assert engine.parts.store.count(kb.collection) == engine.parts.lexical.count(kb.id)


def test_doctor_cli_exit_codes(make_engine, tmp_path):
    from rag.cli import cli

    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "a.pdf")]))
    kb = engine.parts.catalog.get_kb("default")
    engine.parts.lexical._db.execute(f"DELETE FROM lex_{kb.id}")
    engine.close()
    runner = CliRunner()
    first = runner.invoke(cli, ["doctor"])
    assert first.exit_code == 1 and "lexical-sync" in first.output
    assert runner.invoke(cli, ["doctor", "--repair"]).exit_code == 0
    assert runner.invoke(cli, ["doctor"]).exit_code == 0
