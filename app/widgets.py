"""The panes of the main window. They show things and emit signals; no engine calls.

Every visible string goes through Qt's translation system (`self.tr` here, or
`translate(CONTEXT, ...)` for text built outside a widget).
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QPalette,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rag.store.manifest import FAILED, INDEXED

from .pdfviewer import PageViewer

CONTEXT = "RagDesk"


def translate(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def drop_hint() -> str:
    return QCoreApplication.translate("RagDesk", "Drop PDFs here or use Add documents…")


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


# ---- left: knowledge base, its documents, saved chats --------------------------------


class DocumentsPane(QWidget):
    kb_selected = Signal(str)
    new_kb_clicked = Signal()
    rename_kb_clicked = Signal()
    delete_kb_clicked = Signal()
    add_clicked = Signal()
    cancel_clicked = Signal()
    remove_requested = Signal(list)  # file paths
    reindex_requested = Signal(list)
    reveal_requested = Signal(str)
    details_requested = Signal(str)
    selection_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kb_box = QComboBox()
        self.kb_box.setToolTip(self.tr("Knowledge base: the set of documents questions are answered from"))
        self.kb_box.currentTextChanged.connect(self._kb_changed)
        self.kb_menu_button = QToolButton(text="⋯")
        self.kb_menu_button.setToolTip(self.tr("New, rename or delete a knowledge base"))
        self.kb_menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.addAction(self.tr("New knowledge base…"), self.new_kb_clicked.emit)
        menu.addAction(self.tr("Rename…"), self.rename_kb_clicked.emit)
        menu.addAction(self.tr("Delete…"), self.delete_kb_clicked.emit)
        self.kb_menu_button.setMenu(menu)
        self.files = QListWidget()
        self.files.setAcceptDrops(False)
        self.files.setWordWrap(True)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.files.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.files.customContextMenuRequested.connect(self._context_menu)
        self.files.itemSelectionChanged.connect(self.selection_changed)
        self.files.itemDoubleClicked.connect(lambda item: self.details_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.placeholder = QLabel(drop_hint())
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.placeholder.setStyleSheet("QLabel { border: 2px dashed palette(mid); border-radius: 8px; padding: 16px; }")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.files)
        self.watching = QLabel()
        self.watching.setWordWrap(True)
        self.watching.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.add = QPushButton(self.tr("Add documents…"))
        self.add.clicked.connect(self.add_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.setToolTip(self.tr("Stop indexing after the current step"))
        self.cancel.clicked.connect(self.cancel_clicked)
        self.setLayout(_column(self.stack, self.watching, self.add,
                               _row(self.progress, self.cancel, stretch_first=True), self.status))
        self._records = {}
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
        selected = set(self.selected_paths())
        warn = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.files.blockSignals(True)
        self.files.clear()
        self._records = {rec.path: rec for rec in records}
        for rec in records:
            state = {INDEXED: self.tr("indexed"), FAILED: self.tr("failed")}.get(rec.state, rec.state)
            item = QListWidgetItem(self.tr("{name} — {pages} pages, {chunks} chunks, {state}").format(
                name=rec.name, pages=rec.pages, chunks=rec.chunks, state=state))
            item.setData(Qt.ItemDataRole.UserRole, rec.path)
            item.setToolTip(rec.error or rec.path)
            if rec.state != INDEXED:
                item.setForeground(QColor("#b3261e") if rec.state == FAILED else self.palette().placeholderText())
            if rec.state == FAILED:
                item.setIcon(warn)
            elif rec.error:  # indexed, but some pages were left out: the tooltip says which
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation))
            self.files.addItem(item)
            item.setSelected(rec.path in selected)
        self.files.blockSignals(False)
        self.stack.setCurrentWidget(self.files if records else self.placeholder)

    def show_watched(self, folders: list[str]) -> None:
        self.watching.setVisible(bool(folders))
        self.watching.setText(self.tr("Following: {folders}").format(folders=", ".join(folders)))

    def selected_paths(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.files.selectedItems()]

    def selected_names(self) -> list[str]:
        return [self._records[p].name for p in self.selected_paths() if p in self._records]

    def record(self, path: str):
        return self._records.get(path)

    def _context_menu(self, pos) -> None:
        item = self.files.itemAt(pos)
        if item is None:
            return
        if not item.isSelected():
            self.files.clearSelection()
            item.setSelected(True)
        paths = self.selected_paths()
        menu = QMenu(self)
        menu.addAction(self.tr("Details…"), lambda: self.details_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        menu.addAction(self.tr("Show in file manager"), lambda: self.reveal_requested.emit(item.data(Qt.ItemDataRole.UserRole)))
        menu.addSeparator()
        menu.addAction(self.tr("Re-index"), lambda: self.reindex_requested.emit(paths))
        menu.addAction(self.tr("Remove from knowledge base"), lambda: self.remove_requested.emit(paths))
        menu.popup(self.files.viewport().mapToGlobal(pos))
        self.context_menu = menu  # tests reach the actions through it

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel.setVisible(busy)
        self.cancel.setEnabled(busy)
        if busy:
            self.progress.setValue(0)

    def texts(self) -> list[str]:
        return [self.files.item(i).text() for i in range(self.files.count())]


class ChatsPane(QWidget):
    """Saved conversations of the current knowledge base, newest first."""

    chat_selected = Signal(int)
    new_clicked = Signal()
    rename_requested = Signal(int)
    delete_requested = Signal(int)
    export_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAcceptDrops(False)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.new = QPushButton(self.tr("New chat"))
        self.new.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.new.clicked.connect(self.new_clicked)
        self.setLayout(_column(self.list, self.new))

    def show_chats(self, chats, current: int | None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for chat in chats:
            item = QListWidgetItem(chat.title)
            item.setData(Qt.ItemDataRole.UserRole, chat.id)
            item.setToolTip(chat.title)
            self.list.addItem(item)
            if chat.id == current:
                item.setSelected(True)
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def ids(self) -> list[int]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def _activated(self, item) -> None:
        self.chat_selected.emit(item.data(Qt.ItemDataRole.UserRole))

    def _context_menu(self, pos) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        chat_id = item.data(Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        menu.addAction(self.tr("Rename…"), lambda: self.rename_requested.emit(chat_id))
        menu.addAction(self.tr("Export to Markdown…"), lambda: self.export_requested.emit(chat_id))
        menu.addSeparator()
        menu.addAction(self.tr("Delete"), lambda: self.delete_requested.emit(chat_id))
        menu.popup(self.list.viewport().mapToGlobal(pos))


class LeftPane(QWidget):
    """The knowledge base chooser over two tabs: its documents and its saved chats."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.docs = DocumentsPane()
        self.chats = ChatsPane()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.docs, self.tr("Documents"))
        self.tabs.addTab(self.chats, self.tr("Chats"))
        self.setLayout(_column(_heading(self.tr("Knowledge base")),
                               _row(self.docs.kb_box, self.docs.kb_menu_button, stretch_first=True), self.tabs))


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


