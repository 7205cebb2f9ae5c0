"""Generation through any OpenAI-compatible HTTP server: llama.cpp's `llama-server`,
`python -m llama_cpp.server`, vLLM, Ollama (`http://host:11434/v1`).

Answers stream as server-sent events from /v1/chat/completions (instruct models, the
server applies the chat template) or /v1/completions (base models: RAG Desk's own
completion prompt and stop strings). A reader thread pumps the stream into a queue, so
the caller sees a cancel within ~50 ms even while the server is still reading the prompt;
cancelling closes the response, which tells the server to stop generating. Every failure
is a GenerationError that names the server's URL and says what to do.
"""

from __future__ import annotations

import json
import queue
import threading
from typing import Any, Iterator
from urllib.parse import urlsplit

from rag.errors import GenerationError
from rag.llm.base import STOP_STRINGS, BuiltPrompt

_DONE = object()
_POLL_S = 0.05


def normalise_base_url(url: str) -> str:
    """`http://host:8080` and `http://host:8080/` mean `http://host:8080/v1`; other paths stay."""
    url = url.rstrip("/")
    if urlsplit(url).path in ("", "/"):
        url += "/v1"
    return url


class OpenAIGenerator:
    device = "server"

    def __init__(self, url: str, *, api_key: str = "", model: str = "", api: str = "chat",
                 context_size: int = 4096, timeout_s: float = 120.0, seed: int = 0):
        import httpx

        self.base_url = normalise_base_url(url)
        parts = urlsplit(self.base_url)
        self.root_url = f"{parts.scheme}://{parts.netloc}"
        self.api = api
        self.context_size = context_size
        self.timeout_s = timeout_s
        self._seed = seed
        self._model = model
        self._headers = {"Accept": "text/event-stream, application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
                                    headers=self._headers)
        self._tokenize_route: str | None = None  # discovered on first use; "" = none, estimate

    # ---- errors -------------------------------------------------------------------------

    @property
    def instruct(self) -> bool:
        """Chat completions: the server applies an instruct model's template."""
        return self.api == "chat"

    def _failure(self, exc: BaseException, what: str) -> GenerationError:
        import httpx

        where = self.base_url
        if isinstance(exc, httpx.ConnectError):
            return GenerationError(f"cannot reach the LLM server at {where} ({what}: {exc}); start the server "
                                   "or fix llm_url (RAG_LLM_URL)")
        if isinstance(exc, httpx.TimeoutException):
            return GenerationError(f"the LLM server at {where} did not answer within {self.timeout_s:g} s ({what}); "
                                   "it may be overloaded, or raise llm_timeout_s (RAG_LLM_TIMEOUT_S)")
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            return GenerationError(f"the LLM server at {where} closed the connection mid-answer ({what}); "
                                   "check the server's log")
        return GenerationError(f"talking to the LLM server at {where} failed ({what}: {exc})")

    def _status_error(self, status: int, body: str, path: str) -> GenerationError:
        detail = body.strip().replace("\n", " ")[:300]
        try:
            err = json.loads(body)
            detail = (err.get("error") or {}).get("message") if isinstance(err.get("error"), dict) else \
                err.get("detail") or err.get("error") or detail
        except (ValueError, AttributeError):
            pass
        if status in (401, 403):
            return GenerationError(f"the LLM server at {self.base_url} refused the API key (HTTP {status}); "
                                   "set llm_api_key (RAG_LLM_API_KEY)")
        if status == 404:
            return GenerationError(f"the LLM server at {self.base_url} has no {path} (HTTP 404: {detail}); "
                                   "llm_url must be the server's OpenAI base URL, usually ending in /v1, and "
                                   "llm_server_model a model it serves")
        return GenerationError(f"the LLM server at {self.base_url} answered HTTP {status} on {path}: {detail}")

    # ---- model name ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        if not self._model:
            self._model = self._first_model()
        return self._model

    def _first_model(self) -> str:
        try:
            resp = self._client.get(f"{self.base_url}/models")
        except Exception as exc:
            raise self._failure(exc, "listing models") from None
        if resp.status_code != 200:
            raise self._status_error(resp.status_code, resp.text, "/models")
        try:
            models = resp.json().get("data") or []
            return str(models[0]["id"])
        except (ValueError, LookupError, TypeError, AttributeError):
            raise GenerationError(f"the LLM server at {self.base_url} lists no models at /models; "
                                  "set llm_server_model (RAG_LLM_SERVER_MODEL)") from None

    # ---- tokens -------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """The server's own tokenizer where it has one (llama_cpp.server /extras/tokenize/count,
        llama-server /tokenize); else a conservative estimate of one token per 3 UTF-8 bytes."""
        if self._tokenize_route is None:
            self._tokenize_route = ""
            for route in ("/extras/tokenize/count", "/tokenize"):
                if self._server_count(route, "probe") is not None:
                    self._tokenize_route = route
                    break
        if self._tokenize_route:
            n = self._server_count(self._tokenize_route, text)
            if n is not None:
                return n
        return max(1, (len(text.encode("utf-8")) + 2) // 3)

    def _server_count(self, route: str, text: str) -> int | None:
        body: dict[str, Any] = {"input": text} if route.startswith("/extras") else {"content": text}
        try:
            resp = self._client.post(self.root_url + route, json=body)
        except Exception as exc:
            raise self._failure(exc, "counting tokens") from None
        if resp.status_code != 200:
            return None
        try:
            data = resp.json()
            return int(data["count"]) if "count" in data else len(data["tokens"])
        except (ValueError, KeyError, TypeError):
            return None

    # ---- streaming ----------------------------------------------------------------------

    def _request(self, prompt: BuiltPrompt, max_tokens: int, temperature: float) -> tuple[str, dict]:
        body: dict[str, Any] = {"model": self.name, "max_tokens": max_tokens, "temperature": temperature,
                                "stream": True, "seed": self._seed}
        if self.api == "chat":
            body["messages"] = [{"role": "system", "content": prompt.system},
                                {"role": "user", "content": prompt.user}]
            return "/chat/completions", body
        body.update(prompt=prompt.completion, stop=list(STOP_STRINGS), repeat_penalty=1.15)
        return "/completions", body

    def stream(self, prompt: BuiltPrompt, max_tokens: int, temperature: float,
               cancel: threading.Event) -> Iterator[str]:
        path, body = self._request(prompt, max_tokens, temperature)
        out: queue.Queue = queue.Queue()
        response: dict[str, Any] = {}
        chat = self.api == "chat"

        def pump() -> None:
            try:
                with self._client.stream("POST", self.base_url + path, json=body) as resp:
                    response["resp"] = resp
                    if resp.status_code != 200:
                        resp.read()
                        raise self._status_error(resp.status_code, resp.text, path)
                    for line in resp.iter_lines():
                        if cancel.is_set():
                            break
                        if not line.startswith("data:"):
                            continue
                        data = line[5:].strip()
                        if data == "[DONE]":
                            break
                        try:
                            part = json.loads(data)
                        except ValueError:
                            raise GenerationError(f"the LLM server at {self.base_url} sent a malformed event: "
                                                  f"{data[:120]!r}") from None
                        if "error" in part:
                            err = part["error"]
                            raise GenerationError(f"the LLM server at {self.base_url} failed: "
                                                  f"{err.get('message') if isinstance(err, dict) else err}")
                        choices = part.get("choices") or [{}]
                        text = (choices[0].get("delta") or {}).get("content") if chat else choices[0].get("text")
                        if text:
                            out.put(text)
                out.put(_DONE)
            except GenerationError as exc:
                out.put(exc)
            except Exception as exc:
                out.put(_DONE if cancel.is_set() else self._failure(exc, f"POST {path}"))

        reader = threading.Thread(target=pump, name="llm-http-stream", daemon=True)
        reader.start()
        finished = False
        try:
            while True:
                try:
                    item = out.get(timeout=_POLL_S)
                except queue.Empty:
                    if cancel.is_set():
                        return
                    continue
                if item is _DONE:
                    finished = True
                    return
                if isinstance(item, BaseException):
                    finished = True
                    raise item
                if cancel.is_set():
                    return
                yield item
        finally:
            if not finished:
                cancel.set()
                resp = response.get("resp")
                if resp is not None:
                    try:
                        resp.close()  # the server sees the disconnect and stops generating
                    except Exception:
                        pass

    def close(self) -> None:
        self._client.close()
