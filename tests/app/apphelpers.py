"""Helpers the desktop app's tests share: drive the window like a user (drops, typed
questions) and wait for it. The `open_window` fixture is in tests/app/conftest.py."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def drop(target, *paths) -> None:
    """What a file manager drag does: enter, then drop, both with a text/uri-list payload."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    mime.setText("\n".join(str(p) for p in paths))  # file managers send the paths as text too
    where = QPointF(target.rect().center())
    args = (where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    for event in (QDragEnterEvent(*args), QDropEvent(*args)):
        QApplication.sendEvent(target, event)
        assert event.isAccepted()


def doc_line(window, name: str) -> str:
    """The documents list's line for file `name` ("" when it is not listed)."""
    return next((t for t in window.docs.texts() if t.startswith(name + " ")), "")


def settle(qtbot, window, timeout: int = 120_000) -> None:
    """Wait until nothing is indexing, answering or waiting on the window's task runner."""
    qtbot.waitUntil(lambda: not window.working, timeout=timeout)


def ingest_and_wait(qtbot, window, *paths) -> None:
    drop(window, *paths)
    settle(qtbot, window)


def ask(qtbot, window, question: str) -> None:
    """Type `question` into the question box and press Enter; the answer starts."""
    window.chat.input.setFocus()
    qtbot.keyClicks(window.chat.input, question)
    qtbot.keyClick(window.chat.input, Qt.Key.Key_Return)
    assert window.answering and window.chat.input.toPlainText() == ""


def wait_answer(qtbot, window, timeout: int = 60_000):
    """Wait for the answer (and the work it queued) to finish; return the last AnswerDone."""
    settle(qtbot, window, timeout)
    return window.last_answer
