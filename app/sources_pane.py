"""The right pane: the sources of the current answer, the passage of the selected one and
the cited page in the viewer.

Each source row shows its file and page and, when the answer found one there, its evidence
quote (verbatim, elided when long); a source whose quote is in the answer says so. There is
no score: the retrieval's fused rank number means nothing to a reader. Opening a source (a
click here, or its [n] in the answer) highlights its quote on the page, or its whole passage
when it has no quote.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit, QSplitter, QTextEdit, QWidget

from .pdfviewer import HIGHLIGHT, PageViewer
from .textviewer import SectionTextView
from .widgets import column, heading

QUOTE_SHOWN = 180  # characters of a quote in the list; the rest is elided (the tooltip has it all)


def elide(text: str, limit: int = QUOTE_SHOWN) -> str:
    """`text` on one line, cut at a space before `limit` characters with "…" when longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit)
    return text[:cut if cut > 0 else limit].rstrip(" ,;:") + "…"


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
        self.text_view = SectionTextView(self.viewer)  # DOCX/EPUB/HTML sections: text, not pages
        self.split.addWidget(self.text_view)
        self.split.setSizes([160, 90, 560])
        self.setLayout(column(heading(self.tr("Sources")), self.split))
        self._sources = ()
        self._evidence = ()
        self._answer: str | None = None
        self._quotes: dict[int, object] = {}

    @property
    def sources(self):
        return self._sources

    @property
    def shown(self) -> tuple:
        """What the pane shows: (sources, evidence, answer)."""
        return self._sources, self._evidence, self._answer

    def set_sources(self, sources, evidence=(), answer: str | None = None) -> None:
        """Show `sources` with their evidence quotes; `answer` (once it is written) tells which
        quotes it uses."""
        self._sources = tuple(sources)
        self._evidence = tuple(evidence)
        self._answer = answer
        numbers = {s.n for s in self._sources}
        self._quotes = {}
        for q in self._evidence:
            if q.n in numbers:
                self._quotes.setdefault(q.n, q)  # best first, at most one per source
        self.list.blockSignals(True)
        self.list.clear()
        self.passage.clear()
        for s in self._sources:
            q = self._quotes.get(s.n)
            line = f"[{s.n}] {s.label()}"
            if self.quoted_in_answer(s.n):
                line += " · " + self.tr("quoted in the answer")
            tip = ""
            if q is not None:
                line += "\n" + self.tr("«{quote}»").format(quote=elide(q.text))
                tip = "<p><b>" + html.escape(self.tr("«{quote}»").format(quote=q.text)) + "</b></p>"
            item = QListWidgetItem(line)
            item.setToolTip(tip + f"<p>{html.escape(s.text)}</p>")  # rich text, so long passages wrap
            self.list.addItem(item)
        self.list.blockSignals(False)

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def row_of(self, n: int) -> int:
        return next((i for i, s in enumerate(self._sources) if s.n == n), -1)

    def quote_of(self, n: int):
        """The evidence quote of source `n`, or None."""
        return self._quotes.get(n)

    def quoted_in_answer(self, n: int) -> bool:
        """Whether the answer shown quotes source `n`'s evidence word for word."""
        q = self._quotes.get(n)
        return bool(q is not None and self._answer and q.text and q.text in self._answer)

    def _show_passage(self, row: int) -> None:
        """The source's passage below the list, its quote highlighted (put first when the
        quote comes from elsewhere on the page)."""
        if not 0 <= row < len(self._sources):
            return
        s = self._sources[row]
        q = self._quotes.get(s.n)
        text, at, length = s.text, -1, 0
        if q is not None:
            at, length = text.find(q.text), len(q.text)
            if at < 0:
                shown = self.tr("«{quote}»").format(quote=q.text)
                text, at, length = shown + "\n\n" + s.text, 0, len(shown)
        self.passage.setPlainText(text)
        selections = []
        if at >= 0 and length:
            cursor = QTextCursor(self.passage.document())
            cursor.setPosition(at)
            cursor.setPosition(at + length, QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setBackground(HIGHLIGHT)
            mark = QTextEdit.ExtraSelection()
            mark.cursor = cursor
            mark.format = fmt
            selections.append(mark)
        self.passage.setExtraSelections(selections)

    def open_row(self, row: int) -> bool:
        """Show source `row`: its passage below the list and its page in the viewer, with its
        evidence quote highlighted (the whole passage when it has no quote)."""
        if not 0 <= row < len(self._sources):
            return False
        self.list.blockSignals(True)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        s = self._sources[row]
        self._show_passage(row)
        q = self._quotes.get(s.n)
        if self.text_view.take(s, q):
            return True
        if q is not None:
            return self.viewer.show_passage(q.path or s.path, q.page, q.text, q.start, q.end)
        return self.viewer.show_passage(s.path, s.page, s.text, s.char_start, s.char_end)
