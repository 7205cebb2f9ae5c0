"""The same store behaviour on both vector-store backends: embedded chromadb and a real
`chroma run` server (started once per session), plus token auth through a loopback proxy."""

from __future__ import annotations

import json
import urllib.request

import pytest

from pdfs import make_sample_pdf
from rag.errors import KnowledgeBaseError
from rag.events import FileIndexed
from servers import TokenProxy, free_port


@pytest.fixture(params=["embedded", "server"])
def backend(request) -> dict:
    if request.param == "embedded":
        return {}
    return {"chroma_url": request.getfixturevalue("chroma_server").url}


def test_ingest_search_remove(make_engine, backend, tmp_path):
    engine = make_engine(**backend)
    events = list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    indexed = [e for e in events if isinstance(e, FileIndexed)]
    assert indexed and indexed[0].chunks > 0
    kb = engine.parts.catalog.get_kb("default")
    assert engine.parts.store.count(kb.collection) == indexed[0].chunks
    for mode in ("dense", "bm25", "hybrid"):
        found = engine.search("admin console port", mode=mode)
        assert found.sources[0].file == "router.pdf" and found.sources[0].page == 2, mode
    raw = engine.parts.store.vectors.get(kb.collection)
    if backend:  # really on the server: the collection is there under this desktop's namespace
        names = [c.name for c in _server_collections(backend["chroma_url"])]
        assert engine.parts.store.prefix + kb.collection in names
        # texts and metadata on the server, and the texts in the local catalog too: a file is
        # searchable by BM25 (stage lexical) before its vectors reach the server
        assert all(c.text and "page" in c.metadata for c in raw)
        assert engine.parts.store.payload_ids(kb.collection) == {c.id for c in raw}
    else:  # embedded: texts and metadata in the catalog (rag/chunkstore.py)
        assert all(c.text is None for c in raw)
        assert engine.parts.store.payload_ids(kb.collection) == {c.id for c in raw}
    engine.remove("router.pdf")
    assert engine.parts.store.count(kb.collection) == 0
    assert engine.search("admin console port").sources == ()


def test_doctor_rebuilds_the_lexical_index_from_stored_chunks(make_engine, backend, tmp_path):
    engine = make_engine(**backend)
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    kb = engine.parts.catalog.get_kb("default")
    engine.parts.lexical.rebuild(kb.id, [])  # a desktop whose lexical index lost its rows
    assert engine.search("admin console port", mode="bm25").sources == ()
    findings = engine.doctor("default")
    assert [f.kind for f in findings] == ["lexical-sync"] and not findings[0].repaired
    assert [f.repaired for f in engine.doctor("default", repair=True)] == [True]
    assert engine.doctor("default") == []
    assert engine.search("admin console port", mode="bm25").sources[0].page == 2


def test_desktops_sharing_a_server_do_not_collide(make_engine, chroma_server, tmp_path, monkeypatch):
    first = make_engine(chroma_url=chroma_server.url)
    list(first.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "second-desktop"))
    second = make_engine(chroma_url=chroma_server.url)
    assert second.parts.store.prefix != first.parts.store.prefix
    kb1 = first.parts.catalog.get_kb("default")
    assert second.parts.store.count(kb1.collection) == 0  # same kb name, its own collection
    assert first.parts.store.count(kb1.collection) > 0


def _server_collections(url: str, headers: dict | None = None):
    import chromadb

    from urllib.parse import urlsplit

    parts = urlsplit(url)
    client = chromadb.HttpClient(host=parts.hostname, port=parts.port, headers=headers or {},
                                 settings=chromadb.Settings(anonymized_telemetry=False))
    return client.list_collections()


def test_chroma_run_does_not_enforce_tokens(chroma_server):
    """Why the token test needs a proxy: `chroma run` (chromadb 1.x, Rust) answers without one."""
    url = f"{chroma_server.url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    with urllib.request.urlopen(url) as resp:
        assert resp.status == 200 and isinstance(json.loads(resp.read()), list)


