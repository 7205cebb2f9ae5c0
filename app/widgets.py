"""The three panes of the main window. They show things and emit signals; no engine calls."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette, QTextBlockFormat, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from rag.catalog import FAILED, INDEXED

DROP_HINT = "Drop PDFs here or use Add documents…"


def _column(*widgets, margins=(0, 0, 0, 0)) -> QVBoxLayout:
    box = QVBoxLayout()
    box.setContentsMargins(*margins)
    for w in widgets:
        if isinstance(w, QHBoxLayout):
            box.addLayout(w)
        else:
            box.addWidget(w)
    return box


def _row(*widgets, stretch_first=False) -> QHBoxLayout:
    box = QHBoxLayout()
    box.setContentsMargins(0, 0, 0, 0)
    for i, w in enumerate(widgets):
        box.addWidget(w, 1 if stretch_first and i == 0 else 0)
    return box


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


# ---- left: knowledge base and its documents ------------------------------------------


class DocumentsPane(QWidget):
    kb_selected = Signal(str)
    new_kb_clicked = Signal()
    add_clicked = Signal()
    cancel_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kb_box = QComboBox()
        self.kb_box.setToolTip("Knowledge base: the set of documents questions are answered from")
        self.kb_box.currentTextChanged.connect(self._kb_changed)
        self.new_kb = QPushButton("New…")
        self.new_kb.clicked.connect(self.new_kb_clicked)
        self.files = QListWidget()
        self.files.setAcceptDrops(False)
        self.files.setWordWrap(True)
        self.placeholder = QLabel(DROP_HINT)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.placeholder.setStyleSheet("QLabel { border: 2px dashed palette(mid); border-radius: 8px; padding: 16px; }")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.files)
        self.add = QPushButton("Add documents…")
        self.add.clicked.connect(self.add_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop indexing after the current step")
        self.cancel.clicked.connect(self.cancel_clicked)
        self.setLayout(_column(_heading("Knowledge base"), _row(self.kb_box, self.new_kb, stretch_first=True),
                               _heading("Documents"), self.stack, self.add,
                               _row(self.progress, self.cancel, stretch_first=True), self.status))
        self.set_busy(False)

    def _kb_changed(self, name: str) -> None:
        if name:
            self.kb_selected.emit(name)

    def set_kbs(self, names: list[str], current: str) -> None:
        shown = [self.kb_box.itemText(i) for i in range(self.kb_box.count())]
        if names == shown and current == self.kb_box.currentText():
            return
        self.kb_box.blockSignals(True)
        self.kb_box.clear()
        self.kb_box.addItems(names)
        self.kb_box.setCurrentText(current)
        self.kb_box.blockSignals(False)

    def show_files(self, records) -> None:
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.files.clear()
        for rec in records:
            item = QListWidgetItem(f"{rec.name} — {rec.pages} pages, {rec.chunks} chunks, {rec.state}")
            item.setToolTip(rec.error or rec.path)
            if rec.state != INDEXED:
                item.setForeground(QColor("#b3261e") if rec.state == FAILED else self.palette().placeholderText())
            if rec.state == FAILED:
                item.setIcon(warn)
            self.files.addItem(item)
        self.stack.setCurrentWidget(self.files if records else self.placeholder)

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel.setVisible(busy)
        self.cancel.setEnabled(busy)
        if busy:
            self.progress.setValue(0)

    def texts(self) -> list[str]:
        return [self.files.item(i).text() for i in range(self.files.count())]


# ---- centre: the chat ----------------------------------------------------------------


class ChatInput(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line. Dropped files go to the window instead."""

    submitted = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            return
        super().keyPressEvent(event)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.ignore()  # let the window take file drops
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.ignore()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.ignore()
        else:
            super().dropEvent(event)


