"""The Models dialog against the fake hub: pull with progress, cancel + resume, use, remove."""

from __future__ import annotations

import tomllib

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from app.models_dialog import PERMILLE, ModelsDialog  # noqa: E402
from models import catalog  # noqa: E402
from rag import BUNDLED_LLM  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def engine(rag_home):
    from rag import Engine

    with Engine() as engine:  # nothing loads: the dialog only has it save and apply a choice
        yield engine


@pytest.fixture
def dialog(qtbot, hub_env, rag_home, engine):
    md = rag_home / "models"
    catalog.add_user_entry(md, catalog.CatalogEntry("tiny", "llm", "hub", repo="test/tiny-gguf",
                                                    files=("tiny.gguf",), licence="gemma", languages=("en",)))
    dlg = ModelsDialog(md, engine.use_model)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_lists_the_catalog_with_states(dialog):
    assert dialog.status_of("gemma-3-270m-q4_k_m") == "In use"
    assert dialog.status_of("all-MiniLM-L6-v2") == "In use"
    assert dialog.status_of("qwen2.5-1.5b-instruct-q4_k_m") == "Not downloaded"
    assert dialog.status_of("tiny") == "Not downloaded"
    dialog.select("gemma-3-270m-q4_k_m")
    assert not dialog.pull_button.isEnabled() and not dialog.remove_button.isEnabled()
    dialog.select("tiny")
    assert dialog.pull_button.isEnabled() and not dialog.use_button.isEnabled()


def test_pull_cancel_resume_use_remove(dialog, qtbot, hub_env, rag_home, engine):
    hub_env.pause_s = 0.01  # a slow network, so Cancel lands mid-file
    dialog.select("tiny")
    formats = []
    dialog.progress.valueChanged.connect(lambda v: formats.append(dialog.progress.format()))
    with qtbot.waitSignal(dialog.progress.valueChanged, timeout=60_000):
        qtbot.mouseClick(dialog.pull_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.isEnabled() and not dialog.pull_button.isEnabled()
    worker = dialog.worker
    with qtbot.waitSignal(worker.finished, timeout=60_000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.progress.format() == "cancelled" and "resume" in dialog.status.text()
    assert any(" of 253.1 MB · " in f and "MB/s" in f and " left" in f for f in formats), formats
    part = rag_home / "models" / "tiny" / "tiny.gguf.part"
    assert part.exists() and dialog.status_of("tiny") == "Not downloaded"

    hub_env.pause_s = 0.0
    hub_env.log.clear()
    with qtbot.waitSignal(dialog.progress.valueChanged, timeout=60_000):
        qtbot.mouseClick(dialog.pull_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)
    assert dialog.progress.value() == PERMILLE and "verified" in dialog.status.text()
    assert [r for m, _, r in hub_env.log if m == "GET"][0].startswith("bytes=")  # resumed
    assert dialog.status_of("tiny") == "Installed"

    dialog.select("tiny")
    with qtbot.waitSignal(dialog.model_chosen) as chosen:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    value = str(rag_home / "models" / "tiny" / "tiny.gguf")
    assert chosen.args == ["llm_model", value]
    assert tomllib.loads((rag_home / "settings.toml").read_text())["llm_model"] == value
    assert engine.settings.llm_model == value  # saved by the engine and in use at once
    assert dialog.status_of("tiny") == "In use" and dialog.status_of("gemma-3-270m-q4_k_m") == "Bundled"

    dialog.remove_selected(confirm=False)  # in use: refused with the reason
    assert "is in use" in dialog.status.text() and (rag_home / "models" / "tiny").exists()
    dialog.select("gemma-3-270m-q4_k_m")
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert engine.settings.llm_model == BUNDLED_LLM and dialog.status_of("tiny") == "Installed"
    dialog.select("tiny")
    dialog.remove_selected(confirm=False)
    assert not (rag_home / "models" / "tiny").exists() and dialog.status_of("tiny") == ""


def test_offline_pull_shows_the_reason(dialog, qtbot, monkeypatch):
    from servers import free_port

    closed = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HF_ENDPOINT", closed)
    dialog.select("tiny")
    qtbot.mouseClick(dialog.pull_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=60_000)
    assert f"cannot reach the model hub at {closed}" in dialog.status.text()
    assert dialog.progress.format() == "failed" and dialog.pull_button.isEnabled()
