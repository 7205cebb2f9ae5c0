"""The engine facade: the one API behind the CLI, the GUI and Python users.

    with Engine() as engine:               # settings from settings.toml + RAG_* variables
        for event in engine.ingest(["docs/"]): ...
        for event in engine.ask("What is the default port?", chat="new"): ...

Every behaviour the two faces share is a method here. The work is done by the stages it
wires together (see the README's map): `rag.store.library` (knowledge bases and files),
`rag.ingest.jobs` (ingestion), `rag.search.searcher` (retrieval), `rag.answer.stream`
(answers). Heavy pieces (chromadb, the embedder, llama.cpp) load on first use.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from rag.answer.question import make_question
from rag.answer.stream import Answerer
from rag.errors import DatabaseDamagedError
from rag.events import Abstained, AnswerDone, AnswerEvent, ChatSaved, FileIndexed, IngestEvent
from rag.ingest.jobs import Indexer
from rag.parts import EMBEDDER_FIELDS, STORE_FIELDS, Parts
from rag.search.searcher import Searcher, SearchResult
from rag.settings import Settings, config_file, data_dir, load_settings, save_settings, with_changes
from rag.store.library import KbInfo, Library
from rag.store.manifest import FileRecord, KnowledgeBase

# what "Delete all data" keeps in the data folder
KEPT_ON_WIPE = ("settings.toml",)


class Engine:
    """`parts` (the shared collaborators) and the stages `library`, `indexer`, `searcher` and
    `answerer` are public for tools that go below the facade (benchmarks, tests)."""

    def __init__(self, settings: Settings | None = None, *, home: Path | None = None,
                 embedder=None, generator=None, store=None):
        self._wire(settings or load_settings(), Path(home) if home else data_dir(), embedder, generator, store)

    def _wire(self, settings: Settings, home: Path, embedder, generator, store, writer=None) -> None:
        self.parts = Parts(settings, home, embedder=embedder, generator=generator, store=store)
        if writer is not None:  # the lock held while the parts are rebuilt stays the one held
            self.parts.__dict__["writer"] = writer
        self.library = Library(self.parts)
        self.indexer = Indexer(self.parts, self.library)
        self.searcher = Searcher(self.parts, self.library)
        self.answerer = Answerer(self.parts, self.library, self.searcher)

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.parts.close()

    # ---- settings and models -----------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.parts.settings

    @property
    def home(self) -> Path:
        return self.parts.home

    @property
    def embedder(self):
        return self.parts.embedder

    @property
    def generator(self):
        return self.parts.generator

    @property
    def chats(self):
        """The saved chats (`rag.store.chats.ChatHistory`): list, rename, delete, export."""
        return self.parts.chats

    def update_settings(self, settings: Settings) -> set[str]:
        """Use new settings from now on; models whose settings changed reload on next use.
        Returns the names of the settings that changed."""
        changed = self.parts.update_settings(settings)
        if changed & set(STORE_FIELDS):
            self.library.recovery.forget()
        if changed & set(STORE_FIELDS + EMBEDDER_FIELDS):
            self.indexer.files.forget_vectors()
        return changed

    def use_model(self, setting: str, value: str, settings_file: Path | None = None) -> set[str]:
        """Select a model (`llm_model` or `embedding_model` = `value`, as models.catalog.use
        gives it): saved to the settings file (its own values only: RAG_* variables do not leak
        into it) and used from now on. Returns the settings that changed."""
        path = settings_file or config_file()
        save_settings(with_changes(load_settings(path, env={}), **{setting: value}), path)
        return self.update_settings(with_changes(self.settings, **{setting: value}))

    # ---- knowledge bases and files -------------------------------------------------------

    def list_kbs(self) -> list[KbInfo]:
        return self.library.list_kbs()

    def create_kb(self, name: str, embedder: str | None = None) -> KnowledgeBase:
        """A new knowledge base; `embedder` (a catalog name or alias such as "e5" or "minilm",
        or an embedding_model value) is the one it is built with, else the embedding_model setting."""
        return self.library.create_kb(name, self.embedder_setting(embedder) if embedder else None)

    def embedder_setting(self, choice: str) -> str:
        """The embedding_model value for `choice`: a catalog embedding model's name or alias
        (refused when it is not installed, with how to install it), or such a value itself."""
        from models import catalog
        from models.errors import ModelError

        try:
            entry = catalog.find(self.parts.models_dir, choice)
        except ModelError:
            return choice  # a "bundled:…" value, a folder, a model id: checked where it loads
        if entry.kind != "embedding":
            raise ModelError(f"{entry.name} is an LLM, not an embedding model; see `rag-cli models list`")
        return catalog.use(entry, self.parts.models_dir)[1]

    def embedder_suggestion(self, kb: str | None = None, ui_language: str | None = None, measure: bool = True):
        """A suggestion to index `kb` again with the multilingual e5 embedder (most of its text is
        Chinese, or the app speaks Chinese), with the time that takes here; None when there is
        none. See `rag.store.library.EmbedderSuggestion`; `reindex_kb(kb, embedder=s.setting)` acts on it."""
        return self.library.embedder_suggestion(kb, ui_language, measure)

    def rename_kb(self, old: str, new: str) -> KnowledgeBase:
        return self.library.rename_kb(old, new)

    def delete_kb(self, name: str) -> None:
        self.library.delete_kb(name)

    def list_files(self, kb: str | None = None) -> list[FileRecord]:
        return self.library.files(kb)

    def remove(self, file: str, kb: str | None = None) -> FileRecord:
        return self.library.remove(file, kb)

    def missing_sources(self, kb: str | None = None) -> list[FileRecord]:
        return self.library.missing_sources(kb)

    def needs_reindex(self, kb: str | None = None) -> list[str]:
        return self.library.needs_reindex(kb)

    def watched_folders(self, kb: str | None = None) -> list[str]:
        return self.library.watched_folders(kb)

    def watch(self, folder: str | Path, kb: str | None = None) -> str:
        return self.library.watch(folder, kb)

    def unwatch(self, folder: str | Path, kb: str | None = None) -> None:
        self.library.unwatch(folder, kb)

    # ---- ingestion -----------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], kb: str | None = None,
               cancel: threading.Event | None = None, wait: bool = True) -> Iterator[IngestEvent]:
        """Index files and folders. Each file is searchable by BM25 as soon as its text is
        stored (FileSearchable), and by dense search once its vectors are (FileIndexed). With
        `wait` false the job returns when every file is searchable by its text; the vectors of
        files left at stage `lexical` are made by the next job on `kb`, or by `finish(kb)`."""
        return self.indexer.ingest(paths, kb, cancel, wait)

    def finish(self, kb: str | None = None, cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        """Make the vectors of files of `kb` left at stage `lexical` by an earlier job."""
        return self.indexer.finish(kb, cancel)

    def reindex(self, files: Sequence[str], kb: str | None = None,
                cancel: threading.Event | None = None) -> Iterator[IngestEvent]:
        return self.indexer.reindex(files, kb, cancel)

    def reindex_kb(self, kb: str | None = None, cancel: threading.Event | None = None,
                   embedder: str | None = None) -> Iterator[IngestEvent]:
        """Index `kb` again with the current chunk settings and its own embedder, or with
        `embedder` (as for create_kb): switching a knowledge base's embedder is this rebuild."""
        return self.indexer.reindex_kb(kb, cancel, self.embedder_setting(embedder) if embedder else None)

    def sync(self, kb: str | None = None, cancel: threading.Event | None = None,
             wait: bool = True) -> Iterator[IngestEvent]:
        return self.indexer.sync(kb, cancel, wait)

    def page_texts(self, path: str | Path, cancel: threading.Event | None = None) -> list[str]:
        """A document's text, page by page (index 0 = page 1), read again from its file: for
        DOCX, EPUB and HTML each page is a section, in the raw text that sources' and quotes'
        character offsets index (what a text view highlights); for PDFs the cleaned page text."""
        from rag.ingest.preview import read_page_texts

        return read_page_texts(Path(path), self.settings, cancel)

    # ---- questions ------------------------------------------------------------------------

    def search(self, query: str, kb: str | None = None, k: int | None = None, files: Sequence[str] = (),
               mode: str | None = None, cancel: threading.Event | None = None) -> SearchResult:
        return self.searcher.search(query, kb, k, files, mode, cancel)

    def ask(self, question: str, kb: str | None = None, history: Sequence[tuple[str, str]] | None = None,
            k: int | None = None, files: Sequence[str] = (), cancel: threading.Event | None = None,
            language: str = "auto", mode: str | None = None, chat: int | str | None = None) -> Iterator[AnswerEvent]:
        """Answer `question`. With `chat` (a chat id, or "new"), the question and its answer
        (or the reason there is none) are saved there and the chat's earlier turns are the
        history, unless `history` is given."""
        chat_id = None
        if chat is not None:
            record, turns = self.chats.start_turn(chat, question, kb or self.settings.default_kb)
            chat_id = record.id
            history = turns if history is None else history
            yield ChatSaved(record.id, record.title)
        yield from self._answer_and_save(question, chat_id, kb, history or (), k, files, cancel, language, mode)

    def regenerate(self, chat_id: int, kb: str | None = None, k: int | None = None, files: Sequence[str] = (),
                   cancel: threading.Event | None = None, mode: str | None = None) -> Iterator[AnswerEvent]:
        """Answer the last question of chat `chat_id` again, replacing its answer."""
        from rag.errors import RagError

        messages = self.chats.messages(chat_id)
        if messages and messages[-1].role == "assistant":
            self.chats.delete_message(messages[-1].id)
            messages = messages[:-1]
        if not messages or messages[-1].role != "user":
            raise RagError(f"chat {chat_id} has no question to answer again")
        chat = self.chats.get(chat_id)
        yield ChatSaved(chat.id, chat.title)
        yield from self._answer_and_save(messages[-1].text, chat_id, kb, self.chats.turns(chat_id), k, files,
                                         cancel, "auto", mode)

    def _answer_and_save(self, text, chat_id, kb, history, k, files, cancel, language, mode):
        question = make_question(text, history, self.settings, language, self.parts.generator)
        for ev in self.answerer.answer(question, kb, k, files, cancel, mode):
            if chat_id is not None:
                if isinstance(ev, AnswerDone) and ev.answer and not ev.stats.cancelled:
                    self.chats.add(chat_id, "assistant", ev.answer, ev.sources, ev.evidence)
                elif isinstance(ev, Abstained):
                    self.chats.add(chat_id, "assistant", ev.reason, ev.sources)
            yield ev

    # ---- the data folder -------------------------------------------------------------------

    def doctor(self, kb: str | None = None, repair: bool = False) -> list:
        """Findings (rag.store.doctor.Finding) for knowledge base `kb`, or all of them. With
        `repair`: a damaged catalog is put back from its last copy (or moved aside), orphans
        are deleted, the lexical index is rebuilt, and files whose chunks are gone (a deleted
        vector store) are indexed again from their sources. Without, nothing is written."""
        from rag.store.doctor import Finding, check

        if not repair:
            try:
                names = [kb] if kb else [k.name for k in self.list_kbs()]
                return [f for name in names for f in check(self.parts, self.library.recovery, name, False)]
            except DatabaseDamagedError as err:
                return [Finding("-", "damaged-catalog", str(err))]
        with self.parts.writer:
            findings = self._restore_catalog()
            names = [kb] if kb else [k.name for k in self.list_kbs()]
            for name in names:
                found = check(self.parts, self.library.recovery, name, True)
                findings += found
                paths = [f.path for f in found if f.path]
                if paths:
                    events = list(self.indexer.reindex(paths, name))
                    done = sum(isinstance(e, FileIndexed) for e in events)
                    findings.append(Finding(name, "reindexed", f"indexed {done} of {len(paths)} file(s) again from "
                                                               "their sources", repaired=done == len(paths)))
            self.parts.catalog.backup()
            return findings

    def _restore_catalog(self) -> list:
        """A damaged catalog file gives way to the copy kept after the last change (or to a new,
        empty one when there is no copy); the damaged file is kept beside it."""
        from rag.store.doctor import Finding

        try:
            problem = self.parts.catalog.damage()
        except DatabaseDamagedError as err:  # cannot even be opened
            problem = str(err)
        if problem is None:
            return []
        catalog = self.home / "catalog.sqlite3"
        backup = catalog.with_name(catalog.name + ".bak")
        self.parts.close()
        kept = catalog.with_name(f"{catalog.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(catalog, kept)
        for extra in ("-wal", "-shm"):
            Path(f"{catalog}{extra}").unlink(missing_ok=True)
        if backup.is_file():
            shutil.copyfile(backup, catalog)
            how = f"put back the copy kept after the last change ({backup.name})"
        else:
            how = "no copy was kept: it starts empty; ingest your documents again"
        old = self.parts
        self._wire(old.settings, self.home, old.embedder_loaded, None if old._own_generator else old._generator,
                   None, old.writer)
        what = problem.split(";")[0] if "is damaged" in problem else f"catalog.sqlite3 is damaged ({problem})"
        return [Finding("-", "damaged-catalog", f"{what}; moved to {kept.name} and {how}", repaired=True)]

    def data_places(self) -> list[tuple[str, Path]]:
        """(what, where) of everything RAG Desk keeps, for "where is my data": what is one of
        data, settings, log, knowledge-bases, chats."""
        home = self.home
        return [("data", home), ("settings", config_file()), ("log", home / "logs" / "rag-desk.log"),
                ("knowledge-bases", home / "catalog.sqlite3"), ("chats", home / "chats.sqlite3")]

    def wipe_all_data(self) -> list[str]:
        """Delete every knowledge base, chat, cached model and log in the data folder (not the
        settings file, never the user's documents) and start empty. Returns what could not be
        deleted, as messages."""
        home, settings, embedder = self.home, self.settings, self.parts.embedder_loaded
        with self.parts.writer:
            self.close()
            problems = []
            for entry in home.iterdir() if home.is_dir() else ():
                if entry.name in KEPT_ON_WIPE or entry.name == "write.lock":
                    continue
                try:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                except OSError as exc:
                    problems.append(f"{entry}: could not delete ({exc.strerror})")
        from rag.store.vectors import forget_clients

        forget_clients()  # chromadb caches open clients by path; the folder is gone
        self._wire(settings, home, embedder, None, None)
        return problems
