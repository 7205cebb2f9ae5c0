"""Where a model setting points: the one place that turns `llm_model` / `embedding_model` into a
file or folder on this machine. Nothing is ever downloaded here."""

from __future__ import annotations

from pathlib import Path

from models.bundled import BUNDLED_EMBEDDER, BUNDLED_LLM, EMBEDDER_NAME, embedder_dir, llm_path
from models.errors import ModelError


def resolve_embedder(setting: str) -> tuple[str, Path]:
    """(name recorded with the store, local model folder). Never downloads."""
    if setting.startswith("bundled:"):
        if setting != BUNDLED_EMBEDDER:
            raise ModelError(f"unknown bundled embedding model {setting!r}; use {BUNDLED_EMBEDDER!r}")
        return EMBEDDER_NAME, embedder_dir()
    path = Path(setting).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ModelError(f"{path} is not a sentence-transformers model folder (no config.json / modules.json)")
        return str(path.resolve()), path.resolve()
    local = _hub_cache_dir(setting)
    if local is None:
        raise ModelError(
            f"embedding model {setting!r} is not on this machine; give a local model folder, "
            "or download it first (RAG Desk never downloads models on its own)"
        )
    return setting, local


def _hub_cache_dir(model_id: str) -> Path | None:
    """A model already in the Hugging Face cache, found without any network access."""
    if "/" not in model_id:
        model_id = f"sentence-transformers/{model_id}"
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model_id, local_files_only=True))
    except Exception:
        return None


def resolve_llm(setting: str, models_dir: Path) -> Path:
    if setting.startswith("bundled:"):
        if setting != BUNDLED_LLM:
            raise ModelError(f"unknown bundled LLM {setting!r}; use {BUNDLED_LLM!r}")
        return llm_path(models_dir)
    path = Path(setting).expanduser()
    if not path.is_file():
        raise ModelError(f"LLM file {path} does not exist; pick a .gguf file in settings (llm_model)")
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ModelError(f"cannot read LLM file {path}: {exc.strerror}") from None
    if magic != b"GGUF":
        raise ModelError(f"{path.name} is not a GGUF model file; llama.cpp needs a .gguf file")
    return path
