"""The MCP server (`rag-cli mcp`, stdio, the official `mcp` SDK): the knowledge bases as tools
and resources for an MCP client (an editor, an agent).

Tools:
- `search(query, kb, k)`: the best passages, as `rag-cli search --json` gives them;
- `ask(question, kb)`: a grounded answer with its sources and evidence, as `rag-cli ask --json`;
- `list_documents(kb)`: the documents of a knowledge base, as `rag-cli list --json`.

Resources: one per indexed document, `ragdesk://documents/{kb}/{file}` (the file name
percent-encoded), whose text is the document read again from its file, page by page (for
DOCX, EPUB and HTML, section by section, each headed by its location).

Every call reaches the engine through the one thread that owns it (`EngineOwner`); nothing
is written to stdout but the protocol (the engine's messages go to stderr).
"""

from __future__ import annotations

import json
import threading
from urllib.parse import quote

from rag import Abstained, AnswerDone, RagError, cited_by_section

from .owner import EngineOwner

SCHEME = "ragdesk://documents"


def _kb(engine, kb: str | None) -> str:
    name = kb or engine.settings.default_kb
    names = [k.name for k in engine.list_kbs()]
    if name not in names and name != engine.settings.default_kb:
        raise RagError(f"no knowledge base named {name!r}; there are: {', '.join(names)}")
    return name


def _search(engine, query: str, kb: str | None, k: int) -> dict:
    result = engine.search(query, _kb(engine, kb), k)
    return {"results": [s.to_json() for s in result.sources], "stats": {"retrieval_ms": round(result.retrieval_ms, 2)}}


def _ask(engine, question: str, kb: str | None) -> dict:
    done = abstained = None
    for ev in engine.ask(question, _kb(engine, kb), cancel=threading.Event()):
        if isinstance(ev, AnswerDone):
            done = ev
        elif isinstance(ev, Abstained):
            abstained = ev
    if abstained is not None:
        return {"answer": "", "abstained": abstained.reason, "sources": [s.to_json() for s in abstained.sources]}
    return {"answer": done.answer, "sources": [s.to_json() for s in done.sources],
            "evidence": [q.to_json() for q in done.evidence], "stats": done.stats.to_json()}


def _documents(engine, kb: str | None) -> dict:
    name = _kb(engine, kb)
    return {"kb": name, "files": [{**f.to_json(), "uri": document_uri(name, f.name)} for f in engine.list_files(name)]}


def _all_documents(engine) -> list[tuple[str, object]]:
    return [(kb.name, f) for kb in engine.list_kbs() for f in engine.list_files(kb.name) if f.state in ("indexed", "lexical")]


def _document_text(engine, kb: str, file: str) -> str:
    name = _kb(engine, kb)
    record = next((f for f in engine.list_files(name) if f.name == file), None)
    if record is None:
        raise RagError(f"knowledge base {name!r} has no document named {file!r}")
    texts = engine.page_texts(record.path)
    unit = "section" if cited_by_section(record.name) else "page"
    return "\n\n".join(f"[{unit} {n}]\n{text}" for n, text in enumerate(texts, start=1))


def document_uri(kb: str, file: str) -> str:
    return f"{SCHEME}/{quote(kb, safe='')}/{quote(file, safe='')}"


def create_server(owner: EngineOwner):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError, ToolError
    from mcp_types import Resource

    async def run(fn, *args, error=ToolError):
        """`fn(engine, *args)` on the engine's thread; a RagError is the client's message."""
        try:
            return await owner.call(fn, *args)
        except RagError as exc:
            raise error(str(exc)) from None

    class RagDeskServer(MCPServer):
        async def list_resources(self):
            listed = await super().list_resources()
            docs = await owner.call(_all_documents)
            return listed + [Resource(uri=document_uri(kb, f.name), name=f"{kb}/{f.name}",
                                      description=f"{f.name} in knowledge base {kb}: {f.pages} pages, "
                                                  f"{f.chunks} chunks",
                                      mime_type="text/plain") for kb, f in docs]

    server = RagDeskServer("rag-desk", instructions=(
        "RAG Desk searches and answers from the user's local documents. Use `search` for passages with "
        "their file, page and section, `ask` for an answer grounded in quotes, `list_documents` for what a "
        "knowledge base holds; each document is also a resource."))

    @server.tool()
    async def search(query: str, kb: str | None = None, k: int = 5) -> str:
        """Search a knowledge base (default: the default one) for the best `k` passages of `query`;
        returns JSON {"results": [{"n", "file", "path", "page", "page_end", "score", "text", "ocr",
        "section"}], "stats"}."""
        if not 1 <= k <= 100:
            raise ToolError("k must be from 1 to 100")
        return json.dumps(await run(_search, query, kb, k), ensure_ascii=False)

    @server.tool()
    async def ask(question: str, kb: str | None = None) -> str:
        """Answer `question` from a knowledge base's documents; returns JSON {"answer", "sources",
        "evidence" (the verbatim quotes the answer rests on), "stats"}, or {"abstained": reason}
        when the documents do not answer it."""
        return json.dumps(await run(_ask, question, kb), ensure_ascii=False)

    @server.tool()
    async def list_documents(kb: str | None = None) -> str:
        """The documents of a knowledge base with pages, chunks, status and resource URI, as JSON."""
        return json.dumps(await run(_documents, kb), ensure_ascii=False)

    @server.resource(SCHEME + "/{kb}/{file}", mime_type="text/plain")
    async def document(kb: str, file: str) -> str:
        """A document's text, page by page (sections for DOCX, EPUB and HTML)."""
        return await run(_document_text, kb, file, error=ResourceError)

    return server


def run_stdio(engine_factory=None) -> None:
    """Serve MCP over stdin/stdout until the client closes it."""
    if engine_factory is None:
        from rag import Engine

        engine_factory = Engine
    owner = EngineOwner(engine_factory)
    try:
        owner.wait_ready()
        create_server(owner).run(transport="stdio")
    finally:
        owner.close()
