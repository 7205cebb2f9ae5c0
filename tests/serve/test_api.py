"""The local API server, driven over real HTTP by httpx and by the official `openai` client."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from documents import GUIDE, make_docx
from helpers import ScriptedGenerator
from rag.serve.api import BackgroundServer

QUESTION = "Which port does the admin console listen on?"


class CountingGenerator(ScriptedGenerator):
    """Counts the pieces it yields and the threads it runs on."""

    def __init__(self, pieces, delay=0.01):
        super().__init__(pieces, delay)
        self.yielded = 0
        self.threads: set[str] = set()

    def stream(self, prompt, max_tokens, temperature, cancel):
        self.threads.add(threading.current_thread().name)
        for piece in super().stream(prompt, max_tokens, temperature, cancel):
            self.yielded += 1
            yield piece


@pytest.fixture
def server_for(make_engine, tmp_path):
    started = []

    def start(generator=None, token=None, max_body=1 << 20, **changes):
        engine = make_engine(generator=generator, **changes)
        list(engine.ingest([make_docx(tmp_path / "docs" / "guide.docx", GUIDE)]))
        server = BackgroundServer(lambda: engine, token=token, max_body=max_body).start()
        started.append(server)
        return server, engine

    yield start
    for server in started:
        server.stop()


def test_models_lists_the_knowledge_bases(server_for):
    server, engine = server_for()
    engine.create_kb("empty one")
    got = httpx.get(f"{server.url}/models").json()
    assert got["object"] == "list"
    assert {m["id"]: (m["files"], m["chunks"] > 0) for m in got["data"]} == {"default": (1, True),
                                                                           "empty one": (0, False)}


def test_search_returns_what_rag_cli_search_json_returns(server_for):
    from click.testing import CliRunner

    from rag.cli import cli

    server, _ = server_for()
    got = httpx.post(f"{server.url}/search", json={"query": "admin console port", "k": 3}).json()
    cli_run = CliRunner().invoke(cli, ["search", "admin console port", "-k", "3", "--json"])
    assert cli_run.exit_code == 0, cli_run.output
    expected = json.loads(cli_run.stdout)
    assert got["results"] == expected["results"] and set(got["stats"]) == set(expected["stats"])
    assert got["results"][0]["section"].startswith('§2.1 "Firmware"')


def test_chat_completion_answers_from_the_knowledge_base_with_sources_and_evidence(server_for):
    server, _ = server_for(CountingGenerator(["The console", " listens on", " port 8443."]))
    r = httpx.post(f"{server.url}/chat/completions", timeout=60,
                   json={"model": "default", "messages": [{"role": "user", "content": QUESTION}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["model"] == "default"
    answer = body["choices"][0]["message"]["content"]
    assert "8443" in answer and body["choices"][0]["finish_reason"] == "stop"
    assert body["sources"][0]["file"] == "guide.docx" and body["sources"][0]["section"].startswith("§2.1")
    assert any("8443" in q["quote"] for q in body["evidence"])
    assert body["stats"]["tokens"] == 3


def test_streaming_through_the_openai_client(server_for):
    import openai

    gen = CountingGenerator(["The console", " listens on", " port 8443."])
    server, _ = server_for(gen)
    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()] == ["default"]
    chunks = list(client.chat.completions.create(model="default", stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "8443" in text and "listens on" in text
    assert chunks[-1].choices[0].finish_reason == "stop"
    extra = chunks[-1].model_extra
    assert extra["sources"][0]["file"] == "guide.docx" and extra["evidence"] and extra["stats"]["tokens"] == 3
    whole = client.chat.completions.create(model="default", messages=[{"role": "user", "content": QUESTION}])
    assert "8443" in whole.choices[0].message.content and whole.model_extra["sources"]
    assert gen.threads == {"rag-engine-owner"}


def test_closing_the_stream_stops_generation_and_the_server_goes_on(server_for):
    gen = CountingGenerator([f" word{i}" for i in range(300)], delay=0.02)
    server, _ = server_for(gen, answer_mode="generate", max_tokens=300)
    with httpx.stream("POST", f"{server.url}/chat/completions", timeout=60,
                      json={"model": "default", "stream": True,
                            "messages": [{"role": "user", "content": QUESTION}]}) as r:
        lines = r.iter_lines()
        got = [line for line, _ in zip(lines, range(6)) if line.startswith("data:")]
    assert len(got) >= 3
    time.sleep(0.5)
    stopped_at = gen.yielded
    time.sleep(0.5)
    assert gen.yielded == stopped_at < 100  # generation ended soon after the client left
    r = httpx.post(f"{server.url}/search", json={"query": "wireless network name"})
    assert r.status_code == 200 and r.json()["results"]


def test_bad_requests_get_clear_4xx_json_and_the_next_request_is_served(server_for):
    server, _ = server_for(ScriptedGenerator(["ok"]), token="s3cret", max_body=4096)
    url = server.url
    auth = {"Authorization": "Bearer s3cret"}
    chat = {"model": "default", "messages": [{"role": "user", "content": QUESTION}]}

    def error(response, status):
        assert response.status_code == status, response.text
        body = response.json()["error"]
        assert body["code"] == status and body["message"]
        return body["message"]

    assert "needs a token" in error(httpx.get(f"{url}/models"), 401)
    assert "not valid" in error(httpx.get(f"{url}/models", headers={"Authorization": "Bearer s3cret-not"}), 401)
    assert "not valid" in error(httpx.get(f"{url}/models", headers={"Authorization": "Basic s3cret"}), 401)
    assert "no knowledge base named 'nope'" in error(
        httpx.post(f"{url}/chat/completions", headers=auth, json={**chat, "model": "nope"}), 404)
    assert "no knowledge base named 'nope'" in error(
        httpx.post(f"{url}/search", headers=auth, json={"query": "x", "kb": "nope"}), 404)
    assert "not valid JSON" in error(httpx.post(f"{url}/chat/completions", headers={
        **auth, "Content-Type": "application/json"}, content=b'{"model": "default", "messages": ['), 400)
    assert "the limit is 4,096" in error(httpx.post(f"{url}/chat/completions", headers={
        **auth, "Content-Type": "application/json"}, content=b"[" + b" " * 10_000 + b"]"), 413)
    chunked = (b" " * 1000 for _ in range(10))  # no Content-Length: counted as it arrives
    assert "over the limit" in error(httpx.post(f"{url}/chat/completions", headers={
        **auth, "Content-Type": "application/json"}, content=chunked), 413)
    assert "as JSON" in error(httpx.post(f"{url}/search", headers=auth, content=b"query=x"), 415)
    assert "'messages'" in error(httpx.post(f"{url}/chat/completions", headers=auth, json={"model": "default"}), 400)
    assert "last message" in error(httpx.post(f"{url}/chat/completions", headers=auth, json={
        "messages": [{"role": "assistant", "content": "hi"}]}), 400)
    assert "'k'" in error(httpx.post(f"{url}/search", headers=auth, json={"query": "x", "k": 0}), 400)
    assert "'mode'" in error(httpx.post(f"{url}/search", headers=auth, json={"query": "x", "mode": "magic"}), 400)
    assert "no such endpoint" in error(httpx.get(f"{url}/nothing", headers=auth), 404)
    assert "not allowed" in error(httpx.get(f"{url}/chat/completions", headers=auth), 405)
    # and nothing broke
    r = httpx.post(f"{url}/chat/completions", headers=auth, json=chat, timeout=60)
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]


def test_without_a_token_only_loopback_hosts_are_answered(server_for):
    server, _ = server_for()
    ok = httpx.get(f"{server.url}/models")
    assert ok.status_code == 200
    rebound = httpx.get(f"{server.url}/models", headers={"Host": "attacker.example:8765"})
    assert rebound.status_code == 403 and "loopback" in rebound.json()["error"]["message"]


def test_a_non_loopback_address_needs_a_token():
    from click.testing import CliRunner

    from rag import SettingsError
    from rag.cli import cli
    from rag.serve.api import check_bind

    with pytest.raises(SettingsError, match="refusing to listen on 0.0.0.0 without a token"):
        check_bind("0.0.0.0", None)
    check_bind("0.0.0.0", "a-token")
    check_bind("::1", None)
    check_bind("localhost", None)
    result = CliRunner().invoke(cli, ["serve", "--host", "192.168.1.20"], standalone_mode=False)
    assert isinstance(result.exception, SettingsError)


def test_concurrent_requests_reach_the_engine_one_at_a_time_on_its_thread(server_for):
    server, engine = server_for()
    seen, active, most = [], [0], [0]
    search = engine.search

    def recording(*args, **kwargs):
        active[0] += 1
        most[0] = max(most[0], active[0])
        seen.append(threading.current_thread().name)
        try:
            time.sleep(0.05)
            return search(*args, **kwargs)
        finally:
            active[0] -= 1

    engine.search = recording
    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(lambda q: httpx.post(f"{server.url}/search", json={"query": q}, timeout=60).status_code,
                              ["port", "firmware", "cable", "wireless", "reset", "lamp"]))
    assert codes == [200] * 6
    assert seen == ["rag-engine-owner"] * 6 and most[0] == 1


@pytest.mark.slow
def test_the_real_bundled_model_streams_an_answer_over_sse(server_for, generator):
    import openai

    server, _ = server_for(generator)
    client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0, timeout=300)
    chunks = list(client.chat.completions.create(model="default", stream=True,
                                                 messages=[{"role": "user", "content": QUESTION}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    final = chunks[-1].model_extra
    assert "8443" in text  # the grounded answer starts with the evidence quote
    assert final["sources"][0]["section"].startswith('§2.1 "Firmware"')
    assert final["stats"]["model"] and final["stats"]["tokens"] > 0
