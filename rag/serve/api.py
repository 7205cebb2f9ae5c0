"""The local API server: the knowledge bases as an OpenAI-compatible endpoint (Starlette on uvicorn).

    GET  /v1/models            the knowledge bases, as models
    POST /v1/chat/completions  `model` = a knowledge base; the answer is RAG over it (`Engine.ask`),
                               streamed as server-sent events with "stream": true; the response
                               also carries "sources", "evidence" and "stats" as `rag-cli ask --json`
    POST /v1/search            {"query", "kb"?, "k"?, "files"?, "mode"?} -> the JSON of `rag-cli search --json`

Every request reaches the engine through the one thread that owns it (`EngineOwner`), in order;
a client that stops reading a stream (Stop, a closed connection) cancels its generation.
Without a token the server listens only on loopback and answers only requests whose Host is a
loopback name (a web page cannot reach it by DNS rebinding); with a token every request needs
`Authorization: Bearer TOKEN` (checked in constant time). POST bodies must be JSON and at most
`max_body` bytes. Every error is a JSON body {"error": {"message", "type", "code"}} with a 4xx
status (5xx only for a failure inside the engine), and the next request is served as usual.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import threading
import time
import uuid
from typing import Any

from rag import RETRIEVAL_MODES, Abstained, AnswerDone, KnowledgeBaseError, RagError, SettingsError, SourcesFound, Token

from .owner import Busy, EngineOwner

DEFAULT_PORT = 8765
MAX_BODY = 1 << 20  # 1 MiB: a long conversation fits many times over
MAX_QUESTION_CHARS = 20_000
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """A non-loopback address without a token would hand the documents to the network."""
    if not is_loopback(host) and not token:
        raise SettingsError(f"refusing to listen on {host} without a token: anyone who can reach this machine "
                            "could read your documents; pass --token TOKEN (clients send it as "
                            "'Authorization: Bearer TOKEN'), or listen on 127.0.0.1")


def _error_response(err: ApiError):
    from starlette.responses import JSONResponse

    headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
    return JSONResponse({"error": {"message": err.message, "type": err.kind, "code": err.status}}, err.status,
                        headers=headers)


def _host_name(header: str) -> str:
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


# ---- what runs on the engine's thread ---------------------------------------------------------


def _kb_name(engine, name: str | None) -> str:
    """`name` if such a knowledge base exists (the default one always does), else a 404."""
    name = name or engine.settings.default_kb
    names = [k.name for k in engine.list_kbs()]
    if name not in names and name != engine.settings.default_kb:
        raise ApiError(404, f"no knowledge base named {name!r}; GET /v1/models lists them: {', '.join(names)}",
                       "not_found_error")
    return name


def _list_models(engine) -> list:
    return engine.list_kbs()


def _search(engine, query: str, kb: str | None, k: int | None, files: list[str], mode: str | None):
    return engine.search(query, _kb_name(engine, kb), k, files, mode)


def _ask(engine, question: str, kb: str | None, history, k: int | None, cancel: threading.Event):
    name = _kb_name(engine, kb)
    yield name
    yield from engine.ask(question, name, history=history, k=k, cancel=cancel)


# ---- requests -----------------------------------------------------------------------------------


async def _json_body(request, max_body: int) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "send the request body as JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body:
        raise ApiError(413, f"the request body is {int(declared):,} bytes; the limit is {max_body:,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_body:
            raise ApiError(413, f"the request body is over the limit of {max_body:,} bytes")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"the request body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the request body must be a JSON object")
    return data


def _text_of(content: Any) -> str:
    """A message's content: a string, or OpenAI's list of parts (text parts are used)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    if content is None:
        return ""
    raise ApiError(400, "a message's content must be a string or a list of text parts")


