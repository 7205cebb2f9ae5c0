"""The HTTP generation backend against a real `python -m llama_cpp.server` (bundled GGUF),
started once per session on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import pytest

from pdfs import make_sample_pdf
from rag.errors import GenerationError
from rag.events import AnswerDone, Source, Token
from rag.llm.openai import OpenAIGenerator, normalise_base_url
from rag.answer.prompt import build_prompt
from servers import free_port

SRC = Source(1, "manual.pdf", "/m.pdf", 3, 3, 1.0, "The default port of the admin console is 8443.")


@pytest.fixture
def remote(llama_server):
    gen = OpenAIGenerator(llama_server.url, api="completion", timeout_s=120)
    yield gen
    gen.close()


def test_base_url_forms():
    assert normalise_base_url("http://h:8080") == "http://h:8080/v1"
    assert normalise_base_url("http://h:8080/") == "http://h:8080/v1"
    assert normalise_base_url("http://h:11434/v1/") == "http://h:11434/v1"


def test_streams_like_the_in_process_model(remote, generator):
    assert remote.name == "bundled-gemma"  # the first model the server lists
    # the server's tokenizer is the same GGUF's (llama_cpp.server adds a BOS token)
    text = "The default port of the admin console is 8443."
    assert remote.count_tokens(text) - generator.count_tokens(text) in (0, 1)
    prompt = build_prompt("What is the default port of the admin console?", [SRC], remote.count_tokens, 3000)
    pieces = list(remote.stream(prompt, 24, 0.0, threading.Event()))
    local = list(generator.stream(prompt, 24, 0.0, threading.Event()))
    assert len(pieces) > 1 and "8443" in "".join(pieces)
    assert "8443" in "".join(local)


def test_cancel_closes_the_stream_and_the_server_serves_the_next(remote):
    prompt = build_prompt("Write a long story about routers.", [SRC], remote.count_tokens, 3000)
    cancel = threading.Event()
    got = []
    for piece in remote.stream(prompt, 300, 0.8, cancel):
        got.append(piece)
        if len(got) == 3:
            cancel.set()
    assert len(got) == 3
    again = list(remote.stream(prompt, 5, 0.0, threading.Event()))
    assert again


def test_chat_api_streams(llama_server):
    gen = OpenAIGenerator(llama_server.url + "/v1", api="chat", model="bundled-gemma")
    prompt = build_prompt("What is the default port of the admin console?", [SRC], gen.count_tokens, 3000)
    assert "".join(gen.stream(prompt, 16, 0.0, threading.Event())).strip()
    gen.close()


def test_engine_answers_through_the_server(make_engine, llama_server, tmp_path):
    engine = make_engine(llm_backend="openai", llm_url=llama_server.url, llm_api="completion")
    list(engine.ingest([make_sample_pdf(tmp_path / "r.pdf")]))
    events = list(engine.ask("What is the default port of the admin console?"))
    tokens = [e for e in events if isinstance(e, Token)]
    done = events[-1]
    assert tokens and isinstance(done, AnswerDone)
    assert done.stats.model == "bundled-gemma" and done.stats.tokens >= len(tokens)
    assert done.answer == "".join(t.text for t in tokens).strip()
    assert ("r.pdf", 2) in [(s.file, s.page) for s in done.sources]
    engine.generator.close()


def test_server_down_names_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    gen = OpenAIGenerator(url, api="completion", model="m")
    with pytest.raises(GenerationError, match=rf"cannot reach the LLM server at {url}/v1"):
        gen.count_tokens("q?")  # the first thing an answer asks the server
    prompt = build_prompt("q?", [SRC], lambda t: len(t.split()), 3000)
    with pytest.raises(GenerationError, match=rf"cannot reach the LLM server at {url}/v1"):
        list(gen.stream(prompt, 5, 0.0, threading.Event()))


def test_wrong_path_and_silent_server_are_clear(llama_server):
    gen = OpenAIGenerator(llama_server.url + "/nope", api="completion", model="m")
    prompt = build_prompt("q?", [SRC], lambda t: len(t.split()), 3000)
    with pytest.raises(GenerationError, match="HTTP 404"):
        list(gen.stream(prompt, 5, 0.0, threading.Event()))
    # a server that accepts the connection and never answers: the timeout ends the wait
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        gen = OpenAIGenerator(f"http://127.0.0.1:{silent.getsockname()[1]}", api="completion", model="m",
                              timeout_s=1)
        with pytest.raises(GenerationError, match="did not answer within 1 s"):
            list(gen.stream(prompt, 5, 0.0, threading.Event()))


def test_settings_require_a_url_for_the_openai_backend():
    from rag.errors import SettingsError
    from rag.settings import Settings

    with pytest.raises(SettingsError, match="llm_url"):
        Settings(llm_backend="openai").validate()
    Settings(llm_backend="openai", llm_url="http://gpu-box:8080/v1").validate()
