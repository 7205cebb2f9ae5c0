"""Entry point of the desktop app (`rag-app`)."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from rag.engine import Engine
from rag.errors import SettingsError
from rag.settings import Settings

from .window import MainWindow


def make_engine() -> tuple[Engine, str | None]:
    """The engine over the user's settings, or over the defaults if those settings are bad."""
    try:
        return Engine(), None
    except SettingsError as err:
        return Engine(Settings()), f"{err}; using the default settings for now"


def apply_theme(app: QApplication, theme: str) -> None:
    schemes = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
    if theme in schemes:
        app.styleHints().setColorScheme(schemes[theme])


def setup_logging(home) -> None:
    """Warnings and errors (and the app's own notes) go to <data dir>/logs/rag-desk.log."""
    import logging
    from logging.handlers import RotatingFileHandler

    try:
        logs = home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(logs / "rag-desk.log", maxBytes=1 << 20, backupCount=2, encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("rag_desk")
    root.setLevel(logging.INFO)
    root.addHandler(handler)


def main(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv if argv is None else list(argv))
    app.setApplicationName("RAG Desk")
    app.setDesktopFileName("rag-desk")
    engine, problem = make_engine()
    setup_logging(engine.home)
    apply_theme(app, engine.settings.theme)
    window = MainWindow(engine)
    if problem:
        window.show_error(problem)
    window.show()
    code = app.exec()
    if window.busy():
        # A model load that cannot be interrupted outlived the shutdown wait. Leave now:
        # the catalog's recovery rolls back any half-written file on the next start.
        os._exit(code)
    engine.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
