"""Chat history: conversations and their messages in SQLite (WAL) under the data dir.

Qt-free so the GUI, `rag-cli ask --chat ID` and follow-up retrieval share it. A message is
written only once it is complete, so a crash mid-answer keeps the conversation up to the
last finished message.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError
from rag.store.sqlite import Database
from rag.events import Quote, Source

SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    kb TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL,
    sources TEXT NOT NULL DEFAULT '[]',
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_chat ON messages(chat_id, id);
"""


@dataclass(frozen=True)
class Chat:
    id: int
    title: str
    kb: str
    created: float
    updated: float


@dataclass(frozen=True)
class Message:
    id: int
    chat_id: int
    role: str
    text: str
    sources: tuple[Source, ...]
    created: float
    evidence: tuple[Quote, ...] = ()  # the quotes an answer rested on


def _prepare(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)


class ChatHistory:
    def __init__(self, path: Path):
        advice = (f"your documents and knowledge bases are not affected: move {path.name} out of {path.parent} "
                  "and RAG Desk starts a new, empty chat history")
        self._db = Database(path, _prepare, "saved chats", advice)
        self._lock = self._db.lock

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def create(self, title: str, kb: str) -> Chat:
        now = time.time()
        with self._lock:
            cur = self._db.execute("INSERT INTO chats (title, kb, created, updated) VALUES (?, ?, ?, ?)",
                                   (title.strip()[:120] or "New chat", kb, now, now))
        return self.get(cur.lastrowid)

    def get(self, chat_id: int) -> Chat:
        with self._lock:
            row = self._db.execute("SELECT * FROM chats WHERE id = ?", (chat_id,)).fetchone()
        if row is None:
            raise RagError(f"chat {chat_id} does not exist; see `rag-cli chats list`")
        return Chat(**dict(row))

    def chats(self) -> list[Chat]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM chats ORDER BY updated DESC, id DESC").fetchall()
        return [Chat(**dict(r)) for r in rows]

    def rename(self, chat_id: int, title: str) -> Chat:
        self.get(chat_id)
        with self._lock:
            self._db.execute("UPDATE chats SET title = ? WHERE id = ?", (title.strip()[:120], chat_id))
        return self.get(chat_id)

    def delete(self, chat_id: int) -> None:
        self.get(chat_id)
        with self._lock:
            self._db.execute("DELETE FROM chats WHERE id = ?", (chat_id,))

    def add(self, chat_id: int, role: str, text: str, sources: tuple[Source, ...] = (),
            evidence: tuple[Quote, ...] = ()) -> Message:
        now = time.time()
        payload = json.dumps([{**s.to_json(), "char_start": s.char_start, "char_end": s.char_end,
                               "chunk_id": s.chunk_id, "offsets": s.offsets} for s in sources]
                             + [{"quote": {**q.to_json(), "path": q.path, "ocr": q.ocr}} for q in evidence],
                             ensure_ascii=False)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT INTO messages (chat_id, role, text, sources, created) VALUES (?, ?, ?, ?, ?)",
                    (chat_id, role, text, payload, now))
                self._db.execute("UPDATE chats SET updated = ? WHERE id = ?", (now, chat_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return self.message(cur.lastrowid)

    def delete_message(self, message_id: int) -> None:
        """Forget one message (the GUI's "regenerate" replaces the last answer)."""
        with self._lock:
            self._db.execute("DELETE FROM messages WHERE id = ?", (message_id,))

    def message(self, message_id: int) -> Message:
        with self._lock:
            row = self._db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        return _message(row)

    def messages(self, chat_id: int) -> list[Message]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM messages WHERE chat_id = ? ORDER BY id", (chat_id,)).fetchall()
        return [_message(r) for r in rows]

    def turns(self, chat_id: int) -> list[tuple[str, str]]:
        """(question, answer) pairs of completed exchanges, oldest first."""
        out: list[tuple[str, str]] = []
        pending: str | None = None
        for m in self.messages(chat_id):
            if m.role == "user":
                pending = m.text
            elif pending is not None:
                out.append((pending, m.text))
                pending = None
        return out

    def start_turn(self, chat: int | str, question: str, kb: str) -> tuple[Chat, list[tuple[str, str]]]:
        """Save `question` into chat `chat` ("new": a new chat titled by the question) and
        return the chat with the turns before it, which follow-up questions lean on."""
        if chat == "new":
            record, history = self.create(chat_title(question), kb), []
        else:
            try:
                record = self.get(int(chat))
            except (TypeError, ValueError):
                raise RagError(f"{chat!r} is not a chat; give a chat number or 'new'") from None
            history = self.turns(record.id)
        self.add(record.id, "user", question)
        return record, history

    def export_markdown(self, chat_id: int) -> str:
        chat = self.get(chat_id)
        lines = [f"# {chat.title}", "", f"Knowledge base: {chat.kb}", ""]
        for m in self.messages(chat_id):
            if m.role == "user":
                lines += [f"**You:** {m.text}", ""]
            else:
                lines += [f"**RAG Desk:** {m.text}", ""]
                if m.sources:
                    lines.append("Sources:")
                    lines += [f"- [{s.n}] {s.label()}" for s in m.sources]
                    lines.append("")
        return "\n".join(lines)


TITLE_CHARS = 80


def chat_title(question: str) -> str:
    """A new chat is titled by the first line of its first question, cut at TITLE_CHARS."""
    line = next((x.strip() for x in question.splitlines() if x.strip()), "")
    return line if len(line) <= TITLE_CHARS else line[:TITLE_CHARS - 1].rstrip() + "…"


def _message(row: sqlite3.Row) -> Message:
    # one JSON list: the sources, then {"quote": ...} items for the evidence (older rows have none)
    items = json.loads(row["sources"])
    sources = tuple(
        Source(n=s["n"], file=s["file"], path=s["path"], page=s["page"], page_end=s["page_end"], score=s["score"],
               text=s["text"], chunk_id=s.get("chunk_id", ""), char_start=s.get("char_start", 0),
               char_end=s.get("char_end", 0), ocr=bool(s.get("ocr", False)), offsets=s.get("offsets", ""),
               section=s.get("section", ""))
        for s in items if "quote" not in s
    )
    evidence = tuple(Quote(q["n"], q["file"], q.get("path", ""), q["page"], q["quote"], q["start"], q["end"],
                           bool(q.get("ocr", False))) for q in (i["quote"] for i in items if "quote" in i))
    return Message(row["id"], row["chat_id"], row["role"], row["text"], sources, row["created"], evidence)