CITATION = re.compile(r"\[(\d{1,2})\]")
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
RAW_LINK = re.compile(r"<(?:https?|ftp|file|data|javascript):[^>]*>", re.IGNORECASE)


def answer_markdown(text: str, answer_key: int, source_numbers) -> str:
    """The model's answer as safe Markdown: [n] become cite links, images become their alt
    text, autolinks lose their angle brackets (plain text). HTML is switched off when rendering."""
    text = MARKDOWN_IMAGE.sub(lambda m: m.group(1), text)
    text = RAW_LINK.sub(lambda m: m.group(0)[1:-1], text)
    numbers = set(source_numbers)

    def link(m: re.Match) -> str:
        n = int(m.group(1))
        return f"[\\[{n}\\]](cite:{answer_key}/{n})" if n in numbers else m.group(0)

    return CITATION.sub(link, text)


class Transcript(QTextBrowser):
    """The chat log. Streamed text goes in through a cursor at the end; a finished answer is
    re-rendered once, alone, as Markdown. Nothing else is ever re-rendered."""

    citation_clicked = Signal(int, int)  # answer key, source number

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.setAcceptDrops(False)
        self.setPlaceholderText(self.tr("Ask a question about your documents. Answers cite their sources as [1], [2]…"))
        self.document().setDocumentMargin(10)
        self.anchorClicked.connect(self._link)
        self._answer_empty = False
        self._answer_start = -1
        self.external_links: list[str] = []  # what was opened in the browser (tests read it)

    def loadResource(self, kind, url):
        return None  # no images, style sheets or anything else from anywhere

    def _link(self, url) -> None:
        from PySide6.QtGui import QDesktopServices

        if url.scheme() == "cite":
            key, _, n = url.path().partition("/")
            if key.isdigit() and n.isdigit():
                self.citation_clicked.emit(int(key), int(n))
        elif url.scheme() in ("http", "https"):
            self.external_links.append(url.toString())
            QDesktopServices.openUrl(url)  # only on a click, in the system browser

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
        self._write(self.tr("You"), text, "#1a5fb4")

    def begin_answer(self) -> None:
        self._write(self.tr("Assistant"), "", "#26a269")
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._answer_start = cursor.position()
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

    def finish_answer(self, text: str, answer_key: int, source_numbers) -> None:
        """Replace the streamed plain text of the current answer by its Markdown rendering."""
        if self._answer_start < 0:
            return
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._answer_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setCharFormat(self._formats())
        features = (QTextDocument.MarkdownFeature.MarkdownNoHTML
                    | QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
        cursor.insertMarkdown(answer_markdown(text, answer_key, source_numbers), features)
        self._answer_start = -1

    def add_answer(self, text: str, answer_key: int, source_numbers) -> None:
        """A finished answer (from history) rendered at once."""
        self.begin_answer()
        self.finish_answer(text, answer_key, source_numbers)

    def anchors(self) -> list[str]:
        """Every link target in the transcript, in order (tests read it)."""
        out = []
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fmt = it.fragment().charFormat()
                if fmt.isAnchor():
                    out.append(fmt.anchorHref())
                it += 1
            block = block.next()
        return out


class ChatPane(QWidget):
    send_clicked = Signal()
    stop_clicked = Signal()
    copy_clicked = Signal()
    regenerate_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.transcript = Transcript()
        self.input = ChatInput()
        self.input.setPlaceholderText(self.tr("Ask a question… (Enter sends, Shift+Enter for a new line)"))
        self.input.setFixedHeight(self.input.fontMetrics().lineSpacing() * 3 + 16)
        self.input.submitted.connect(self.send_clicked)
        self.send = QPushButton(self.tr("Send"))
        self.send.clicked.connect(self.send_clicked)
        self.stop = QPushButton(self.tr("Stop"))
        self.stop.setToolTip(self.tr("Stop the answer (Esc)"))
        self.stop.clicked.connect(self.stop_clicked)
        self.only_selected = QCheckBox(self.tr("Only the selected documents"))
        self.only_selected.setToolTip(self.tr("Answer from the documents selected on the left only"))
        self.copy = QToolButton(text=self.tr("Copy answer"))
        self.copy.setToolTip(self.tr("Copy the last answer with its sources (Ctrl+Shift+C)"))
        self.copy.clicked.connect(self.copy_clicked)
        self.regenerate = QToolButton(text=self.tr("Regenerate"))
        self.regenerate.setToolTip(self.tr("Answer the last question again (Ctrl+R)"))
        self.regenerate.clicked.connect(self.regenerate_clicked)
        tools = QHBoxLayout()
        tools.addWidget(self.only_selected)
        tools.addStretch(1)
        tools.addWidget(self.copy)
        tools.addWidget(self.regenerate)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send)
        buttons.addWidget(self.stop)
        buttons.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.input, 1)
        bottom.addLayout(buttons)
        layout = _column(self.transcript)
        layout.setStretch(0, 1)
        layout.addLayout(tools)
        layout.addLayout(bottom)
        self.setLayout(layout)
        self.set_answering(False)

    def set_answering(self, answering: bool) -> None:
        self.send.setEnabled(not answering)
        self.stop.setEnabled(answering)
        self.regenerate.setEnabled(not answering)


