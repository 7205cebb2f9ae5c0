"""Only regular files are read: FIFOs, devices and links to them are refused at once, given
directly or met in a folder; nothing inside a folder is skipped silently; a refused file is
listed with its reason; the same content under two paths is indexed once."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pdfs import FILLER_EN, make_pdf, make_sample_pdf
from rag.events import FileFailed, FileIgnored, FileIndexed, FileSkipped, IngestDone
from reliability.helpers import outcomes, rag_cli, unprivileged


def _by_name(events, kind):
    return {e.name: e for e in events if isinstance(e, kind)}


@pytest.mark.timeout(120)
def test_a_fifo_and_a_link_to_a_device_are_refused_at_once(make_engine, tmp_path):
    fifo = tmp_path / "x.pdf"
    os.mkfifo(fifo)  # open() of a FIFO with no writer blocks forever
    zero = tmp_path / "a.pdf"
    zero.symlink_to("/dev/zero")  # read() never ends
    engine = make_engine()
    events = list(engine.ingest([fifo, zero]))
    failed = _by_name(events, FileFailed)
    assert "is a FIFO (named pipe), not a regular file" in failed["x.pdf"].reason
    assert "is a character device (a link to it), not a regular file" in failed["a.pdf"].reason
    # the writer lock is free again: the next ingest goes ahead at once
    ok = make_pdf(tmp_path / "ok.pdf", [["The spare key hangs behind the blue door.", *FILLER_EN]])
    assert _by_name(list(engine.ingest([ok])), FileIndexed)
    # both refusals are listed with their reason, next to the indexed file
    listed = {f.name: f for f in engine.list_files()}
    assert listed["x.pdf"].state == "failed" and "FIFO" in listed["x.pdf"].error
    assert listed["a.pdf"].state == "failed" and "device" in listed["a.pdf"].error


@pytest.mark.timeout(120)
def test_nothing_inside_a_folder_is_skipped_silently(make_engine, tmp_path):
    docs = tmp_path / "docs"
    make_sample_pdf(docs / "manual.pdf")
    os.mkfifo(docs / "pipe.pdf")
    (docs / "null.txt").symlink_to("/dev/null")
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (docs / "notes.odt").write_bytes(b"PK\x03\x04")
    events = list(make_engine().ingest([docs]))
    failed = _by_name(events, FileFailed)
    assert set(failed) == {"pipe.pdf", "null.txt"}
    assert "FIFO" in failed["pipe.pdf"].reason and "character device" in failed["null.txt"].reason
    assert set(_by_name(events, FileIgnored)) == {"photo.png", "notes.odt"}
    done = events[-1]
    assert isinstance(done, IngestDone) and (done.indexed, done.failed, done.ignored) == (1, 2, 2)


def test_the_cli_counts_ignored_files_and_lists_them_with_v(rag_home, tmp_path):
    docs = tmp_path / "docs"
    make_sample_pdf(docs / "manual.pdf")
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    quiet = rag_cli("ingest", docs, home=rag_home)
    assert quiet.returncode == 0 and "1 other file(s) ignored (not .pdf/.txt/.md; -v lists them)" in quiet.stderr
    assert "photo.png" not in quiet.stderr
    (docs / "more.txt").write_text("The gateway reboots at midnight on Sundays.")
    loud = rag_cli("ingest", docs, "-v", home=rag_home)
    assert "photo.png: ignored (not a document RAG Desk reads (.pdf, .docx, .epub, .html, .txt, .md))" in loud.stderr, loud.stderr


def test_the_same_content_under_two_paths_is_indexed_once(make_engine, tmp_path):
    first = make_sample_pdf(tmp_path / "a" / "manual.pdf")
    copy = tmp_path / "b" / "manual-copy.pdf"
    copy.parent.mkdir()
    shutil.copy(first, copy)
    engine = make_engine()
    list(engine.ingest([first]))
    events = list(engine.ingest([copy]))
    skipped = _by_name(events, FileSkipped)
    assert "the same content as" in skipped["manual-copy.pdf"].reason and str(first) in skipped["manual-copy.pdf"].reason
    hits = engine.search("What is the default port of the admin console?").sources
    assert len({(s.file, s.page) for s in hits}) == len(hits) and all(s.file == "manual.pdf" for s in hits)


def test_unreadable_folders_are_reported_as_a_user_who_cannot_read_them(models_dir, tmp_path):
    prefix = unprivileged()
    if prefix is None:
        pytest.skip("running as root without setpriv: root reads every folder")
    root = Path(tempfile.mkdtemp(prefix="rag-unreadable-dir-"))
    try:
        root.chmod(0o777)
        home = root / "home"
        shutil.copytree(models_dir / "onnx", home / "models" / "onnx")
        docs = root / "docs"
        make_pdf(docs / "open.pdf", [["The green lamp means the uplink is healthy.", *FILLER_EN]])
        locked = make_sample_pdf(docs / "private" / "locked.pdf")
        for path in [root, *root.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
        os.chown(docs / "private", 0, 0)
        (docs / "private").chmod(0o700)  # nobody may list it, nor reach the file inside
        env = {"HOME": str(root), "RAG_PARSE_IN_SUBPROCESS": "0"}
        folder = rag_cli("ingest", docs, home=home, prefix=prefix, env=env)
        assert folder.returncode == 1 and "Traceback" not in folder.stderr, folder.stderr
        got = outcomes(folder.stderr)
        assert got["private"].startswith("FAILED: this folder cannot be read (Permission denied)"), folder.stderr
        assert got["open.pdf"].startswith("indexed "), folder.stderr
        direct = rag_cli("ingest", locked, home=home, prefix=prefix, env=env)
        assert direct.returncode == 1 and "Traceback" not in direct.stderr, direct.stderr
        assert "locked.pdf: FAILED: permission denied on the file or a folder holding it" in direct.stderr
        listed = json.loads(rag_cli("list", "--json", home=home, prefix=prefix, env=env).stdout)["files"]
        assert {f["file"] for f in listed} >= {"open.pdf", "locked.pdf"}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_newline_in_a_file_name_is_shown_escaped_on_one_row(rag_home, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "two\nlines.txt").write_text("The gateway reboots at midnight on Sundays.")
    assert rag_cli("ingest", docs, home=rag_home).returncode == 0
    rows = rag_cli("list", home=rag_home).stdout.splitlines()
    assert len(rows) == 1 and rows[0].startswith("two\\nlines.txt") and "indexed" in rows[0]
