"""The chat in the middle and the saved chats on the left: asking, the streamed answer,
regenerate, stop, copy, citations, and opening, renaming, deleting and exporting chats.

A question goes to the engine with `chat=` (the open chat, or "new"), so the engine saves it,
its answer or the reason there is none, exactly as `rag-cli ask --chat` does; the first
event (ChatSaved) says which chat it went into. Streamed tokens are buffered and written into
the transcript every FLUSH_MS. Each answer keeps its sources, evidence quotes and text (a saved
message carries its evidence too), so its [n] links open source n's quote on the page.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from rag import Abstained, AnswerDone, ChatSaved, SourcesFound, Token

from .markdown import clipboard_text, export_file_name
from .tasks import error_message
from .widgets import drop_hint
from .workers import AnswerWorker


class ChatController(QObject):
    FLUSH_MS = 30

    def __init__(self, window):
        super().__init__(window)
        self.mw = window
        self.chat_id: int | None = None
        self.last_answer: AnswerDone | None = None
        self.token_flushes = 0  # how many timer ticks wrote tokens (tests read it)
        self.worker: AnswerWorker | None = None
        self._discard = False  # the running answer belongs to a chat that is no longer shown
        self._pending: list[str] = []
        self._cited_sources: dict[int, tuple] = {}  # answer key -> (sources, evidence, answer) for [n] links
        self._last_key = 0
        self._flush_timer = QTimer(self, interval=self.FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush_tokens)

        c = window.chats
        c.chat_selected.connect(self.open_chat)
        c.new_clicked.connect(self.new_chat)
        c.rename_requested.connect(self.rename_chat)
        c.delete_requested.connect(self.delete_chat)
        c.export_requested.connect(self.export_chat)
        p = window.chat
        p.send_clicked.connect(self.send)
        p.stop_clicked.connect(self.stop_answer)
        p.copy_clicked.connect(self.copy_answer)
        p.regenerate_clicked.connect(self.regenerate)
        p.transcript.citation_clicked.connect(self.open_citation)
        window.sources.source_activated.connect(self.open_source)
        window.docs.selection_changed.connect(self.selection_changed)

    @property
    def answering(self) -> bool:
        return self.worker is not None

    @property
    def engine(self):
        return self.mw.engine

    # ---- asking ------------------------------------------------------------------------------

    @Slot()
    def send(self) -> None:
        question = self.mw.chat.input.toPlainText().strip()
        if not question or self.answering:
            return
        self.mw.chat.input.clear()
        self.mw.statusBar().clearMessage()
        self.mw.chat.transcript.add_question(question)
        if self.mw.docs.files.count() == 0:
            self.mw.chat.transcript.add_note(self.tr("Knowledge base '{name}' has no documents yet. {hint}")
                                             .format(name=self.mw.kb, hint=drop_hint()))
            return
        self._start(question=question, chat=self.chat_id if self.chat_id is not None else "new")

    @Slot()
    def regenerate(self) -> None:
        """Answer the last question of this chat again, replacing its answer."""
        if self.answering or self.chat_id is None or not self.mw.chat.transcript.has_question():
            return
        self.mw.chat.transcript.drop_last_answer()
        self._start(chat=self.chat_id, regenerate=True)

    def _start(self, **job) -> None:
        self.mw.sources.set_sources(())
        self._pending.clear()
        self.mw.chat.set_answering(True)
        self.mw.model_state.setText(self.tr("answering…"))
        files = self.mw.docs.selected_names() if self.mw.chat.only_selected.isChecked() else []
        self.worker = AnswerWorker(self.engine, self.mw.kb, files=files, **job)
        self.worker.event.connect(self._on_event)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_finished)
        self.mw.start_worker(self.worker)

    @Slot()
    def stop_answer(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.mw.model_state.setText(self.tr("stopping…"))

    @Slot()
    def copy_answer(self) -> None:
        if self.last_answer is None:
            return
        QGuiApplication.clipboard().setText(clipboard_text(self.last_answer.answer, self.last_answer.sources))
        self.mw.statusBar().showMessage(self.tr("Answer copied."), 3000)

    # ---- the answer stream -------------------------------------------------------------------

    @Slot(object)
    def _on_event(self, ev) -> None:
        if self._discard:
            return
        transcript = self.mw.chat.transcript
        match ev:
            case ChatSaved():
                if self.chat_id != ev.chat_id:
                    self.chat_id = ev.chat_id
                    self.mw.library.refresh()  # the new chat appears in the list
            case SourcesFound():
                self.mw.sources.set_sources(ev.sources, ev.evidence)
                transcript.begin_answer()
                self._flush_timer.start()
            case Token():
                self._pending.append(ev.text)
            case AnswerDone():
                self._flush_tokens()
                self.last_answer = ev
                self.mw.sources.set_sources(ev.sources, ev.evidence, ev.answer)
                s = ev.stats
                self.mw.model_state.setText(self.tr("{tokens} tokens, {rate:.1f} tok/s · {model}").format(
                    tokens=s.tokens, rate=s.tokens_per_s, model=s.model))
                if s.cancelled:
                    transcript.add_note(self.tr("Stopped."))
                elif ev.answer:
                    transcript.finish_answer(ev.answer, self._remember(ev.sources, ev.evidence, ev.answer),
                                             [x.n for x in ev.sources])
                else:
                    transcript.add_note(self.tr("The model gave no answer; try rephrasing the question."))
            case Abstained():
                self.mw.sources.set_sources(ev.sources)
                transcript.add_note(ev.reason)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self._discard:
            return
        self._flush_tokens()
        self.mw.chat.transcript.add_note(message, error=True)
        self.mw.show_error(message)

    @Slot()
    def _on_finished(self) -> None:
        self._flush_timer.stop()
        if not self._discard:
            self._flush_tokens()
        self._pending.clear()
        self.worker = None
        self._discard = False
        self.mw.chat.set_answering(False)
        if self.mw.model_state.text() in (self.tr("answering…"), self.tr("stopping…")):
            self.mw.model_state.setText(self.tr("Models load on first use") if self.last_answer is None
                                        else self.tr("ready"))
        self.mw.check_idle()

    @Slot()
    def _flush_tokens(self) -> None:
        if self._pending:
            self.mw.chat.transcript.extend_answer("".join(self._pending))
            self._pending.clear()
            self.token_flushes += 1

    def shutdown(self) -> None:
        self._flush_timer.stop()

    # ---- chats -------------------------------------------------------------------------------

    @Slot()
    def new_chat(self) -> None:
        if self.worker is not None:
            self._discard = True
            self.stop_answer()
        self._pending.clear()
        self.chat_id = None
        self._cited_sources.clear()
        self.mw.chat.transcript.clear()
        self.mw.sources.set_sources(())
        self.mw.chats.set_current(None)
        self.mw.chat.input.setFocus()

    def forget_answer(self) -> None:
        """Start over with no chat and no last answer (after all data was deleted)."""
        self.new_chat()
        self.last_answer = None

    @Slot(int)
    def open_chat(self, chat_id: int, kb: str | None = None) -> None:
        """Show saved chat `chat_id` (with `kb`: only if it belongs to that knowledge base)."""
        if self.answering or chat_id == self.chat_id:
            return

        def read():
            chat = self.engine.chats.get(chat_id)
            return chat, self.engine.chats.messages(chat_id)

        self.mw.tasks.run(read, success=lambda got: self._show_chat(*got, kb),
                          failure=None if kb is None else lambda err: None)  # a stale saved id: say nothing

    def _show_chat(self, chat, messages, kb: str | None) -> None:
        if self.answering or (kb is not None and (chat.kb != kb or self.chat_id is not None)):
            return
        self.chat_id = chat.id
        self._cited_sources.clear()
        transcript = self.mw.chat.transcript
        transcript.clear()
        last = ((), (), None)
        for m in messages:
            if m.role == "user":
                transcript.add_question(m.text)
            else:
                evidence = getattr(m, "evidence", ())
                transcript.add_answer(m.text, self._remember(m.sources, evidence, m.text), [s.n for s in m.sources])
                last = (m.sources, evidence, m.text)
        self.mw.sources.set_sources(*last)
        self.mw.chats.set_current(chat.id)
        self.mw.chat.input.setFocus()

    def _remember(self, sources, evidence=(), answer: str | None = None) -> int:
        self._last_key += 1
        self._cited_sources[self._last_key] = (tuple(sources), tuple(evidence), answer)
        return self._last_key

    def rename_chat(self, chat_id: int) -> None:
        title, ok = QInputDialog.getText(self.mw, self.tr("Rename chat"), self.tr("Title:"),
                                         text=self.mw.chats.title_of(chat_id))
        if ok and title.strip():
            self.rename_chat_to(chat_id, title)

    def rename_chat_to(self, chat_id: int, title: str) -> None:
        self.mw.tasks.run(lambda: self.engine.chats.rename(chat_id, title), success=lambda _: self.mw.library.refresh())

    def delete_chat(self, chat_id: int) -> None:
        answer = QMessageBox.question(self.mw, self.tr("Delete chat"), self.tr("Delete this conversation?"),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.mw.tasks.run(lambda: self.engine.chats.delete(chat_id), success=lambda _: self._deleted(chat_id))

    def _deleted(self, chat_id: int) -> None:
        if chat_id == self.chat_id:
            self.new_chat()
        self.mw.library.refresh()

    def export_chat(self, chat_id: int | None = None, path: str | None = None) -> None:
        """Write chat `chat_id` (the open one by default) to a Markdown file (asked for when
        `path` is not given)."""
        chat_id = self.chat_id if chat_id is None else chat_id
        if chat_id is None:
            self.mw.show_error(self.tr("There is no saved conversation to export yet."))
            return
        if path is None:
            suggested = Path.home() / export_file_name(self.mw.chats.title_of(chat_id))
            path, _ = QFileDialog.getSaveFileName(self.mw, self.tr("Export chat"), str(suggested),
                                                  self.tr("Markdown (*.md)"))
        if not path:
            return

        def write() -> str:
            Path(path).write_text(self.engine.chats.export_markdown(chat_id), encoding="utf-8")
            return path

        def failed(err) -> None:
            if isinstance(err, OSError):
                self.mw.show_error(self.tr("{path}: cannot write the file ({why})").format(path=path, why=err.strerror))
            else:
                self.mw.show_error(error_message(err))

        self.mw.tasks.run(write, success=lambda written: self.mw.statusBar().showMessage(
            self.tr("Exported to {path}").format(path=written)), failure=failed)

    # ---- sources and the page viewer ----------------------------------------------------------

    @Slot(int, int)
    def open_citation(self, answer_key: int, n: int) -> None:
        cited = self._cited_sources.get(answer_key)
        if cited is None:
            return
        if cited != self.mw.sources.shown:
            self.mw.sources.set_sources(*cited)
        self.open_source(self.mw.sources.row_of(n))

    @Slot(int)
    def open_source(self, row: int) -> None:
        self.mw.sources.open_row(row)

    @Slot()
    def selection_changed(self) -> None:
        n = len(self.mw.docs.selected_paths())
        box = self.mw.chat.only_selected
        box.setEnabled(n > 0)
        if n == 0:
            box.setChecked(False)
        box.setText(self.tr("Only the selected documents ({n})").format(n=n) if n
                    else self.tr("Only the selected documents"))
