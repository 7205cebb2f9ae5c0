"""What the local API server costs over calling the engine in process.

- search: the QA questions through `POST /v1/search` (httpx, one kept-alive connection) vs
  `Engine.search` on the same engine, p50 of each; the server's engine is the same object,
  reached through its owning thread, so the difference is HTTP + JSON + the thread hop;
- streaming: the same question answered by the bundled model (answer_mode = generate,
  temperature 0, so the same tokens), tokens/s as the consumer sees them, from the first
  token to the last: `Engine.ask`'s Token events in process vs SSE chunks through the
  official openai client.
"""

from __future__ import annotations

import statistics
import time

from .formats import _engine, _fresh_home, cut_pdf
from .suites import QA_FILE, RESULTS, corpus, row

QUESTION = "How do I set the title of a plot?"
RUNS = 5


def _rate(stamps: list[float]) -> float:
    return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and stamps[-1] > stamps[0] else 0.0


def bench_serve():
    import httpx
    import openai

    from rag import Token, with_changes
    from rag.search.evaluation import load_qa
    from rag.serve.api import BackgroundServer

    pdf = cut_pdf(corpus()["gnuplot.pdf"], RESULTS / "formats" / "gnuplot-100.pdf", 20, 100) \
        if (RESULTS / "formats").exists() else cut_pdf(corpus()["gnuplot.pdf"], RESULTS / "gnuplot-100-serve.pdf",
                                                        20, 100)
    engine = _engine(_fresh_home("home-serve"))
    list(engine.ingest([pdf]))
    engine.update_settings(with_changes(engine.settings, answer_mode="generate", temperature=0.0, max_tokens=160))
    server = BackgroundServer(lambda: engine).start()
    try:
        questions = [q.question for q in load_qa(QA_FILE)][:40]
        for q in questions[:3]:  # warm both paths
            engine.search(q)
        direct, over_http = [], []
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for q in questions:
                client.post("/search", json={"query": q})  # warm the connection and caches alike
                t0 = time.perf_counter()
                engine.search(q)
                direct.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                r = client.post("/search", json={"query": q})
                over_http.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
        # Engine.search above ran on this thread while the server idled: the owner thread is free.
        p50_direct, p50_http = statistics.median(direct), statistics.median(over_http)
        yield row(f"search p50 in process (ms, {len(questions)} questions)", round(p50_direct, 1))
        yield row("search p50 over HTTP /v1/search (ms)", round(p50_http, 1))
        yield row("HTTP overhead on search p50 (ms)", round(p50_http - p50_direct, 1), "<= 10",
                  ok=p50_http - p50_direct <= 10)

        in_process, over_sse = [], []
        client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0, timeout=300)
        for _ in range(RUNS):
            stamps = []
            for ev in engine.ask(QUESTION):
                if isinstance(ev, Token) and ev.text:
                    stamps.append(time.perf_counter())
            in_process.append((_rate(stamps), len(stamps)))
            stamps = []
            for chunk in client.chat.completions.create(model="default", stream=True,
                                                        messages=[{"role": "user", "content": QUESTION}]):
                if chunk.choices and chunk.choices[0].delta.content:
                    stamps.append(time.perf_counter())
            over_sse.append((_rate(stamps), len(stamps)))
        rate_direct = statistics.median(r for r, _ in in_process)
        rate_sse = statistics.median(r for r, _ in over_sse)
        yield row(f"tokens/s in process, median of {RUNS} ({in_process[0][1]} tokens)", round(rate_direct, 1))
        yield row(f"tokens/s over SSE (openai client), median of {RUNS} ({over_sse[0][1]} chunks)", round(rate_sse, 1))
        ratio = rate_sse / rate_direct if rate_direct else 0.0
        yield row("SSE tokens/s vs in process (ratio)", round(ratio, 3), ">= 0.95", ok=ratio >= 0.95)
    finally:
        server.stop()