class Transcript(QTextBrowser):
    """The chat log. Text goes in through a cursor at the end; nothing is ever re-rendered."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.setAcceptDrops(False)
        self.setPlaceholderText("Ask a question about your documents. Answers cite their sources as [1], [2]…")
        self.document().setDocumentMargin(10)
        self._answer_empty = False

    def loadResource(self, kind, url):
        return None  # no images, style sheets or anything else from anywhere

    def _formats(self, color: str | None = None, bold=False, italic=False) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold if bold else QFont.Weight.Normal)
        fmt.setFontItalic(italic)
        fmt.setForeground(QColor(color) if color else self.palette().text())
        return fmt

    def _new_block(self, cursor: QTextCursor, gap: int) -> None:
        block = QTextBlockFormat()
        block.setTopMargin(gap)
        if self.document().isEmpty():
            cursor.setBlockFormat(block)
        else:
            cursor.insertBlock(block)

    def _write(self, label: str | None, text: str, color: str | None = None, italic=False) -> None:
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._new_block(cursor, 12)
        if label:
            cursor.insertText(label, self._formats(color, bold=True))
            cursor.insertBlock(QTextBlockFormat())
        cursor.insertText(text, self._formats(None if label else color, italic=italic))
        if at_bottom:
            bar.setValue(bar.maximum())

    def add_question(self, text: str) -> None:
        self._write("You", text, "#1a5fb4")

    def begin_answer(self) -> None:
        self._write("Assistant", "", "#26a269")
        self._answer_empty = True

    def add_note(self, text: str, error=False) -> None:
        self._write(None, text, "#b3261e" if error else "#77767b", italic=True)

    def extend_answer(self, text: str) -> None:
        """Append to the answer being written (the last block)."""
        if self._answer_empty:
            text = text.lstrip()  # models often open with a space or a newline
            if not text:
                return
            self._answer_empty = False
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, self._formats())
        if at_bottom:
            bar.setValue(bar.maximum())


class ChatPane(QWidget):
    send_clicked = Signal()
    stop_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.transcript = Transcript()
        self.input = ChatInput()
        self.input.setPlaceholderText("Ask a question… (Enter sends, Shift+Enter for a new line)")
        self.input.setFixedHeight(self.input.fontMetrics().lineSpacing() * 3 + 16)
        self.input.submitted.connect(self.send_clicked)
        self.send = QPushButton("Send")
        self.send.clicked.connect(self.send_clicked)
        self.stop = QPushButton("Stop")
        self.stop.setToolTip("Stop the answer (Esc)")
        self.stop.clicked.connect(self.stop_clicked)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send)
        buttons.addWidget(self.stop)
        buttons.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.input, 1)
        bottom.addLayout(buttons)
        layout = _column(self.transcript)
        layout.setStretch(0, 1)
        layout.addLayout(bottom)
        self.setLayout(layout)
        self.set_answering(False)

    def set_answering(self, answering: bool) -> None:
        self.send.setEnabled(not answering)
        self.stop.setEnabled(answering)


# ---- right: sources of the current answer --------------------------------------------


class SourcesPane(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAcceptDrops(False)
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self._show_passage)
        self.passage = QPlainTextEdit()
        self.passage.setReadOnly(True)
        self.passage.setAcceptDrops(False)
        self.passage.setPlaceholderText("Select a source to read its passage.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.list)
        split.addWidget(self.passage)
        split.setSizes([300, 200])
        self.setLayout(_column(_heading("Sources"), split))
        self._sources = ()

    def set_sources(self, sources) -> None:
        self._sources = tuple(sources)
        self.list.clear()
        self.passage.clear()
        for s in self._sources:
            item = QListWidgetItem(f"[{s.n}] {s.label()} ({s.score:.2f})")
            item.setToolTip(f"<p>{html.escape(s.text)}</p>")  # rich text, so long passages wrap
            self.list.addItem(item)

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _show_passage(self, row: int) -> None:
        if 0 <= row < len(self._sources):
            self.passage.setPlainText(self._sources[row].text)
