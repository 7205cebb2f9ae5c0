"""The left pane: the knowledge base chooser over two tabs, its documents and its saved chats.
They show what they are given and emit signals; no engine calls."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QToolButton,
    QWidget,
)

from rag import FAILED, INDEXED, LEXICAL

from .widgets import column, drop_hint, heading, row


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
        self.setLayout(column(self.stack, self.watching, self.add,
                              row(self.progress, self.cancel, stretch_first=True), self.status))
        self._records = {}
        # vectors made so far per file being embedded (FileProgress events), ahead of the
        # catalog's count of stored ones: a group of chunks is stored only once it is embedded
        self.embedding_now: dict[str, int] = {}
        self.watched: list[str] = []  # the folders the knowledge base follows, as last shown
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
            state = {INDEXED: self.tr("indexed"), FAILED: self.tr("failed"),
                     LEXICAL: self.tr("searchable · embedding {percent}%").format(percent=self._percent(rec))
                     }.get(rec.state, rec.status)
            item = QListWidgetItem(self.tr("{name} — {pages} pages, {chunks} chunks, {state}").format(
                name=rec.name, pages=rec.pages, chunks=rec.chunks, state=state))
            item.setData(Qt.ItemDataRole.UserRole, rec.path)
            item.setToolTip(rec.error or rec.path)
            if rec.state not in (INDEXED, LEXICAL):
                item.setForeground(QColor("#b3261e") if rec.state == FAILED else self.palette().placeholderText())
            if rec.state == FAILED:
                item.setIcon(warn)
            elif rec.error:  # indexed, but some pages were left out: the tooltip says which
                item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation))
            self.files.addItem(item)
            item.setSelected(rec.path in selected)
        self.files.blockSignals(False)
        self.stack.setCurrentWidget(self.files if records else self.placeholder)

    def _percent(self, rec) -> int:
        """The file's percent by its stored vectors or, when ahead, by those made so far."""
        made = max(rec.embedded, self.embedding_now.get(rec.path, 0))
        return replace(rec, embedded=made).embedding_percent

    def show_watched(self, folders: list[str]) -> None:
        self.watched = list(folders)
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
        self.setLayout(column(self.list, self.new))

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

    def title_of(self, chat_id: int) -> str:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == chat_id:
                return self.list.item(i).text()
        return ""

    def set_current(self, chat_id: int | None) -> None:
        """Mark chat `chat_id` as the open one (None: none is)."""
        self.list.blockSignals(True)
        self.list.clearSelection()
        self.list.setCurrentItem(None)
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == chat_id:
                item.setSelected(True)
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

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
        self.setLayout(column(heading(self.tr("Knowledge base")),
                              row(self.docs.kb_box, self.docs.kb_menu_button, stretch_first=True), self.tabs))
