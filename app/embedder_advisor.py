"""The embedder suggestion over the chat: a knowledge base built with the English-only bundled
embedder, whose indexed text is mostly Chinese (or whose user runs the app in Chinese), is
offered the multilingual e5 embedder, with what the switch costs: the knowledge base is indexed
again, in about the time shown (`Engine.embedder_suggestion`, from the bench's speed on this
class of machine). Nothing changes until *Re-index with it* is pressed, which runs the rebuild
through the ingest queue with progress and Cancel like any other job. *Not now* hides it for
that knowledge base for good (`notice/embedder_dismissed/<kb>` in app-state.ini).

It is looked at when the window opens, when another knowledge base is chosen and when an
ingest job ends; the check runs on the task runner, off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QLocale, QObject, Slot

DISMISSED = "notice/embedder_dismissed/{kb}"


class EmbedderAdvisor(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.mw = window
        self.suggestion = None  # the EmbedderSuggestion shown, or None
        notice = self.notice
        notice.open_button.setText(self.tr("Re-index with it"))
        notice.open_button.setToolTip(self.tr("Index this knowledge base again with the multilingual embedder; "
                                              "progress shows in the documents pane and Cancel stops it"))
        notice.dismiss_button.setText(self.tr("Not now"))
        notice.dismiss_button.setToolTip(self.tr("Do not suggest this again for this knowledge base"))
        notice.open_clicked.connect(self.accept)
        notice.dismiss_clicked.connect(self.dismiss)

    @property
    def notice(self):
        return self.mw.chat.embedder_notice

    def ui_language(self) -> str:
        setting = self.mw.engine.settings.ui_language
        return QLocale.system().name() if setting == "auto" else setting

    def dismissed(self, kb: str) -> bool:
        return str(self.mw.state.value(DISMISSED.format(kb=kb), "")).lower() == "true"

    @Slot()
    def check(self) -> None:
        """Look again whether the current knowledge base should be offered e5."""
        kb = self.mw.kb
        if self.dismissed(kb) or self.mw.ingestion.busy:
            self._show(kb, None)
            return
        language = self.ui_language()
        self.mw.tasks.run(lambda: self.mw.engine.embedder_suggestion(kb, language, measure=False),
                          success=lambda found: self._show(kb, found), failure=lambda err: self._show(kb, None))

    def _show(self, kb: str, found) -> None:
        if kb != self.mw.kb:  # the user moved on meanwhile
            return
        self.suggestion = found
        if found is None:
            self.notice.hide()
            return
        if found.reason == "chinese-text":
            why = self.tr("Most of the text in “{kb}” is Chinese ({share:.0%}), but it is indexed with an "
                          "English-only embedder, so passages are found by their words alone.").format(
                kb=kb, share=found.chinese_share)
        else:
            why = self.tr("RAG Desk runs in Chinese here, and “{kb}” is indexed with an English-only "
                          "embedder, which cannot match the meaning of Chinese text.").format(kb=kb)
        cost = self.tr("The multilingual embedder ({name}) reads Chinese and English. Switching indexes the "
                       "knowledge base again: {pages} pages, {chunks} chunks, about {time} on this computer.").format(
            name=found.suggested, pages=found.pages, chunks=found.chunks, time=self.duration(found.estimate_s))
        self.notice.text.setText(f"{why} {cost}")
        self.notice.show()

    def duration(self, seconds: float) -> str:
        if seconds >= 90:
            return self.tr("{n} min").format(n=max(1, round(seconds / 60)))
        return self.tr("{n} s").format(n=max(1, round(seconds)))

    @Slot()
    def accept(self) -> None:
        found = self.suggestion
        if found is None:
            return
        self.notice.hide()
        self.suggestion = None
        self.mw.ingestion.run_job("rebuild", [], found.kb, embedder=found.setting)

    @Slot()
    def dismiss(self) -> None:
        self.mw.state.setValue(DISMISSED.format(kb=self.mw.kb), True)
        self.notice.hide()
        self.suggestion = None
