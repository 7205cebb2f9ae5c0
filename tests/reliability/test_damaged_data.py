"""A damaged or unusual data folder: every command gives one clear message naming the file and
the way back, never a traceback; `doctor --repair` brings the store back to what a clean
ingest gives; reading a data folder never creates anything in it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pdfs import FILLER_EN, make_pdf, make_sample_pdf
from reliability.helpers import rag_cli, unprivileged

QUESTION = "What is the default port of the admin console?"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A data folder with two indexed PDFs (its catalog backed up by the ingest), built once."""
    root = tmp_path_factory.mktemp("seeded")
    docs = root / "docs"
    make_sample_pdf(docs / "router.pdf")
    make_pdf(docs / "keys.pdf", [["The spare key hangs behind the blue door of the shed.", *FILLER_EN]])
    home = root / "home"
    proc = rag_cli("ingest", docs, home=home)
    assert proc.returncode == 0, proc.stderr
    assert (home / "catalog.sqlite3.bak").is_file()
    return home, docs


@pytest.fixture
def home(seeded, tmp_path):
    src, _ = seeded
    copy = tmp_path / "home"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("write.lock"))
    return copy


def every_command(home: Path, docs: Path) -> dict[str, object]:
    return {name: rag_cli(*args, home=home) for name, args in {
        "list": ["list"], "search": ["search", "admin console port"], "ask": ["ask", QUESTION],
        "doctor": ["doctor"], "ingest": ["ingest", docs / "router.pdf"]}.items()}


def assert_one_clear_message(procs: dict, *needles: str) -> None:
    for name, proc in procs.items():
        assert proc.returncode != 0, (name, proc.stdout)
        said = proc.stderr + proc.stdout
        assert "Traceback" not in said and "sqlite3.DatabaseError" not in said, (name, said)
        for needle in needles:
            assert needle in said, (name, needle, said)


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "half":
        data = data[: len(data) // 2]
    elif how == "head":
        data[:100] = os.urandom(100)
    elif how == "inside":
        for at in range(8192, len(data), 4096):  # every page but the first: the header still reads
            data[at + 16: at + 400] = os.urandom(384)
    elif how == "empty":
        data = bytearray()
    path.write_bytes(bytes(data))
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)


def assert_back_to_clean(home: Path) -> None:
    listed = json.loads(rag_cli("list", "--json", home=home).stdout)["files"]
    assert sorted((f["file"], f["status"]) for f in listed) == [("keys.pdf", "indexed"), ("router.pdf", "indexed")]
    found = json.loads(rag_cli("search", "admin console port", "--json", home=home).stdout)["results"]
    assert (found[0]["file"], found[0]["page"]) == ("router.pdf", 2)
    assert rag_cli("doctor", home=home).returncode == 0


@pytest.mark.parametrize("how", ["half", "head", "empty"])
def test_a_damaged_catalog_says_so_everywhere_and_doctor_puts_it_back(seeded, home, how):
    _, docs = seeded
    damage(home / "catalog.sqlite3", how)
    assert_one_clear_message(every_command(home, docs), "catalog.sqlite3", "doctor --repair")
    repair = rag_cli("doctor", "--repair", home=home)
    assert "Traceback" not in repair.stderr, repair.stderr
    assert "damaged-catalog" in repair.stdout and "put back the copy" in repair.stdout, repair.stdout
    assert list(home.glob("catalog.sqlite3.damaged-*")), "the damaged file is kept"
    assert_back_to_clean(home)


def test_random_bytes_inside_the_catalog_are_found_by_every_reader(seeded, home):
    _, docs = seeded
    damage(home / "catalog.sqlite3", "inside")
    for args in (["search", "admin console port"], ["ask", QUESTION], ["doctor"]):
        proc = rag_cli(*args, home=home)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr, (args, proc.stderr)
        assert "catalog.sqlite3" in proc.stderr + proc.stdout and "doctor --repair" in proc.stderr + proc.stdout
    assert rag_cli("doctor", "--repair", home=home).returncode in (0, 1)
    assert_back_to_clean(home)


def test_a_deleted_vector_store_is_shown_and_repaired(seeded, home):
    _, docs = seeded
    shutil.rmtree(home / "chroma")
    listed = json.loads(rag_cli("list", "--json", home=home).stdout)["files"]
    assert {f["status"] for f in listed} == {"vectors missing"} and "doctor --repair" in listed[0]["error"]
    ask = rag_cli("ask", QUESTION, home=home)
    assert ask.returncode == 1 and "lost its chunks" in ask.stderr and "doctor --repair" in ask.stderr
    # re-ingesting does not skip a file whose chunks are gone
    again = rag_cli("ingest", docs / "router.pdf", home=home)
    assert "router.pdf: indexed" in again.stderr, again.stderr
    repair = rag_cli("doctor", "--repair", home=home)
    assert "reindexed" in repair.stdout, repair.stdout
    assert_back_to_clean(home)


def test_reading_never_creates_anything(tmp_path):
    home = tmp_path / "new-home"
    home.mkdir()
    for args in (["list"], ["kb", "list"], ["doctor"], ["search", "anything"], ["chats", "list"]):
        proc = rag_cli(*args, home=home)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
    assert list(home.iterdir()) == []


def test_rag_home_that_is_empty_or_a_file_is_one_clear_error(tmp_path):
    file = tmp_path / "not-a-folder"
    file.write_text("x")
    for value, needle in (("", "RAG_HOME is set but empty"), (str(file), "is a file, not a folder")):
        for args in (["list"], ["ask", QUESTION], ["ingest", str(file)]):
            proc = rag_cli(*args, home=tmp_path, env={"RAG_HOME": value})
            assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_read_only_data_folder_reads_and_refuses_writes(seeded, models_dir):
    prefix = unprivileged()
    if prefix is None:
        pytest.skip("running as root without setpriv: root writes into any folder")
    src, docs = seeded
    root = Path(tempfile.mkdtemp(prefix="rag-readonly-"))
    try:
        root.chmod(0o755)
        home = root / "home"
        shutil.copytree(src, home, ignore=shutil.ignore_patterns("write.lock"))
        new = make_pdf(root / "new.pdf", [["The night light stays on for three hours.", *FILLER_EN]])
        for path in [home, *home.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)  # owned by root: nobody may write
        env = {"HOME": str(root), "RAG_PARSE_IN_SUBPROCESS": "0"}
        listed = rag_cli("list", "--json", home=home, prefix=prefix, env=env)
        assert listed.returncode == 0, listed.stderr
        assert {f["file"] for f in json.loads(listed.stdout)["files"]} == {"router.pdf", "keys.pdf"}
        found = rag_cli("search", "admin console port", "--json", home=home, prefix=prefix, env=env)
        # the search answers, or says plainly that the folder is read-only: never a traceback
        assert "Traceback" not in found.stderr, found.stderr
        assert (found.returncode == 0 and json.loads(found.stdout)["results"][0]["page"] == 2) or \
            "is read-only" in found.stderr, found.stderr
        write = rag_cli("ingest", new, home=home, prefix=prefix, env=env)
        assert write.returncode != 0 and "read-only" in write.stderr and "Traceback" not in write.stderr, write.stderr
    finally:
        for path in root.rglob("*"):
            path.chmod(0o755)
        shutil.rmtree(root, ignore_errors=True)
