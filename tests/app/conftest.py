"""Fixtures of the desktop app's tests (helpers without fixtures are in apphelpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def open_window(qtbot):
    """open_window(engine): the main window over `engine`, shown and active (shortcuts such as
    Esc and Ctrl+N need an active window), its first reads done."""
    from app.window import MainWindow
    from apphelpers import settle

    def open_(engine) -> MainWindow:
        window = MainWindow(engine)
        qtbot.addWidget(window)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        settle(qtbot, window)
        return window

    return open_
