"""The page viewer: Qt's own QtPdf shows a cited page with the cited passage highlighted.

Sources carry character offsets into the page text that PDFium extracted at ingest time;
QPdfDocument is PDFium too and returns the same text, so `getSelectionAtIndex` gives the
passage's outline directly. When the offsets do not fit (another extraction backend, a
file that changed since), the passage is found by its words instead.

The view is fixed to single-page, fit-to-width, so the page's place in the viewport is
known (margins, then the page scaled to the viewport width) and highlights are painted
over it in `paintEvent`.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QPainter, QPolygonF
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

HIGHLIGHT = QColor(255, 200, 0, 90)
HIGHLIGHT_EDGE = QColor(230, 150, 0, 200)


def _words_pattern(text: str, words: int) -> re.Pattern | None:
    tokens = re.findall(r"\w+", text)[:words]
    if not tokens:
        return None
    return re.compile(r"\W*".join(re.escape(t) for t in tokens), re.IGNORECASE)


def locate(page_text: str, passage: str, start: int = 0, end: int = 0) -> tuple[int, int] | None:
    """(start, end) of `passage` inside `page_text`, trusting the stored offsets when they fit."""
    squash = lambda s: re.sub(r"\W+", "", s).lower()  # noqa: E731
    if 0 <= start < len(page_text) and end <= start:
        end = len(page_text)  # the passage runs on to the next page
    if 0 <= start < end <= len(page_text):
        head = squash(passage)[:24]
        if head and squash(page_text[start:end]).startswith(head[: max(4, len(head) // 2)]):
            return start, end
    first = _words_pattern(passage, 8)
    if first is None:
        return None
    found = first.search(page_text)
    if not found:
        return None
    tail = _words_pattern(" ".join(re.findall(r"\w+", passage)[-8:]), 8)
    stop = found.end()
    if tail is not None:
        later = [m.end() for m in tail.finditer(page_text, found.start())]
        if later:
            stop = later[0]
    return found.start(), max(stop, found.end())


class HighlightView(QPdfView):
    """QPdfView that paints passage outlines (page points, top-left origin) over the page."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setPageMode(QPdfView.PageMode.SinglePage)
        self.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.highlight_page = -1
        self.highlights: list[QPolygonF] = []

    def page_scale(self) -> float:
        doc = self.document()
        if doc is None or self.highlight_page < 0:
            return 0.0
        m = self.documentMargins()
        width = doc.pagePointSize(self.highlight_page).width()
        return (self.viewport().width() - m.left() - m.right()) / width if width else 0.0

    def to_viewport(self, point: QPointF) -> QPointF:
        m = self.documentMargins()
        scale = self.page_scale()
        return QPointF(m.left() - self.horizontalScrollBar().value() + point.x() * scale,
                       m.top() - self.verticalScrollBar().value() + point.y() * scale)

    def highlight_rect(self) -> QRectF:
        """Bounding box of the highlight in viewport pixels (empty when there is none)."""
        box = QRectF()
        for poly in self.highlights:
            box = box.united(QPolygonF([self.to_viewport(p) for p in poly]).boundingRect())
        return box

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if not self.highlights or self.pageNavigator().currentPage() != self.highlight_page:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(HIGHLIGHT_EDGE)
        painter.setBrush(HIGHLIGHT)
        for poly in self.highlights:
            painter.drawPolygon(QPolygonF([self.to_viewport(p) for p in poly]))
        painter.end()

    def scroll_to_highlight(self) -> None:
        box = self.highlight_rect()
        if box.isEmpty():
            return
        bar = self.verticalScrollBar()
        bar.setValue(int(bar.value() + box.top() - self.viewport().height() / 4))


class PageViewer(QWidget):
    """A toolbar (file, page n/N, previous/next, open externally) over a HighlightView."""

    message = Signal(str)  # a problem to show in the status bar

    def __init__(self, parent=None):
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self.view = HighlightView()
        self.view.setDocument(self.document)
        self.title = QLabel(self.tr("No page open"))
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.prev = QToolButton(text="◀")
        self.prev.setToolTip(self.tr("Previous page"))
        self.prev.clicked.connect(lambda: self.go(self.page - 1))
        self.next = QToolButton(text="▶")
        self.next.setToolTip(self.tr("Next page"))
        self.next.clicked.connect(lambda: self.go(self.page + 1))
        self.external = QToolButton(text="↗")
        self.external.setToolTip(self.tr("Open the file in the system's PDF viewer"))
        self.external.clicked.connect(self.open_externally)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.title, 1)
        for button in (self.prev, self.next, self.external):
            bar.addWidget(button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.view, 1)
        self.path = ""
        self.page = -1  # 0-based page shown
        self.passage_range: tuple[int, int] | None = None
        self._update_buttons()

    def _update_buttons(self) -> None:
        count = self.document.pageCount()
        self.prev.setEnabled(self.page > 0)
        self.next.setEnabled(0 <= self.page < count - 1)
        self.external.setEnabled(bool(self.path))
        if self.path:
            self.title.setText(self.tr("{name} — page {page} of {count}").format(
                name=Path(self.path).name, page=self.page + 1, count=count))

    def load(self, path: str) -> bool:
        if path == self.path and self.document.status() == QPdfDocument.Status.Ready:
            return True
        self.document.close()
        self.path = ""
        if not Path(path).is_file():
            self.message.emit(self.tr("{path}: the file is no longer there; its stored text still answers "
                                      "questions (re-add it to open pages)").format(path=path))
            return False
        if self.document.load(path) != QPdfDocument.Error.None_:
            self.message.emit(self.tr("{path}: the PDF viewer cannot open this file").format(path=path))
            return False
        self.path = path
        return True

    def go(self, page: int) -> None:
        if not self.path or not 0 <= page < self.document.pageCount():
            return
        self.page = page
        self.view.pageNavigator().jump(page, QPointF(0, 0), 0)
        self.view.viewport().update()
        self._update_buttons()

    def show_passage(self, path: str, page: int, text: str = "", start: int = 0, end: int = 0) -> bool:
        """Open `path` at 1-based `page` and highlight `text` there. False when it cannot."""
        if not path.lower().endswith(".pdf"):
            self.message.emit(self.tr("{path}: only PDF pages can be shown; the passage is in the list above")
                              .format(path=path))
            return False
        if not self.load(path):
            self._update_buttons()
            return False
        index = min(max(page - 1, 0), self.document.pageCount() - 1)
        self.view.highlights = []
        self.view.highlight_page = index
        self.passage_range = None
        if text:
            page_text = self.document.getAllText(index).text()
            found = locate(page_text, text, start, end)
            if found:
                self.passage_range = found
                selection = self.document.getSelectionAtIndex(index, found[0], found[1] - found[0])
                self.view.highlights = list(selection.bounds())
        self.go(index)
        self.view.scroll_to_highlight()
        return True

    def open_externally(self) -> None:
        if self.path:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.path))

    def clear(self) -> None:
        self.document.close()
        self.path, self.page = "", -1
        self.view.highlights = []
        self.title.setText(self.tr("No page open"))
        self._update_buttons()
