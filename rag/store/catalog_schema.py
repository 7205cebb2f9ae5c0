"""The catalog's tables, and what brings a catalog written by an older version up to them
(columns added since are added in place; their defaults read as the old behaviour)."""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS kbs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    collection TEXT NOT NULL UNIQUE,
    embed_model TEXT,
    embed_dim INTEGER,
    chunk_tokens INTEGER,
    chunk_overlap INTEGER,
    created REAL NOT NULL,
    embed_backend TEXT
);
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kb_id INTEGER NOT NULL REFERENCES kbs(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER,
    mtime_ns INTEGER,
    sha256 TEXT,
    pending_sha256 TEXT,
    stale_sha256 TEXT,
    state TEXT NOT NULL,
    pages INTEGER DEFAULT 0,
    chunks INTEGER DEFAULT 0,
    error TEXT,
    updated REAL NOT NULL,
    stage TEXT,
    embedded INTEGER DEFAULT 0,
    UNIQUE (kb_id, path)
);
CREATE TABLE IF NOT EXISTS kb_store (
    kb_id INTEGER PRIMARY KEY REFERENCES kbs(id) ON DELETE CASCADE,
    location TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS watches (
    kb_id INTEGER NOT NULL REFERENCES kbs(id) ON DELETE CASCADE,
    folder TEXT NOT NULL,
    added REAL NOT NULL,
    PRIMARY KEY (kb_id, folder)
);
"""


def prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    columns = {r["name"] for r in conn.execute("PRAGMA table_info(kbs)")}
    if "embed_backend" not in columns:  # catalogs made before backends were recorded
        conn.execute("ALTER TABLE kbs ADD COLUMN embed_backend TEXT")
    columns = {r["name"] for r in conn.execute("PRAGMA table_info(files)")}
    if "stage" not in columns:  # catalogs made before progressive indexing: committed = indexed
        conn.execute("ALTER TABLE files ADD COLUMN stage TEXT")
    if "embedded" not in columns:
        conn.execute("ALTER TABLE files ADD COLUMN embedded INTEGER DEFAULT 0")
