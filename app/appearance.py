"""The app's look and language: the colour scheme (theme setting) and the translation
catalogue (ui_language setting). Used at start-up (app.main) and when settings change."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLocale, Qt, QTranslator
from PySide6.QtGui import QGuiApplication

I18N = Path(__file__).with_name("i18n")


def apply_theme(app: QGuiApplication, theme: str) -> None:
    """Light or dark as asked; "system" leaves the system's choice."""
    schemes = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}
    if theme in schemes:
        app.styleHints().setColorScheme(schemes[theme])


def install_translator(app: QGuiApplication, setting: str) -> str:
    """Load the catalogue for the ui_language setting (auto = the system locale). Returns the
    language in use; English is the source language, so a missing catalogue falls back to it."""
    lang = setting
    if lang == "auto":
        lang = "zh_CN" if QLocale.system().name().startswith("zh") else "en"
    translator = QTranslator(app)
    if translator.load(f"rag_desk_{lang}", str(I18N)):
        app.installTranslator(translator)
        return lang
    return "en"
