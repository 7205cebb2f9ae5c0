"""The lexical (BM25) side of retrieval, kept in the catalog's SQLite file with FTS5.

Tokens are made here, not by SQLite, so that Chinese and identifiers work:
- CJK runs become character unigrams and bigrams (no dictionary needed);
- identifiers such as `\\urlcolor`, `set_option`, `0-201-43311-7` or `v1.2` are kept whole
  *and* split into their parts; English words are lower-cased and stemmed; stop words go.
Every token is then written as a plain ASCII word (non-ASCII ones hex-encoded), so FTS5's
own tokenizer keeps each one intact. A chunk's section title is a column of its own, worth a
quarter of the body (`TITLE_WEIGHT`). Rows carry the chunk's file id and version sha and
are written and deleted together with the vector store's chunks; a query only counts rows
whose sha is the file's committed version, so half-written files never show up.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from itertools import islice
from typing import Callable, Iterable

from rag.errors import KnowledgeBaseError
from rag.language import CJK_CHARS

_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
_RICH = re.compile(r"\\?[0-9a-z_](?:[0-9a-z_\-\.:/+#]*[0-9a-z_+#])?")
_PART = re.compile(r"[0-9a-z]+")
_PLAIN = re.compile(r"^[0-9a-z]+$")
STOP_WORDS = frozenset(
    "a an and are as at be but by can do does for from has have how i if in into is it its of on or "
    "so than that the their then there these this to was what when where which who why will with you "
    "your we our my me may should would could also not no yes use using used".split()
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # a dependency: the index and the queries must stem alike

    return Stemmer.Stemmer("english").stemWord


def tokenize(text: str, unigrams: bool = True) -> list[str]:
    """Tokens of a passage. `unigrams=False` (questions) keeps a CJK character only where it
    stands alone, and searches a longer run by its bigrams, as a CJK bigram analyzer
    (Lucene's, for one) does: a question's single characters (预, 览, 程, 序 of 预览程序)
    match nearly every Chinese page and drown the bigrams that carry the meaning. Documents
    keep their unigrams. On the QA set, Chinese hit@5 rose from 0.84 to 0.89 for BM25 and
    from 0.86 to 0.92 for hybrid."""
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    pos = 0
    for m in _CJK_RUN.finditer(text):
        _latin_tokens(text[pos : m.start()], out)
        run = m.group()
        if unigrams or len(run) == 1:
            out.extend(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))  # bigrams
        pos = m.end()
    _latin_tokens(text[pos:], out)
    return out


def _latin_tokens(text: str, out: list[str]) -> None:
    for token in _RICH.findall(text):
        out.extend(_word_tokens(token))


@lru_cache(maxsize=100_000)
def _word_tokens(token: str) -> tuple[str, ...]:
    """The tokens of one word as `_RICH` finds it: remembered, since a manual repeats its
    words (this halved the time to tokenize a 100-page manual, which ingestion spends on a
    core the embedder could use)."""
    out = []
    parts = _PART.findall(token)
    if len(parts) > 1 or not _PLAIN.match(token):
        out.append(token)  # the identifier as written
    stem = _stemmer()
    for part in parts:
        if part in STOP_WORDS:
            continue
        out.append(stem(part) if part.isalpha() else part)
    return tuple(out)


@lru_cache(maxsize=100_000)
def encode(token: str) -> str:
    """An FTS5-safe word: plain ASCII alphanumerics stay, anything else is hex-encoded."""
    return token if _PLAIN.match(token) else "x" + token.encode("utf-8").hex()


def forget_words() -> None:
    """Empty the word caches (benchmarks: each run starts as a new process would)."""
    _word_tokens.cache_clear()
    encode.cache_clear()


# Chinese function characters (particles, pronouns, question words): as query terms they
# match nearly every passage. A question's unigram is dropped when it is in ZH_STOP_CHARS. A
# bigram of two such characters is dropped when one of them is a pure function character
# (什么, 怎样, 如何, and junctions such as 么是, 样让 or 用吗) or when it is a listed function
# word; content words made of two common characters (应用, 对应, 可用, 有用, 可能) stay.
# Documents keep everything.
ZH_STOP_CHARS = frozenset(
    "的了是在和与或及还也就都而把被让给对从到为以于之其这那些个么什怎样吗呢吧啊哪谁如何能会要想有没不"
    "一我你他它们该应当时里可否请问将已所并但即若则用"
)
_ZH_PURE_STOP = frozenset(
    "的了是在和与或及还也就都而把被让给从到为以于之其这那些个么什怎样吗呢吧啊哪谁如何该我你他它们请问将已所并但即若则不没"
)
ZH_STOP_BIGRAMS = frozenset(
    "可以 应该 应当 能否 可否 是否 一个 一些 有没 没有 有什 用什 要什 能不 会不 可不".split()
)


def query_term(token: str) -> bool:
    if len(token) == 1:
        return token not in ZH_STOP_CHARS
    if len(token) == 2 and all(ch in ZH_STOP_CHARS for ch in token):
        return token not in ZH_STOP_BIGRAMS and not any(ch in _ZH_PURE_STOP for ch in token)
    return True


def fts_query(text: str, limit_terms: int = 64) -> str | None:
    tokens = tokenize(text, unigrams=False)
    # A question made only of function words still searches (with all of its tokens).
    terms = [t for t in tokens if query_term(t)] or tokens
    seen: dict[str, None] = {}
    for token in terms:
        seen.setdefault(encode(token))
        if len(seen) >= limit_terms:
            break
    if not seen:
        return None
    return " OR ".join(f'"{t}"' for t in seen)


# A section title counts a quarter of a body occurrence. Inside the body, a title such as
# 中文数字配置文件 ("Chinese numeral configuration file") made a 31-token tail of a code
# listing the best BM25 match for 怎样让页码用中文数字显示 (show page numbers in Chinese
# numerals), above the page that answers it: every short chunk of a section is mostly its title.
# A separate column keeps the title's words as evidence for the section's chunks, but the body
# decides between them. On the QA set, a weight of 0, 0.25 or 0.5 left hit@1/5/10 unchanged and
# raised MRR (hybrid 0.705 -> 0.712 at 0 or 0.25). In zhnumber.pdf, at 0.5 the listing's pages
# still take ranks 2-4 and push the answering page 2 to 5th; at 1 they come first again.
TITLE_WEIGHT = 0.25


def stored_row(chunk) -> tuple[str, int, str, str, str]:
    """The lexical row of a chunk read back from the vector store (a `StoredChunk`)."""
    m = chunk.metadata
    return chunk.id, int(m["file_id"]), m["sha"], m.get("section", ""), chunk.text


class LexicalIndex:
    """One FTS5 table per knowledge base, inside the catalog database."""

    COLUMNS = ("title", "body", "chunk_id", "file_id", "sha")

    def __init__(self, db, lock: threading.RLock):
        self._db = db
        self._lock = lock

    @staticmethod
    def _table(kb_id: int) -> str:
        return f"lex_{int(kb_id)}"

    def _create(self, table: str) -> None:
        self._db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING fts5(title, body, chunk_id UNINDEXED, "
            "file_id UNINDEXED, sha UNINDEXED, tokenize='unicode61')"
        )
        # Kept in the table's config, so `ORDER BY rank` ranks inside FTS5 with these weights.
        self._db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('rank', 'bm25({TITLE_WEIGHT}, 1.0)')")

    def _transaction(self, *statements: Callable[[], object]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    statement()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _exists(self, table: str) -> bool:
        return self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None

    def ensure(self, kb_id: int) -> None:
        t = self._table(kb_id)
        with self._lock:
            if not self._exists(t):
                self._transaction(lambda: self._create(t))  # with its rank weights, or not at all

    def outdated(self, kb_id: int) -> bool:
        """True when the table has an older layout (before section titles had their own
        column): `rebuild` it from the stored chunks."""
        t = self._table(kb_id)
        with self._lock:
            if not self._exists(t):
                return False
            columns = tuple(d[0] for d in self._db.execute(f"SELECT * FROM {t} LIMIT 0").description)
        return columns != self.COLUMNS

    @staticmethod
    def _rows(rows):
        return [(" ".join(encode(t) for t in tokenize(title)) if title else "",
                 " ".join(encode(t) for t in tokenize(text)), cid, fid, sha)
                for cid, fid, sha, title, text in rows]

    def _insert(self, table: str, data) -> None:
        self._db.executemany(f"INSERT INTO {table} (title, body, chunk_id, file_id, sha) VALUES (?, ?, ?, ?, ?)", data)

    def add(self, kb_id: int, rows: list[tuple[str, int, str, str, str]]) -> None:
        """rows: (chunk_id, file_id, sha, section title, text)."""
        self.ensure(kb_id)
        data = self._rows(rows)
        self._transaction(lambda: self._insert(self._table(kb_id), data))

    def delete(self, kb_id: int, file_id: int, sha: str | None = None) -> None:
        self.ensure(kb_id)
        with self._lock:
            if sha is None:
                self._db.execute(f"DELETE FROM {self._table(kb_id)} WHERE file_id = ?", (file_id,))
            else:
                self._db.execute(f"DELETE FROM {self._table(kb_id)} WHERE file_id = ? AND sha = ?", (file_id, sha))

    def committed_ids(self, kb_id: int) -> set[str]:
        """Chunk ids of rows that belong to a file's committed version."""
        self.ensure(kb_id)
        t = self._table(kb_id)
        with self._lock:
            rows = self._db.execute(
                f"SELECT {t}.chunk_id FROM {t} JOIN files f ON f.id = CAST({t}.file_id AS INTEGER)"
                f" AND f.sha256 = {t}.sha"
            ).fetchall()
            total = self._db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        ids = {r[0] for r in rows}
        if total != len(ids):  # rows of no committed version count as extra
            ids.add(f"<{total - len(ids)} uncommitted rows>")
        return ids

    def rebuild(self, kb_id: int, rows: Iterable[tuple[str, int, str, str, str]], expect: int | None = None) -> int:
        """Replace the table by these rows, in the current layout; returns how many. `rows` may
        be a generator. They fill a new table 1,000 at a time, each batch tokenized outside the
        catalog lock and written in its own short transaction, so the app's other catalog work
        goes on meanwhile and the old table still answers; one short transaction then puts the
        new table in its place. With fewer rows than `expect`, or on any error or crash, the
        old table stays. The caller holds the writer lock."""
        t = self._table(kb_id)
        new = f"{t}_new"
        self._transaction(lambda: self._db.execute(f"DROP TABLE IF EXISTS {new}"), lambda: self._create(new))
        count = 0
        try:
            rows = iter(rows)
            while batch := list(islice(rows, 1000)):
                data = self._rows(batch)
                self._transaction(lambda: self._insert(new, data))
                count += len(batch)
            if expect is not None and count < expect:
                raise KnowledgeBaseError(f"the vector store holds {count} chunks where the catalog counts {expect}; "
                                         "the lexical index was left as it was (see `rag-cli doctor`)")
        except BaseException:
            with self._lock:
                self._db.execute(f"DROP TABLE IF EXISTS {new}")
            raise
        self._transaction(lambda: self._db.execute(f"DROP TABLE IF EXISTS {t}"),
                          lambda: self._db.execute(f"ALTER TABLE {new} RENAME TO {t}"))
        return count

    def drop(self, kb_id: int) -> None:
        with self._lock:
            self._db.execute(f"DROP TABLE IF EXISTS {self._table(kb_id)}")

    def count(self, kb_id: int) -> int:
        self.ensure(kb_id)
        with self._lock:
            return self._db.execute(f"SELECT count(*) FROM {self._table(kb_id)}").fetchone()[0]

    def search(self, kb_id: int, query: str, k: int, file_ids: set[int] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, bm25 score: higher is better) of committed chunks only."""
        match = fts_query(query)
        if match is None:
            return []
        self.ensure(kb_id)
        t = self._table(kb_id)
        # FTS5 ranks inside its own index when asked for `ORDER BY rank LIMIT n`, reading the
        # stored columns of those n rows only (joining every match with `files` first cost 40%
        # more at 100,000 chunks). Rows of uncommitted versions (a file being ingested) or of
        # other files are dropped after ranking, so ask for more, and widen if too few are left.
        sql = f"SELECT chunk_id, -rank, file_id, sha FROM {t} WHERE {t} MATCH ? ORDER BY rank LIMIT ?"
        limit = 2 * k + 20 if not file_ids else 20 * k
        while True:
            with self._lock:
                rows = self._db.execute(sql, (match, limit)).fetchall()
                ids = sorted({int(r[2]) for r in rows})
                committed = dict(self._db.execute(
                    f"SELECT id, sha256 FROM files WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
            out = [(r[0], float(r[1])) for r in rows
                   if committed.get(int(r[2])) == r[3] and (not file_ids or int(r[2]) in file_ids)]
            if len(out) >= k or len(rows) < limit:  # enough, or every match was ranked
                return out[:k]
            limit *= 4
