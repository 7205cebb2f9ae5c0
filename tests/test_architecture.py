"""Import rules, checked on the source: every `import` and `from ... import`, at module level
or inside a function, in rag/, models/ and app/ (what import-linter's contracts would say)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "shiboken6")

# rag's stages, highest first: a stage may import those below it, never one above it.
LAYERS = ["rag.cli", "rag.serve", "rag.engine", "rag.parts", "rag.answer", "rag.search", "rag.ingest", "rag.store", "rag.embed",
          "rag.llm"]
BASE = ("rag.settings", "rag.events", "rag.errors", "rag.language", "rag.paths", "rag.threads")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports; `from pkg import name` counts as pkg.name when that is a module."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            out.add(module)
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                if (ROOT / Path(*candidate.split("."))).with_suffix(".py").exists() or \
                        (ROOT / Path(*candidate.split(".")) / "__init__.py").exists():
                    out.add(candidate)
    return out


# the benches' work folders (git-ignored): data folders and the LangChain baseline's venv
WORK = ROOT / "bench" / "results"


def sources(*folders: str) -> list[Path]:
    """The project's own Python files under `folders`."""
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py")) if not p.is_relative_to(WORK)]


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(paths, rule) -> list[str]:
    found = []
    for path in paths:
        me = module_name(path)
        for target in sorted(imported(path)):
            why = rule(me, target)
            if why:
                found.append(f"{me} imports {target}: {why}")
    return found


def test_the_rules_see_imports_inside_functions(tmp_path):
    # the checker itself: a function-local import counts like a module-level one
    assert "rag.llm.llama" in imported(ROOT / "rag" / "parts.py")  # imported inside Parts.generator
    assert "chromadb" in imported(ROOT / "rag" / "store" / "vectors.py")


def test_engine_and_models_never_import_qt():
    rule = lambda me, t: "Qt belongs to app/" if any(within(t, q) for q in QT) else None  # noqa: E731
    assert violations(sources("rag", "models"), rule) == []


def test_models_never_import_rag():
    rule = lambda me, t: "models/ sits below rag/" if within(t, "rag") else None  # noqa: E731
    assert violations(sources("models"), rule) == []


def test_nothing_imports_the_app():
    rule = lambda me, t: "nothing imports app/" if within(t, "app") else None  # noqa: E731
    assert violations(sources("rag", "models", "bench"), rule) == []


def test_only_the_cli_imports_click():
    rule = lambda me, t: "only rag.cli uses click" if within(t, "click") and not within(me, "rag.cli") else None  # noqa: E731
    assert violations(sources("rag", "models", "app"), rule) == []


@pytest.mark.parametrize("face", ["app", "rag/cli", "rag/serve", "bench"])
def test_the_faces_use_only_the_public_api(face):
    """The app, the CLI and the benchmarks reach the engine through `rag` (its __all__) only;
    `bench` may also use the stages' modules it measures, named in BENCH_INTERNALS."""
    import rag

    def rule(me, target):
        if not within(target, "rag"):
            return None
        if target == "rag" or within(target, "rag.cli") and within(me, "rag.cli"):
            return None
        if within(target, "rag.serve") and (within(me, "rag.serve") or within(me, "rag.cli")):
            return None  # the servers are a face of their own, started by the CLI
        name = target.removeprefix("rag.")
        if "." not in name and name in rag.__all__:
            return None  # `from rag import Engine` seen as rag.Engine
        if face == "bench" and any(within(target, m) for m in BENCH_INTERNALS):
            return None
        return "use `from rag import ...` (rag.__all__)"

    assert violations(sources(face), rule) == []


# What the benchmarks measure below the facade: embedders and generators run alone, the
# prompt given to raw llama.cpp, the synthetic 100,000-chunk store, OCR engines.
BENCH_INTERNALS = ("rag.embed", "rag.llm", "rag.answer.prompt", "rag.ingest.ocr", "rag.store", "rag.search.evaluation",
                   "rag.search.abstain", "rag.ingest.readers", "rag.serve",
                   "rag.ingest.edges",  # edges: the format bench renders PDFs without their running headers, as the reader reads them
                   "rag.ingest.indexed")  # indexed: the embedder benches give it stored chunks as ingestion did


def test_rag_stages_import_only_stages_below_them():
    rank = {layer: i for i, layer in enumerate(LAYERS)}

    def layer_of(module: str) -> str | None:
        return next((layer for layer in LAYERS if within(module, layer)), None)

    def rule(me, target):
        if not within(target, "rag") or target == "rag":
            return None
        mine, theirs = layer_of(me), layer_of(target)
        if mine is None:  # a base module: it may import only other base modules and models
            if theirs is not None:
                return f"{me} is a base module; it must not import the stage {theirs}"
            return None
        if theirs is not None and rank[theirs] < rank[mine]:
            return f"{mine} is below {theirs}"
        return None

    assert violations(sources("rag"), rule) == []
