"""Fixtures of the reliability suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def home(rag_home, models_dir, embedder) -> Path:
    """RAG_HOME with the embedder's one-time ONNX export already in place (not under test here)."""
    src = models_dir / "onnx"
    if src.is_dir():
        shutil.copytree(src, rag_home / "models" / "onnx")
    return rag_home