@pytest.mark.parametrize("header", ["Authorization", "X-Chroma-Token"])
def test_token_reaches_a_server_behind_auth(make_engine, chroma_server, tmp_path, header):
    proxy = TokenProxy(chroma_server.port, "s3cret-token")
    try:
        with pytest.raises(KnowledgeBaseError, match="refused the token"):
            make_engine(chroma_url=proxy.url).parts.store.count("kb_1")
        with pytest.raises(KnowledgeBaseError, match="refused the token"):
            make_engine(chroma_url=proxy.url, chroma_token="wrong").parts.store.count("kb_1")
        proxy.seen.clear()
        engine = make_engine(chroma_url=proxy.url, chroma_token="s3cret-token", chroma_token_header=header)
        list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
        assert engine.search("admin console port").sources[0].page == 2
        expected = "Bearer s3cret-token" if header == "Authorization" else "X-Chroma-Token s3cret-token"
        assert proxy.seen and set(proxy.seen) == {expected}
    finally:
        proxy.close()


def test_server_down_is_a_clear_error(make_engine, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    engine = make_engine(chroma_url=url)
    with pytest.raises(KnowledgeBaseError, match=f"cannot reach the Chroma server at {url}"):
        list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))


def test_light_reader_answers_like_chromadb_until_the_first_write(make_engine, rag_home, tmp_path):
    """An embedded store is read without importing chromadb; the answers are chromadb's own."""
    import numpy as np

    from rag.store.vectors import ChromaStore

    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    kb = engine.parts.catalog.get_kb("default")
    vector = engine.embedder.embed_query("admin console port")
    light, full = ChromaStore(rag_home / "chroma"), ChromaStore(rag_home / "chroma")
    full.client  # noqa: B018 - this one reads through chromadb's client
    assert light.reading_light and not full.reading_light
    col = kb.collection
    assert light.count(col) == full.count(col) > 0
    assert light.query(col, vector, 4) == full.query(col, vector, 4)
    assert light.query(col, vector, 3, where={"page": 2}) == full.query(col, vector, 3, where={"page": 2})
    ids = [c.id for c in full.get(col, limit=3)]
    by_id = lambda chunks: sorted(chunks, key=lambda c: c.id)  # noqa: E731
    assert by_id(light.get(col, ids=ids)) == by_id(full.get(col, ids=ids))
    assert by_id(light.get(col, where={"page": 2})) == by_id(full.get(col, where={"page": 2}))
    hashes = [c.metadata["th"] for c in full.get(col, limit=2)]
    a, b = light.vectors_by(col, "th", hashes), full.vectors_by(col, "th", hashes)
    assert a.keys() == b.keys() == set(hashes) and all(np.allclose(a[h], b[h]) for h in hashes)
    # a collection that was never made reads as empty, without creating it
    assert light.count("kb_999") == 0 and light.query("kb_999", vector, 3) == [] and light.get("kb_999") == []
    assert light.reading_light
    # the first write goes through chromadb, and every read after it sees the write
    before = light.count(col)
    light.add(col, ["extra-1"], np.asarray([vector]), ["an extra passage"], [{"page": 9, "file": "x.pdf"}])
    assert not light.reading_light
    assert light.count(col) == before + 1 and light.query(col, vector, 1)[0].id == "extra-1"


