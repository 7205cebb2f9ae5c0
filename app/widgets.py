"""Building blocks the panes share: layout helpers, the drop hint and the Transcript (the chat
log that renders answers safely). Widgets show things and emit signals; no engine calls.

Every visible string goes through Qt's translation system (`self.tr` here, or
`QCoreApplication.translate(context, ...)` for text built outside a widget).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QColor, QDesktopServices, QFont, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout

from .markdown import answer_markdown, parse_cite_link


def drop_hint() -> str:
    return QCoreApplication.translate("RagDesk", "Drop PDFs here or use Add documents…")


def column(*widgets, margins=(0, 0, 0, 0)) -> QVBoxLayout:
    box = QVBoxLayout()
    box.setContentsMargins(*margins)
    for w in widgets:
        if isinstance(w, QHBoxLayout):
            box.addLayout(w)
        else:
            box.addWidget(w)
    return box


def row(*widgets, stretch_first=False) -> QHBoxLayout:
    box = QHBoxLayout()
    box.setContentsMargins(0, 0, 0, 0)
    for i, w in enumerate(widgets):
        box.addWidget(w, 1 if stretch_first and i == 0 else 0)
    return box


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


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
        self._reply_empty = False
        self._reply_start = -1
        self._after_question = -1  # where the last question ends: what follows is its answer
        self.external_links: list[str] = []  # what was opened in the browser (tests read it)

    def loadResource(self, kind, url):
        return None  # no images, style sheets or anything else from anywhere

    def _link(self, url) -> None:
        cite = parse_cite_link(url.scheme(), url.path())
        if cite is not None:
            self.citation_clicked.emit(*cite)
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
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._after_question = cursor.position()

    def has_question(self) -> bool:
        return self._after_question >= 0

    def drop_last_answer(self) -> None:
        """Remove everything after the last question (its answer, or the notes in its place),
        so that the question can be answered again."""
        if self._after_question < 0:
            return
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._after_question)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self._reply_start = -1

    def clear(self) -> None:
        super().clear()
        self._reply_start = -1
        self._after_question = -1

    def begin_answer(self) -> None:
        self._write(self.tr("Assistant"), "", "#26a269")
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        self._reply_start = cursor.position()
        self._reply_empty = True

    def add_note(self, text: str, error=False) -> None:
        self._write(None, text, "#b3261e" if error else "#77767b", italic=True)

    def extend_answer(self, text: str) -> None:
        """Append to the answer being written (the last block)."""
        if self._reply_empty:
            text = text.lstrip()  # models often open with a space or a newline
            if not text:
                return
            self._reply_empty = False
        bar = self.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, self._formats())
        if at_bottom:
            bar.setValue(bar.maximum())

    def finish_answer(self, text: str, answer_key: int, source_numbers) -> None:
        """Replace the streamed plain text of the current answer by its Markdown rendering."""
        if self._reply_start < 0:
            return
        cursor = QTextCursor(self.document())
        cursor.setPosition(self._reply_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        cursor.setCharFormat(self._formats())
        features = (QTextDocument.MarkdownFeature.MarkdownNoHTML
                    | QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
        cursor.insertMarkdown(answer_markdown(text, answer_key, source_numbers), features)
        self._reply_start = -1

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
