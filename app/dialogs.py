"""Settings, "where is my data" and document details dialogs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from rag import BUNDLED_EMBEDDER, BUNDLED_LLM, Settings, SettingsError

REINDEX_FIELDS = ("embedding_model", "chunk_tokens", "chunk_overlap")
EMBEDDER_CHOICES = (BUNDLED_EMBEDDER,)


class SettingsDialog(QDialog):
    """Edit the settings people change most. `result_settings()` is validated."""

    def __init__(self, settings: Settings, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.original = settings
        s = settings
        self.llm = QLineEdit(s.llm_model)
        self.llm.setToolTip(self.tr("A .gguf file, or the bundled model"))
        browse = QPushButton(self.tr("Choose GGUF…"))
        browse.clicked.connect(self._choose_gguf)
        bundled = QPushButton(self.tr("Bundled"))
        bundled.setToolTip(self.tr("Use the small model that ships with RAG Desk"))
        bundled.clicked.connect(lambda: self.llm.setText(BUNDLED_LLM))
        llm_row = QHBoxLayout()
        llm_row.addWidget(self.llm, 1)
        llm_row.addWidget(browse)
        llm_row.addWidget(bundled)
        self.embedder = QComboBox()
        self.embedder.setEditable(True)
        self.embedder.addItems(list(dict.fromkeys((*EMBEDDER_CHOICES, s.embedding_model))))
        self.embedder.setCurrentText(s.embedding_model)
        self.embedder.setToolTip(self.tr("The bundled model, or a sentence-transformers model folder on disk"))
        self.chunk_tokens = self._spin(32, 2048, s.chunk_tokens)
        self.chunk_overlap = self._spin(0, 512, s.chunk_overlap)
        self.top_k = self._spin(1, 50, s.top_k)
        self.reranker = QComboBox()
        self.reranker.setEditable(True)
        self.reranker.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # a typed path stays text
        self.reranker.addItem(self.tr("Off"), "")
        self.reranker.addItem(self.tr("The local LLM (several seconds per question)"), "llm")
        known = self.reranker.findData(s.reranker)
        if known >= 0:
            self.reranker.setCurrentIndex(known)
        else:
            self.reranker.setEditText(s.reranker)
        self.reranker.setToolTip(self.tr("Re-read the best passages before answering: off, the local LLM, "
                                         "a .gguf file or a cross-encoder model folder"))
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(s.temperature)
        self.max_tokens = self._spin(16, 8192, s.max_tokens)
        self.context_size = self._spin(512, 131072, s.context_size)
        self.context_size.setSingleStep(512)
        self.gpu_layers = QComboBox()
        self.gpu_layers.setEditable(True)
        self.gpu_layers.addItems(["auto", "0", "all"])
        self.gpu_layers.setCurrentText(s.gpu_layers)
        self.gpu_layers.setToolTip(self.tr("Layers of the LLM to put on the GPU: auto, all, or a number (0 = CPU only)"))
        self.threads = self._spin(0, 256, s.threads)
        self.threads.setSpecialValueText(self.tr("automatic"))
        self.theme = QComboBox()
        for value, label in (("system", self.tr("System")), ("light", self.tr("Light")), ("dark", self.tr("Dark"))):
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(s.theme)))
        self.language = QComboBox()
        for value, label in (("auto", self.tr("System language")), ("en", "English"), ("zh_CN", "简体中文")):
            self.language.addItem(label, value)
        self.language.setCurrentIndex(max(0, self.language.findData(getattr(s, "ui_language", "auto"))))
        self.language.setToolTip(self.tr("Takes effect when RAG Desk starts again"))

        self.llm_backend = QComboBox()
        self.llm_backend.addItem(self.tr("On this computer (llama.cpp)"), "llama")
        self.llm_backend.addItem(self.tr("OpenAI-compatible server"), "openai")
        self.llm_backend.setCurrentIndex(max(0, self.llm_backend.findData(s.llm_backend)))
        self.llm_url = QLineEdit(s.llm_url)
        self.llm_url.setPlaceholderText("http://gpu-box:8080/v1")
        self.llm_api_key = QLineEdit(s.llm_api_key)
        self.llm_api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.llm_api = QComboBox()
        self.llm_api.addItem(self.tr("Chat (instruct models)"), "chat")
        self.llm_api.addItem(self.tr("Completion (base models)"), "completion")
        self.llm_api.setCurrentIndex(max(0, self.llm_api.findData(s.llm_api)))
        self.chroma_url = QLineEdit(s.chroma_url)
        self.chroma_url.setPlaceholderText(self.tr("empty = on this computer; or http://host:8000"))
        self.chroma_token = QLineEdit(s.chroma_token)
        self.chroma_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.llm_backend.currentIndexChanged.connect(self._backend_changed)
        self._backend_changed()
        self.serve_api = QCheckBox(self.tr("Serve the knowledge bases to other programs on this computer"))
        self.serve_api.setChecked(s.serve_api)
        self.serve_api.setToolTip(self.tr("An OpenAI-compatible API on 127.0.0.1 (model = knowledge base name) "
                                          "while RAG Desk runs, as `rag-cli serve` gives"))
        self.serve_port = self._spin(0, 65535, s.serve_port)
        self.serve_port.setSpecialValueText(self.tr("any free port"))
        self.serve_token = QLineEdit(s.serve_token)
        self.serve_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.serve_token.setPlaceholderText(self.tr("optional: clients then send 'Authorization: Bearer TOKEN'"))
        self.serve_api.toggled.connect(self._serve_changed)
        self._serve_changed()

        form = QFormLayout()
        form.addRow(self.tr("Answers from"), self.llm_backend)
        form.addRow(self.tr("LLM server URL"), self.llm_url)
        form.addRow(self.tr("LLM server API key"), self.llm_api_key)
        form.addRow(self.tr("LLM server API"), self.llm_api)
        form.addRow(self.tr("LLM model file"), llm_row)
        form.addRow(self.tr("Embedding model"), self.embedder)
        form.addRow(self.tr("Chunk size (tokens)"), self.chunk_tokens)
        form.addRow(self.tr("Chunk overlap (tokens)"), self.chunk_overlap)
        form.addRow(self.tr("Passages per answer (top-k)"), self.top_k)
        form.addRow(self.tr("Re-ranking"), self.reranker)
        form.addRow(self.tr("Temperature"), self.temperature)
        form.addRow(self.tr("Longest answer (tokens)"), self.max_tokens)
        form.addRow(self.tr("Context size (tokens)"), self.context_size)
        form.addRow(self.tr("GPU layers"), self.gpu_layers)
        form.addRow(self.tr("CPU threads"), self.threads)
        form.addRow(self.tr("Theme"), self.theme)
        form.addRow(self.tr("Language"), self.language)
        form.addRow(self.tr("Vector store server"), self.chroma_url)
        form.addRow(self.tr("Vector store token"), self.chroma_token)
        form.addRow(self.tr("Local API"), self.serve_api)
        form.addRow(self.tr("Local API port"), self.serve_port)
        form.addRow(self.tr("Local API token"), self.serve_token)
        self.note = QLabel(self.tr("Changing the embedding model or the chunking needs the knowledge base to be "
                                   "indexed again; you will be offered to do it."))
        self.note.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addLayout(form)
        box.addWidget(self.note)
        box.addWidget(self.error)
        box.addWidget(buttons)
        self._result: Settings | None = None

    @staticmethod
    def _spin(low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    def _backend_changed(self) -> None:
        remote = self.llm_backend.currentData() == "openai"
        for widget in (self.llm_url, self.llm_api_key, self.llm_api):
            widget.setEnabled(remote)
        self.llm.setEnabled(not remote)

    def _serve_changed(self) -> None:
        for widget in (self.serve_port, self.serve_token):
            widget.setEnabled(self.serve_api.isChecked())

    def _reranker_value(self) -> str:
        text = self.reranker.currentText().strip()
        for index in range(self.reranker.count()):  # the built-in choices, shown translated
            if self.reranker.itemText(index) == text and isinstance(self.reranker.itemData(index), str):
                return self.reranker.itemData(index)
        return text

    def _choose_gguf(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a GGUF model"), str(Path.home()),
                                              self.tr("GGUF models (*.gguf);;All files (*)"))
        if path:
            self.llm.setText(path)

    def values(self) -> dict:
        changes = dict(
            llm_model=self.llm.text().strip() or BUNDLED_LLM,
            embedding_model=self.embedder.currentText().strip() or BUNDLED_EMBEDDER,
            chunk_tokens=self.chunk_tokens.value(),
            chunk_overlap=self.chunk_overlap.value(),
            top_k=self.top_k.value(),
            reranker=self._reranker_value(),
            temperature=round(self.temperature.value(), 2),
            max_tokens=self.max_tokens.value(),
            context_size=self.context_size.value(),
            gpu_layers=self.gpu_layers.currentText().strip(),
            threads=self.threads.value(),
            theme=self.theme.currentData(),
            llm_backend=self.llm_backend.currentData(),
            llm_url=self.llm_url.text().strip(),
            llm_api_key=self.llm_api_key.text().strip(),
            llm_api=self.llm_api.currentData(),
            chroma_url=self.chroma_url.text().strip(),
            chroma_token=self.chroma_token.text().strip(),
            serve_api=self.serve_api.isChecked(),
            serve_port=self.serve_port.value(),
            serve_token=self.serve_token.text().strip(),
        )
        if "ui_language" in Settings.__dataclass_fields__:
            changes["ui_language"] = self.language.currentData()
        return changes

    def accept(self) -> None:
        try:
            settings = replace(self.original, **self.values()).validate("the settings dialog")
            if (settings.llm_backend == "llama" and not settings.llm_model.startswith("bundled:")
                    and not Path(settings.llm_model).expanduser().is_file()):
                raise SettingsError(self.tr("{path}: no such model file; choose a .gguf file or the bundled model")
                                    .format(path=settings.llm_model))
            from rag import reranker_problem  # loads the search stage: only when it is needed

            problem = reranker_problem(settings)
            if problem:
                raise SettingsError(problem)
        except SettingsError as err:
            self.error.setText(str(err))
            self.error.show()
            return
        self._result = settings
        super().accept()

    def result_settings(self) -> Settings | None:
        return self._result


class DataDialog(QDialog):
    """Help ▸ Where is my data: the folders and files, and "delete all data"."""

    def __init__(self, places: list[tuple[str, Path]], parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Where RAG Desk keeps its data"))
        form = QFormLayout()
        for label, path in places:
            field = QLineEdit(str(path))
            field.setReadOnly(True)
            field.setCursorPosition(0)
            form.addRow(label, field)
        text = QLabel(self.tr("Your documents are never copied or changed: RAG Desk keeps their text, embeddings "
                              "and your chats in the data folder."))
        text.setWordWrap(True)
        self.open_folder = QPushButton(self.tr("Open data folder"))
        self.open_folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(places[0][1]))))
        self.delete_all = QPushButton(self.tr("Delete all data…"))
        self.delete_all.setToolTip(self.tr("Delete every knowledge base, chat, cached model and the log"))
        self.delete_all.setStyleSheet("color: #b3261e")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.open_folder)
        row.addWidget(self.delete_all)
        row.addStretch(1)
        row.addWidget(close)
        box = QVBoxLayout(self)
        box.addWidget(text)
        box.addLayout(form)
        box.addLayout(row)
        self.resize(640, self.sizeHint().height())


def file_details(rec, parent: QWidget | None = None) -> str:
    """The text shown by Details… for one document."""
    lines = [
        QCoreApplication.translate("DocumentDetails", "File: {path}").format(path=rec.path),
        QCoreApplication.translate("DocumentDetails", "Status: {state}").format(state=rec.status),
        QCoreApplication.translate("DocumentDetails", "Pages: {pages}    Chunks: {chunks}").format(
            pages=rec.pages, chunks=rec.chunks),
    ]
    if rec.sha256:
        lines.append(QCoreApplication.translate("DocumentDetails", "SHA-256: {sha}").format(sha=rec.sha256))
    if rec.error:
        lines.append(QCoreApplication.translate("DocumentDetails", "Problem: {error}").format(error=rec.error))
    if not Path(rec.path).exists():
        lines.append(QCoreApplication.translate(
            "DocumentDetails", "The source file is no longer there; its stored text still answers questions."))
    return "\n".join(lines)