def test_a_one_off_search_never_imports_chromadb(make_engine, rag_home, tmp_path):
    import subprocess
    import sys

    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    engine.close()
    script = ("import sys\nfrom rag.engine import Engine\ne = Engine()\n"
              "s = e.search('admin console port', mode='hybrid').sources\n"
              "print(s[0].file, s[0].page, e.parts.store.reading_light, 'chromadb' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["router.pdf", "2", "True", "False"]


def test_a_panicking_light_reader_falls_back_to_chromadb(make_engine, rag_home, tmp_path):
    """A Rust panic reaches Python as pyo3's PanicException, a BaseException: it must switch
    the store to chromadb's client like any other reader failure; Ctrl+C still interrupts."""
    from rag.store.vectors import ChromaStore

    engine = make_engine()
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    col = engine.parts.catalog.get_kb("default").collection

    class Panic(BaseException):
        pass

    def panics(*args):
        raise Panic("index out of bounds")

    def interrupted(*args):
        raise KeyboardInterrupt

    store = ChromaStore(rag_home / "chroma")
    expected = ChromaStore(rag_home / "chroma").count(col)
    assert store.reading_light and expected > 0
    store._reader.count = interrupted
    with pytest.raises(KeyboardInterrupt):
        store.count(col)
    store._reader.count = panics
    assert store.count(col) == expected
    assert not store.reading_light


def test_a_light_reader_sees_what_another_process_writes(tmp_path):
    """The app reads the store while `rag-cli ingest` writes it from a terminal: a reader opened
    before the store existed, and one opened before a later write, both see the new vectors,
    in counts and in nearest-neighbour search (chromadb's engine keeps its index in memory)."""
    import subprocess
    import sys

    import numpy as np

    from rag.store.vectors import ChromaStore

    path = tmp_path / "chroma"
    rng = np.random.default_rng(7)
    first, second = rng.normal(size=(2, 8)).astype(np.float32)

    def write(ids, vector):
        script = ("import sys, numpy as np\nfrom pathlib import Path\nfrom rag.store.vectors import ChromaStore\n"
                  "s = ChromaStore(Path(sys.argv[1]))\nids = sys.argv[2].split(',')\n"
                  "v = np.asarray([float(x) for x in sys.argv[3].split(',')], dtype=np.float32)\n"
                  "s.add('kb_1', ids, np.stack([v + 0.001 * i for i in range(len(ids))]), ['t'] * len(ids),"
                  " [{'page': 1, 'file': 'x.pdf'}] * len(ids))\n")
        out = subprocess.run([sys.executable, "-c", script, str(path), ",".join(ids), ",".join(map(str, vector))],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr

    early = ChromaStore(path)  # nothing on disk yet: reads as empty
    assert early.count("kb_1") == 0 and early.query("kb_1", first, 3) == []
    write(["a-1", "a-2"], first)
    assert early.count("kb_1") == 2 and early.query("kb_1", first, 1)[0].id == "a-1"
    assert early.reading_light, "reading another process's writes needs no chromadb client"
    before = ChromaStore(path)
    assert before.query("kb_1", second, 1)[0].id.startswith("a-")
    write(["b-1", "b-2", "b-3"], second)
    for reader in (early, before):
        assert reader.count("kb_1") == 5
        assert reader.query("kb_1", second, 1)[0].id == "b-1", "the nearest neighbour is the new vector"


def test_a_light_reader_counts_once_per_write(tmp_path):
    """A search asks the count of its collection (to bound k): it is read once after each write
    (chromadb reads the collection to count it: 13 ms at 100,000 chunks), and a write by
    another process, an add or a delete, is seen by the next count."""
    import subprocess
    import sys

    import numpy as np

    from rag.store.light_reader import LightReader
    from rag.store.vectors import ChromaStore

    path = tmp_path / "chroma"
    writer = ChromaStore(path)
    vectors = np.random.default_rng(3).normal(size=(4, 8)).astype(np.float32)
    writer.add("kb_1", ["a", "b", "c", "d"], vectors, ["t"] * 4, [{"page": 1, "file": "x.pdf"}] * 4)
    reader = LightReader.open(path)
    calls = []

    class Counting:
        def __init__(self, inner):
            self.inner = inner

        def count(self, *args):
            calls.append(args)
            return self.inner.count(*args)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    reader._b = Counting(reader._b)
    assert [reader.count("kb_1") for _ in range(3)] == [4, 4, 4] and len(calls) == 1
    assert len(reader.query("kb_1", vectors[:1], 10, None, ["distances"])["ids"][0]) == 4 and len(calls) == 1
    script = ("import sys\nfrom pathlib import Path\nfrom rag.store.vectors import ChromaStore\n"
              "ChromaStore(Path(sys.argv[1])).delete_ids('kb_1', ['a'])\n")
    out = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert reader.count("kb_1") == 3
    assert reader.query("kb_1", vectors[:1], 10, None, ["distances"])["ids"][0][0] != "a"
