"""Entry point of the desktop app (`rag-app`)."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from rag import BUNDLED_LLM, Engine, ModelError, RagError, Settings, SettingsError, check_llm

from .appearance import apply_theme, install_translator
from .window import MainWindow


def make_engine() -> tuple[Engine, str | None]:
    """The engine over the user's settings, or over the defaults if those settings are bad; a
    configured LLM that cannot load (missing, not a GGUF, incomplete, too large for memory) is
    replaced by the bundled one for this session. Returns the engine and what was wrong."""
    from rag import data_dir

    data_dir()  # RAG_HOME itself must be usable: that error stops the app (main() shows it)
    try:
        engine = Engine()
    except SettingsError as err:
        return Engine(Settings()), f"{err}; using the default settings for now"
    return engine, fall_back_to_bundled_llm(engine)


def fall_back_to_bundled_llm(engine: Engine) -> str | None:
    """Check the configured LLM (header only) and, when it cannot load, use the bundled model
    (with the default context size if need be) until the user picks another. The settings file
    is left as it is. The bundled default itself is not checked here: start-up stays instant."""
    from dataclasses import replace

    s = engine.settings
    if s.llm_backend == "llama" and s.llm_model == BUNDLED_LLM:
        return None
    try:
        check_llm(s, engine.home / "models")
        return None
    except ModelError as err:
        problem = str(err)
    fallbacks = [replace(s, llm_model=BUNDLED_LLM, llm_backend="llama"),
                 replace(s, llm_model=BUNDLED_LLM, llm_backend="llama", context_size=Settings().context_size)]
    chosen = fallbacks[-1]
    for candidate in fallbacks:
        try:
            check_llm(candidate, engine.home / "models")
        except ModelError:
            continue
        chosen = candidate
        break
    engine.update_settings(chosen)
    context = "" if chosen.context_size == s.context_size else f" with a {chosen.context_size}-token context"
    return (f"{problem} — using the bundled model{context} for now; pick another model in "
            "File ▸ Settings or File ▸ Models")


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


USAGE = """usage: rag-app [--self-test] [--exit-when-shown]

  --self-test        index a generated sample PDF in a temporary folder, ask one question,
                     open the cited page; print a JSON report; exit 0 when it all worked
  --exit-when-shown  quit as soon as the window is on screen (measures start-up)
"""


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    args = list(sys.argv if argv is None else argv)
    flags = {a for a in args[1:] if a.startswith("--")}
    if flags - {"--self-test", "--exit-when-shown", "--help"} or "--help" in flags:
        print(USAGE, file=sys.stderr)
        return 0 if flags == {"--help"} else 2
    if "--self-test" in flags and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([a for a in args if a not in flags])
    app.setApplicationName("RAG Desk")
    app.setDesktopFileName("rag-desk")
    if "--self-test" in flags:
        from .selftest import run

        return run()
    try:
        engine, problem = make_engine()
    except RagError as err:  # no usable data folder (RAG_HOME empty, a file, unwritable): say so and stop
        from PySide6.QtWidgets import QMessageBox

        print(f"error: {err}", file=sys.stderr)
        if app.platformName() not in ("offscreen", "minimal"):  # nobody could close a box there
            QMessageBox.critical(None, "RAG Desk", str(err))
        return 2
    setup_logging(engine.home)
    install_translator(app, engine.settings.ui_language)
    apply_theme(app, engine.settings.theme)
    window = MainWindow(engine)
    if problem:
        window.show_error(problem)
    window.show()
    if "--exit-when-shown" in flags:
        def shown() -> None:
            print(f"window shown {time.perf_counter() - started:.2f} s after main()", file=sys.stderr, flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, shown)
    code = app.exec()
    if window.busy():
        # A model load that cannot be interrupted outlived the shutdown wait. Leave now:
        # the catalog's recovery rolls back any half-written file on the next start.
        os._exit(code)
    engine.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
