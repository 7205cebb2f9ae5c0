"""Watched folders, re-indexing and settings changes, on the real engine."""

import os
from dataclasses import replace

from click.testing import CliRunner

from pdfs import FILLER_EN, make_pdf
from rag.cli import cli
from rag.events import FileFailed, FileIndexed, FileRemoved, FileSkipped, IngestDone


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_a_watched_folder_follows_new_changed_and_deleted_files(make_engine, tmp_path):
    engine = make_engine()
    folder = tmp_path / "watched"
    (folder / "sub").mkdir(parents=True)
    make_pdf(folder / "a.pdf", [["The pump runs at 1450 revolutions per minute.", *FILLER_EN]])
    (folder / "sub" / "b.txt").write_text("The boiler pressure limit is 3 bar.\n", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("Outside the watched folder the fence is 2 metres high.\n", encoding="utf-8")
    list(engine.ingest([outside]))

    assert engine.watch(folder) == str(folder.resolve())
    assert engine.watched_folders() == [str(folder.resolve())]
    first = list(engine.sync())
    assert sorted(e.name for e in of(first, FileIndexed)) == ["a.pdf", "b.txt"]

    again = list(engine.sync())  # nothing changed: nothing re-embedded
    assert not of(again, FileIndexed) and len(of(again, FileSkipped)) == 2

    (folder / "sub" / "b.txt").write_text("The boiler pressure limit is now 4 bar.\n", encoding="utf-8")
    os.utime(folder / "sub" / "b.txt", ns=(1, 10**18))
    (folder / "a.pdf").unlink()
    (folder / "c.txt").write_text("The chiller setpoint is 7 degrees.\n", encoding="utf-8")
    events = list(engine.sync())
    assert [e.name for e in of(events, FileRemoved)] == ["a.pdf"]
    assert sorted(e.name for e in of(events, FileIndexed)) == ["b.txt", "c.txt"]
    assert of(events, IngestDone)[0].removed == 1
    names = {f.name: f.state for f in engine.list_files()}
    assert names == {"b.txt": "indexed", "c.txt": "indexed", "outside.txt": "indexed"}
    assert "4 bar" in engine.search("boiler pressure limit", mode="bm25").sources[0].text
    assert all(s.file != "a.pdf" for s in engine.search("pump revolutions per minute", mode="bm25").sources)

    engine.unwatch(folder)
    assert engine.watched_folders() == []
    (folder / "c.txt").unlink()
    list(engine.sync())  # no longer followed: its files stay
    assert "c.txt" in {f.name for f in engine.list_files()}


def test_an_unplugged_watched_folder_keeps_its_files(make_engine, tmp_path):
    engine = make_engine()
    folder = tmp_path / "drive"
    folder.mkdir()
    (folder / "notes.txt").write_text("The spare key is in the blue box.\n", encoding="utf-8")
    engine.watch(folder)
    list(engine.sync())
    folder.rename(tmp_path / "drive-away")
    events = list(engine.sync())
    assert not of(events, FileRemoved)
    (failure,) = of(events, FileFailed)
    assert "watched folder is missing" in failure.reason
    assert [f.name for f in engine.list_files()] == ["notes.txt"]


def test_reindex_a_file_and_rebuild_after_a_chunk_setting_change(make_engine, tmp_path):
    engine = make_engine()
    pdf = make_pdf(tmp_path / "manual.pdf", [[f"Chapter {i}: the {colour} valve.", *FILLER_EN * 3]
                                             for i, colour in enumerate(("crimson", "emerald", "violet"), 1)])
    gone = tmp_path / "gone.txt"
    gone.write_text("This note will be deleted from disk.\n", encoding="utf-8")
    list(engine.ingest([pdf, gone]))
    before = {f.name: f.chunks for f in engine.list_files()}

    events = list(engine.reindex(["manual.pdf"]))
    assert of(events, FileIndexed)[0].chunks == before["manual.pdf"]
    gone.unlink()
    (failure,) = of(list(engine.reindex(["gone.txt"])), FileFailed)
    assert "no longer there" in failure.reason and "kept" in failure.reason
    assert {f.name for f in engine.list_files()} == {"manual.pdf", "gone.txt"}  # stored text kept

    assert engine.needs_reindex() == []
    engine.update_settings(replace(engine.settings, chunk_tokens=80, chunk_overlap=8))
    assert set(engine.needs_reindex()) == {"chunk_tokens", "chunk_overlap"}
    assert [f.name for f in engine.missing_sources()] == ["gone.txt"]
    rebuilt = list(engine.reindex_kb())
    assert of(rebuilt, FileIndexed)[0].chunks > before["manual.pdf"]  # smaller chunks, more of them
    assert engine.needs_reindex() == []
    assert [f.name for f in engine.list_files()] == ["manual.pdf"]
    top = engine.search("emerald valve", mode="bm25").sources[0]
    assert top.page <= 2 <= top.page_end and "emerald valve" in top.text


def test_cli_watch_sync_and_reindex(make_engine, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "one.txt").write_text("Alpha beta gamma delta.\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["watch", str(folder)])
    assert result.exit_code == 0, result.output
    assert "one.txt" in result.output and "indexed" in result.output
    (folder / "two.txt").write_text("Epsilon zeta eta theta.\n", encoding="utf-8")
    result = runner.invoke(cli, ["sync"])
    assert result.exit_code == 0 and "two.txt" in result.output
    assert runner.invoke(cli, ["sync", "--list"]).output.strip() == str(folder.resolve())
    assert runner.invoke(cli, ["reindex"]).exit_code == 2
    result = runner.invoke(cli, ["reindex", "one.txt"])
    assert result.exit_code == 0 and "indexed" in result.output
    result = runner.invoke(cli, ["unwatch", str(folder)])
    assert result.exit_code == 0
    assert runner.invoke(cli, ["unwatch", str(folder)]).exit_code == 1