def _conversation(messages: Any) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the earlier (question, answer) turns."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list of {\"role\", \"content\"} objects")
    turns: list[tuple[str, str]] = []
    pending: str | None = None
    for m in messages[:-1]:
        if not isinstance(m, dict):
            raise ApiError(400, "every message must be an object with 'role' and 'content'")
        role, text = m.get("role"), _text_of(m.get("content"))
        if role == "user":
            pending = text
        elif role == "assistant" and pending is not None:
            turns.append((pending, text))
            pending = None
    last = messages[-1]
    if not isinstance(last, dict) or last.get("role") != "user":
        raise ApiError(400, "the last message must be the user's question (role 'user')")
    question = _text_of(last.get("content")).strip()
    if not question:
        raise ApiError(400, "the question (the last user message) is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise ApiError(400, f"the question is {len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    return question, turns


def _k(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 100:
        raise ApiError(400, "'k' must be a whole number from 1 to 100")
    return value


def _optional_str(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"'{key}' must be a string")
    return value or None


def _sources(sources) -> list[dict]:
    return [s.to_json() for s in sources]


class _Answer:
    """What an answer's events add up to, as the OpenAI objects say it."""

    def __init__(self, model: str):
        self.id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        self.created = int(time.time())
        self.model = model
        self.text = ""
        self.sources: list[dict] = []
        self.evidence: list[dict] = []
        self.stats: dict = {}
        self.abstained: str | None = None
        self.tokens = 0

    def add(self, ev) -> str | None:
        """Take one engine event; returns the text it adds to the answer, if any."""
        if isinstance(ev, SourcesFound):
            self.sources = _sources(ev.sources)
            self.evidence = [q.to_json() for q in ev.evidence]
        elif isinstance(ev, Token):
            self.text += ev.text
            return ev.text
        elif isinstance(ev, AnswerDone):
            self.text = ev.answer
            self.sources = _sources(ev.sources)
            self.evidence = [q.to_json() for q in ev.evidence]
            self.stats = ev.stats.to_json()
            self.tokens = ev.stats.tokens
        elif isinstance(ev, Abstained):
            self.abstained = ev.reason
            self.sources = _sources(ev.sources)
            self.text = ev.reason
            return ev.reason
        return None

    def extras(self) -> dict:
        out = {"sources": self.sources, "evidence": self.evidence, "stats": self.stats}
        if self.abstained is not None:
            out["abstained"] = self.abstained
        return out

    def completion(self) -> dict:
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": self.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": self.tokens, "total_tokens": self.tokens},
                **self.extras()}

    def chunk(self, delta: dict, finish: str | None = None, **extra) -> str:
        data = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(owner: EngineOwner, token: str | None = None, max_body: int = MAX_BODY):
    """The Starlette application over the engine that `owner` runs."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    expected = token.encode("utf-8") if token else None

    def admit(request) -> None:
        if expected is not None:
            given = request.headers.get("authorization", "")
            scheme, _, value = given.partition(" ")
            if not given:
                raise ApiError(401, "this server needs a token: send 'Authorization: Bearer TOKEN'",
                               "authentication_error")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode("utf-8"), expected):
                raise ApiError(401, "the token is not valid", "authentication_error")
        elif not is_loopback(_host_name(request.headers.get("host", ""))):
            raise ApiError(403, "without a token this server answers only requests to a loopback address "
                                "(127.0.0.1, localhost)", "permission_error")

    def guarded(handler):
        async def endpoint(request):
            try:
                admit(request)
                return await handler(request)
            except ApiError as err:
                return _error_response(err)
            except Busy as exc:
                return _error_response(ApiError(503, str(exc), "server_busy"))
            except KnowledgeBaseError as exc:
                return _error_response(ApiError(404 if "no knowledge base" in str(exc) else 409, str(exc),
                                                "not_found_error" if "no knowledge base" in str(exc)
                                                else "conflict_error"))
            except RagError as exc:
                return _error_response(ApiError(400, str(exc)))
        return endpoint

    async def models(request):
        kbs = await owner.call(_list_models)
        return JSONResponse({"object": "list", "data": [
            {"id": k.name, "object": "model", "created": 0, "owned_by": "rag-desk", "files": k.files,
             "chunks": k.chunks} for k in kbs]})

    async def search(request):
        data = await _json_body(request, max_body)
        query = data.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ApiError(400, "'query' must be a non-empty string")
        files = data.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ApiError(400, "'files' must be a list of file names")
        mode = _optional_str(data, "mode")
        if mode is not None and mode not in RETRIEVAL_MODES:
            raise ApiError(400, f"unknown 'mode' {mode!r}; use one of {', '.join(RETRIEVAL_MODES)}")
        kb = _optional_str(data, "kb") or _optional_str(data, "model")
        result = await owner.call(_search, query, kb, _k(data.get("k")), files, mode)
        return JSONResponse({"results": _sources(result.sources), "stats": {"retrieval_ms": round(result.retrieval_ms, 2)}})

    async def chat(request):
        data = await _json_body(request, max_body)
        question, history = _conversation(data.get("messages"))
        kb = _optional_str(data, "model")
        k = _k(data.get("k"))
        cancel = threading.Event()
        events = owner.stream(_ask, question, kb, history, k, cancel=cancel)
        name = await events.__anext__()  # the knowledge base checked before any answer starts
        answer = _Answer(name)
        if not data.get("stream"):
            async for ev in events:
                answer.add(ev)
            return JSONResponse(answer.completion())

        async def sse():
            try:
                yield answer.chunk({"role": "assistant", "content": ""})
                async for ev in events:
                    text = answer.add(ev)
                    if isinstance(ev, SourcesFound):
                        yield answer.chunk({}, sources=answer.sources, evidence=answer.evidence)
                    elif text:
                        yield answer.chunk({"content": text})
                yield answer.chunk({}, "stop", **answer.extras())
            except RagError as exc:  # the engine failed mid-answer: say so in the stream
                yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'engine_error', 'code': 500}})}\n\n"
            finally:
                await events.aclose()  # a client that went away: generation stops
            yield "data: [DONE]\n\n"

        return StreamingResponse(sse(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    async def http_error(request, exc):
        messages = {404: "no such endpoint; this server has GET /v1/models, POST /v1/chat/completions and "
                         "POST /v1/search", 405: f"{request.method} is not allowed here"}
        return _error_response(ApiError(exc.status_code, messages.get(exc.status_code, str(exc.detail))))

    return Starlette(routes=[Route("/v1/models", guarded(models), methods=["GET"]),
                             Route("/v1/search", guarded(search), methods=["POST"]),
                             Route("/v1/chat/completions", guarded(chat), methods=["POST"])],
                     exception_handlers={HTTPException: http_error})


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT, token: str | None = None, engine_factory=None,
          on_ready=None, max_body: int = MAX_BODY) -> None:
    """Run the API server until interrupted. `engine_factory` makes the engine on its owning
    thread (default: `Engine()` on the user's settings); `on_ready(url)` is called once listening."""
    import uvicorn

    check_bind(host, token)
    if engine_factory is None:
        from rag import Engine

        engine_factory = Engine
    owner = EngineOwner(engine_factory)
    try:
        owner.wait_ready()
        config = uvicorn.Config(create_app(owner, token, max_body), host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off", timeout_graceful_shutdown=5)
        server = uvicorn.Server(config)
        if on_ready is not None:
            original = server.startup

            async def startup(sockets=None):
                await original(sockets)
                if server.started:
                    shown = f"[{host}]" if ":" in host else host
                    on_ready(f"http://{shown}:{port}/v1")

            server.startup = startup
        server.run()
    finally:
        owner.close()


class BackgroundServer:
    """The API server on a thread of its own (the app's switch, tests, benchmarks): `start()`
    returns once it listens, `stop()` ends it and closes the engine. Port 0 picks a free port."""

    def __init__(self, engine_factory, host: str = "127.0.0.1", port: int = 0, token: str | None = None,
                 max_body: int = MAX_BODY):
        check_bind(host, token)
        self.host, self.port, self.token, self.max_body = host, port, token, max_body
        self.owner = EngineOwner(engine_factory)
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/v1"

    def start(self, timeout: float = 60.0) -> "BackgroundServer":
        import socket

        import uvicorn

        self.owner.wait_ready(timeout)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(self.owner, self.token, self.max_body), log_level="warning",
                                access_log=False, lifespan="off", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, name="rag-api-server",
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RagError(f"the API server could not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self.owner.close()
