"""The SQLite files of a data folder are checked whole when opened (rag.store.sqlite)."""

from __future__ import annotations

import sqlite3

import pytest

from rag.errors import DatabaseDamagedError
from rag.store import sqlite as files


def _prepare(conn):
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")


def _filled(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE INDEX t_body ON t (body)")
    conn.executemany("INSERT INTO t (body) VALUES (?)", [(f"row {i} " + "x" * 200,) for i in range(2000)])
    conn.commit()
    conn.close()


def _damage_index_page(path):
    """Garble the middle of the index's last page: no query of the table's rows reads it."""
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 't_body'").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert root < pages
    data = bytearray(path.read_bytes())
    at = (pages - 1) * size  # the index was built last: its pages are the file's end
    data[at + 8: at + 64] = bytes(range(56))
    path.write_bytes(bytes(data))


def test_damage_no_statement_would_meet_is_found_when_the_file_is_opened(tmp_path):
    path = tmp_path / "catalog.sqlite3"
    _filled(path)
    files.Database(path, _prepare, "test file", "advice").close()  # whole and fine
    _damage_index_page(path)
    plain = sqlite3.connect(path)  # without the check the rows still read back
    assert plain.execute("SELECT count(*) FROM t").fetchone()[0] == 2000
    plain.close()
    with pytest.raises(DatabaseDamagedError) as err:
        files.Database(path, _prepare, "test file", "do this")
    assert "catalog.sqlite3" in str(err.value) and "do this" in str(err.value)


def test_files_over_the_limit_are_not_read_whole_at_open(tmp_path, monkeypatch):
    path = tmp_path / "catalog.sqlite3"
    _filled(path)
    _damage_index_page(path)
    monkeypatch.setattr(files, "QUICK_CHECK_BYTES", path.stat().st_size - 1)
    db = files.Database(path, _prepare, "test file", "advice")  # left to doctor and to the statements
    assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 2000
    db.close()