# ---- right: sources of the current answer and the cited page -------------------------


class SourcesPane(QWidget):
    source_activated = Signal(int)  # row

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAcceptDrops(False)
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self._show_passage)
        self.list.itemClicked.connect(lambda item: self.source_activated.emit(self.list.row(item)))
        self.list.itemActivated.connect(lambda item: self.source_activated.emit(self.list.row(item)))
        self.passage = QPlainTextEdit()
        self.passage.setReadOnly(True)
        self.passage.setAcceptDrops(False)
        self.passage.setPlaceholderText(self.tr("Select a source to read its passage and open its page."))
        self.viewer = PageViewer()
        self.viewer.setAcceptDrops(False)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.list)
        self.split.addWidget(self.passage)
        self.split.addWidget(self.viewer)
        self.split.setSizes([120, 90, 600])
        self.setLayout(_column(_heading(self.tr("Sources")), self.split))
        self._sources = ()

    @property
    def sources(self):
        return self._sources

    def set_sources(self, sources) -> None:
        self._sources = tuple(sources)
        self.list.blockSignals(True)
        self.list.clear()
        self.passage.clear()
        for s in self._sources:
            item = QListWidgetItem(f"[{s.n}] {s.label()} ({s.score:.2f})")
            item.setToolTip(f"<p>{html.escape(s.text)}</p>")  # rich text, so long passages wrap
            self.list.addItem(item)
        self.list.blockSignals(False)

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def row_of(self, n: int) -> int:
        return next((i for i, s in enumerate(self._sources) if s.n == n), -1)

    def _show_passage(self, row: int) -> None:
        if 0 <= row < len(self._sources):
            self.passage.setPlainText(self._sources[row].text)

    def open_row(self, row: int) -> bool:
        """Show source `row`: its passage below the list and its page, highlighted, in the viewer."""
        if not 0 <= row < len(self._sources):
            return False
        self.list.blockSignals(True)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        s = self._sources[row]
        self._show_passage(row)
        return self.viewer.show_passage(s.path, s.page, s.text, s.char_start, s.char_end)


__all__ = ["QAction", "ChatPane", "ChatsPane", "DocumentsPane", "LeftPane", "SourcesPane", "Transcript",
           "drop_hint", "translate"]
