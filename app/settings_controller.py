"""Settings, models and the data folder: the Settings and Models dialogs, rebuilding a
knowledge base after a change that needs it, "where is my data", "delete all data", the
device shown in the status bar and the model notice over the chat. Engine work runs through
the window's task runner.

The model notice: while the bundled LLM answers, a banner says it is a tiny offline default
and names the catalog's recommended model (`recommended = true` in models/catalog.toml) with
its size and RAM; its button opens the Models dialog on that entry, where nothing downloads
until Pull is pressed. Dismissed, it stays away (`notice/bundled_llm_dismissed` in
app-state.ini)."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from PySide6.QtCore import QLocale, QObject, QSettings, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from rag import RagError, config_file, save_settings

from .appearance import apply_theme
from .dialogs import REINDEX_FIELDS, DataDialog, SettingsDialog
from .tasks import error_message

log = logging.getLogger("rag_desk.app")


class SaveFailed(Exception):
    """The settings file could not be written (the settings were not applied)."""


class SettingsController(QObject):
    applied = Signal(object)  # the names of the settings that changed (a set)

    def __init__(self, window):
        super().__init__(window)
        self.mw = window

    @property
    def engine(self):
        return self.mw.engine

    # ---- settings -----------------------------------------------------------------------------

    @Slot()
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.engine.settings, self.mw)
        if dialog.exec() and dialog.result_settings() is not None:
            self.apply_settings(dialog.result_settings())

    def apply_settings(self, settings, offer_rebuild: bool = True) -> None:
        """Save `settings` to the settings file and use them; `applied` tells what changed.
        A change that needs the knowledge base indexed again offers a rebuild."""
        kb = self.mw.kb

        def apply() -> tuple[set[str], bool]:
            try:
                save_settings(settings, config_file())
            except (RagError, OSError) as err:
                raise SaveFailed(str(err)) from err
            changed = self.engine.update_settings(settings)
            stale = bool(offer_rebuild and changed & set(REINDEX_FIELDS) and self.engine.needs_reindex(kb))
            return changed, stale

        self.mw.tasks.run(apply, success=lambda done: self._applied(settings, *done), failure=self._not_saved)

    def _not_saved(self, err) -> None:
        if isinstance(err, SaveFailed):
            self.mw.show_error(self.tr("Could not save the settings: {why}").format(why=err))
        else:
            self.mw.show_error(error_message(err))

    def _applied(self, settings, changed: set[str], stale: bool) -> None:
        if "theme" in changed:
            apply_theme(QGuiApplication.instance(), settings.theme)
        self.show_device()
        if stale:
            self.rebuild_kb()
        self.update_model_notice()
        self.applied.emit(changed)

    @Slot()
    def rebuild_kb(self) -> None:
        kb = self.mw.kb
        self.mw.tasks.run(lambda: self.engine.missing_sources(kb), success=lambda missing: self._ask_rebuild(kb, missing))

    def _ask_rebuild(self, kb: str, missing) -> None:
        text = self.tr("Index knowledge base '{name}' again with the current embedding model and chunk settings?") \
            .format(name=kb)
        if missing:
            text += "\n\n" + self.tr("These files are no longer on disk and will be dropped: {files}").format(
                files=", ".join(m.name for m in missing))
        answer = QMessageBox.question(self.mw, self.tr("Rebuild knowledge base"), text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.mw.ingestion.run_job("rebuild", [], kb)

    # ---- models -------------------------------------------------------------------------------

    @Slot()
    def open_models(self, select: str | None = None) -> None:
        """The Models dialog, with catalog entry `select` selected when given."""
        from .models_dialog import ModelsDialog

        path = config_file()
        dialog = ModelsDialog(self.engine.home / "models", partial(self.engine.use_model, settings_file=path),
                              path, self.mw)
        dialog.model_chosen.connect(self.model_chosen)
        if select:
            dialog.select(select)
        dialog.exec()
        self.update_model_notice()

    @Slot(str, str)
    def model_chosen(self, setting: str, value: str) -> None:
        """The Models dialog has saved and applied `setting = value`: offer a rebuild if the
        knowledge base was indexed with another embedding model."""
        self.update_model_notice()
        if setting not in REINDEX_FIELDS:
            return
        kb = self.mw.kb
        self.mw.tasks.run(lambda: self.engine.needs_reindex(kb), success=lambda stale: stale and self.rebuild_kb())

    # ---- the model notice over the chat -----------------------------------------------------------

    NOTICE_DISMISSED = "notice/bundled_llm_dismissed"

    def connect_model_notice(self) -> None:
        notice = self.mw.chat.notice
        notice.open_clicked.connect(self.open_recommended)
        notice.dismiss_clicked.connect(self.dismiss_model_notice)
        self.update_model_notice()

    def recommended_model(self):
        """(the bundled LLM's entry, the recommended entry) while the bundled LLM is in use and
        the catalog recommends another; else None."""
        from models import catalog

        try:
            entries = catalog.builtin_entries()
        except (RagError, OSError) as err:
            log.warning("model catalog unreadable: %s", err)
            return None
        bundled, pick = catalog.bundled_llm_in_use(self.engine.settings, entries), catalog.recommended_llm(entries)
        return (bundled, pick) if bundled is not None and pick is not None else None

    def notice_dismissed(self) -> bool:
        return str(self.mw.state.value(self.NOTICE_DISMISSED, "")).lower() == "true"

    def update_model_notice(self) -> None:
        """Show the notice while the bundled LLM is in use and it was not dismissed; hide it otherwise."""
        notice = self.mw.chat.notice
        found = None if self.notice_dismissed() else self.recommended_model()
        if found is None:
            notice.hide()
            return
        from models import catalog
        from models.download import format_bytes

        bundled, pick = found
        text = self.tr("The bundled model, {bundled}, is a tiny offline default: its answers quote your documents "
                       "and add little of their own.").format(bundled=bundled.name)
        facts = dict(name=pick.name, languages=self.language_names(pick.languages),
                     size=format_bytes(pick.size) if pick.size else "?", ram=f"{pick.ram_gb:g}")
        if catalog.is_installed(pick, self.engine.home / "models"):
            text += " " + self.tr("The recommended {name} ({languages}, needs about {ram} GB RAM) is downloaded: "
                                  "choose it in Models and press Use.").format(**facts)
        else:
            text += " " + self.tr("For fuller answers, the recommended {name} is an instruct model for {languages}: "
                                  "a {size} download that needs about {ram} GB RAM. Nothing is downloaded until you "
                                  "press Pull in Models.").format(**facts)
        notice.text.setText(text)
        notice.show()

    def language_names(self, codes) -> str:
        """"English + Chinese" for ("en", "zh", "multi")."""
        own = {"en": self.tr("English"), "zh": self.tr("Chinese")}
        names = [own.get(c) or QLocale.languageToString(QLocale(c).language()) for c in codes if c != "multi"]
        return " + ".join(names) or self.tr("many languages")

    @Slot()
    def open_recommended(self) -> None:
        found = self.recommended_model()
        self.open_models(select=found[1].name if found is not None else None)

    @Slot()
    def dismiss_model_notice(self) -> None:
        self.mw.state.setValue(self.NOTICE_DISMISSED, True)
        self.mw.state.sync()
        self.mw.chat.notice.hide()

    # ---- the device in the status bar ------------------------------------------------------------

    def show_device(self) -> None:
        threads_setting = self.engine.settings.threads

        def probe() -> tuple[str, int]:
            from models.hardware import llama_hardware, resolve_threads

            return llama_hardware().device, resolve_threads(threads_setting)

        self.mw.tasks.run(probe, success=lambda found: self.mw.device_state.setText(
            self.tr("{device} · {threads} threads").format(device=found[0], threads=found[1])),
            failure=lambda exc: log.warning("hardware probe failed: %s", exc))  # must never stop the window

    # ---- the data folder ------------------------------------------------------------------------

    def data_places(self) -> list[tuple[str, Path]]:
        """(label, path) of everything RAG Desk keeps, labels translated."""
        labels = {"data": self.tr("Data folder"), "settings": self.tr("Settings file"), "log": self.tr("Log file"),
                  "knowledge-bases": self.tr("Knowledge bases"), "chats": self.tr("Chats")}
        return [(labels.get(key, key), path) for key, path in self.engine.data_places()]

    @Slot()
    def show_data(self) -> None:
        dialog = DataDialog(self.data_places(), self.mw)
        dialog.delete_all.clicked.connect(lambda: self._confirm_delete_all(dialog))
        dialog.exec()

    def _confirm_delete_all(self, dialog) -> None:
        answer = QMessageBox.warning(
            dialog, self.tr("Delete all data"),
            self.tr("Delete every knowledge base, chat, cached model and the log in {home}? Your document files are "
                    "not touched. This cannot be undone.").format(home=self.engine.home),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes and self.delete_all_data():
            dialog.accept()

    def delete_all_data(self) -> bool:
        """Remove everything under the data folder except the settings file, then start empty.
        False (and why, in the status bar) when refused."""
        if self.mw.ingestion.busy or self.mw.conversation.answering:
            self.mw.show_error(self.tr("Wait for indexing and answers to finish before deleting data."))
            return False
        self.mw.library.shutdown()  # no sync may start on the old folders meanwhile
        self.mw.tasks.run(self.engine.wipe_all_data, success=self._wiped)
        return True

    def _wiped(self, problems: list[str]) -> None:
        self.mw.state = QSettings(str(self.engine.home / "app-state.ini"), QSettings.Format.IniFormat)
        self.mw.kb = self.engine.settings.default_kb
        self.mw.conversation.forget_answer()
        self.update_model_notice()
        self.mw.library.refresh()
        self.mw.library.start_watching()
        if problems:
            self.mw.show_error("; ".join(problems))
        else:
            self.mw.statusBar().showMessage(self.tr("All data deleted."))
