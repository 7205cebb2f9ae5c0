"""The centre pane: the model notice, the transcript, the question box and the answer's buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .widgets import Transcript, column


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


class ModelNotice(QFrame):
    """A banner over the transcript: what the model in use can do and a better one to get.
    The window fills in the text (preferences.update_model_notice); hidden until then."""

    open_clicked = Signal()
    dismiss_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("modelNotice")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#modelNotice { background: rgba(255, 200, 0, 40); border: 1px solid rgba(230, 150, 0, 160);"
                           " border-radius: 4px; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton(self.tr("Open in Models…"))
        self.open_button.setToolTip(self.tr("Show the recommended model in the Models dialog; it downloads only "
                                            "when you press Pull there"))
        self.open_button.clicked.connect(self.open_clicked)
        self.dismiss_button = QToolButton(text=self.tr("Dismiss"))
        self.dismiss_button.setToolTip(self.tr("Do not show this again"))
        self.dismiss_button.clicked.connect(self.dismiss_clicked)
        buttons = QVBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignRight)
        buttons.addStretch(1)
        box = QHBoxLayout(self)
        box.setContentsMargins(10, 8, 10, 8)
        box.addWidget(self.text, 1)
        box.addLayout(buttons)
        self.hide()


class ChatPane(QWidget):
    send_clicked = Signal()
    stop_clicked = Signal()
    copy_clicked = Signal()
    regenerate_clicked = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.notice = ModelNotice()
        self.embedder_notice = ModelNotice()  # the multilingual embedder suggestion (app.embedder_advisor)
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
        layout = column(self.notice, self.embedder_notice, self.transcript)
        layout.setStretch(1, 1)
        layout.addLayout(tools)
        layout.addLayout(bottom)
        self.setLayout(layout)
        self.set_answering(False)

    def set_answering(self, answering: bool) -> None:
        self.send.setEnabled(not answering)
        self.stop.setEnabled(answering)
        self.regenerate.setEnabled(not answering)
