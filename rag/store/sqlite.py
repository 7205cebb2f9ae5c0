"""The SQLite files of a data folder (the catalog, the chats), opened so that what goes wrong
with them reads as a sentence and nothing is created by reading.

- A file that is not there is not created until the first write: until then the database
  is an empty one in memory, and the first write transaction creates the file and moves
  over (`Database.materialize`). Listing a new data folder creates nothing.
- A damaged file (truncated, garbled, random bytes inside) raises `DatabaseDamagedError`
  naming the file and the way back, at open or at the first statement that meets the
  damage, never sqlite3's own traceback. A file of up to QUICK_CHECK_BYTES is checked
  whole when it is opened (SQLite's quick_check reads every page, ~1 ms per MB from the page
  cache): random bytes can sit in pages whose damage a query would not notice, and the
  search would then answer from garbage with no error.
- A read-only data folder (a read-only mount, no write permission) is opened read-only:
  reading works; a write raises `ReadOnlyDataError`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable

from rag.errors import DatabaseDamagedError, ReadOnlyDataError

_DAMAGE = ("not a database", "malformed", "disk image", "file is encrypted", "database corrupt")
_READ_ONLY = ("readonly database", "read-only", "attempt to write")
# Files up to this size are checked whole at open: about 17,000 chunks of a catalog (the
# bench's 3,300 take 12 MB), a few hundred PDFs. A larger one is checked by `rag-cli doctor`,
# and its damage shows where a statement meets it.
QUICK_CHECK_BYTES = 64 * 1024 * 1024


def writable(path: Path) -> bool:
    """Whether `path` (a file, or the folder it would go in) can be written."""
    target = path if path.exists() else path.parent
    while not target.exists() and target != target.parent:
        target = target.parent
    return os.access(target, os.W_OK)


class Database:
    """A sqlite3 connection (check_same_thread off, autocommit: callers BEGIN themselves) with
    the rules above. `execute`, `executemany`, `executescript`, `backup` and `close` are
    those of sqlite3; their errors are translated."""

    def __init__(self, path: Path, prepare: Callable[[sqlite3.Connection], None], what: str, advice: str):
        self.path = path
        self.what = what  # "catalog.sqlite3 (knowledge bases, files and their texts)"
        self.advice = advice  # how to get back from damage
        self._prepare = prepare
        self.lock = threading.RLock()
        self.read_only = False
        self.in_memory = not path.exists()
        self._conn = self._connect()

    # ---- opening ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.in_memory:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        elif not writable(self.path) or not os.access(self.path.parent, os.W_OK):
            # immutable: no -wal/-shm files to make (a read-only folder cannot hold them)
            self.read_only = True
            conn = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False,
                                   isolation_level=None)
        else:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            if not self.in_memory:
                _check_whole(conn, self.path)
            if self.in_memory or not self.read_only:
                self._prepare(conn)
            else:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise self._translate(exc) from None
        return conn

    def materialize(self) -> None:
        """Before the first write: create the file (a new data folder) and use it."""
        if not self.in_memory:
            return
        with self.lock:
            if not self.in_memory:
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ReadOnlyDataError(self.path.parent, exc.strerror or str(exc)) from None
            old = self._conn
            self.in_memory = False
            try:
                self._conn = self._connect()
            except BaseException:
                self.in_memory = True
                raise
            old.close()

    # ---- statements -------------------------------------------------------------------

    def _translate(self, exc: Exception) -> Exception:
        text = str(exc).lower()
        if isinstance(exc, sqlite3.OperationalError) and any(m in text for m in _READ_ONLY):
            return ReadOnlyDataError(self.path.parent, str(exc))
        if isinstance(exc, sqlite3.OperationalError) and "unable to open database file" in text:
            return ReadOnlyDataError(self.path.parent, "cannot open or create files there")
        if type(exc) is sqlite3.DatabaseError or any(m in text for m in _DAMAGE):
            return DatabaseDamagedError(self.path, self.what, str(exc), self.advice)
        return exc

    def _run(self, fn, *args):
        try:
            return fn(*args)
        except sqlite3.DatabaseError as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from None

    def execute(self, sql: str, params=()):
        if self.in_memory and _writes(sql):
            self.materialize()
        return _Rows(self, self._run(self._conn.execute, sql, params))

    def executemany(self, sql: str, rows):
        if self.in_memory:
            self.materialize()
        return self._run(self._conn.executemany, sql, rows)

    def executescript(self, script: str):
        if self.in_memory:
            self.materialize()
        return self._run(self._conn.executescript, script)

    def backup(self, target: sqlite3.Connection) -> None:
        self._run(self._conn.backup, target)

    def close(self) -> None:
        self._conn.close()

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn


def _check_whole(conn: sqlite3.Connection, path: Path) -> None:
    """Raise sqlite3.DatabaseError when a small enough file fails SQLite's quick_check."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if not size or size > QUICK_CHECK_BYTES:
        return
    rows = [r[0] for r in conn.execute("PRAGMA quick_check(3)").fetchall()]
    if rows != ["ok"]:
        raise sqlite3.DatabaseError("database disk image is malformed: " + "; ".join(map(str, rows)))


def _writes(sql: str) -> bool:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    return head in ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN")


class _Rows:
    """A cursor whose fetches translate errors too (damage can sit in a page read later)."""

    def __init__(self, db: Database, cursor: sqlite3.Cursor):
        self._db = db
        self._cursor = cursor

    def fetchone(self):
        return self._db._run(self._cursor.fetchone)

    def fetchall(self):
        return self._db._run(self._cursor.fetchall)

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def lastrowid(self):
        return self._cursor.lastrowid

    @property
    def rowcount(self):
        return self._cursor.rowcount

    @property
    def description(self):
        return self._cursor.description
