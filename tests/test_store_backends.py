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
    kb = engine.catalog.get_kb("default")
    assert engine.store.count(kb.collection) == indexed[0].chunks
    for mode in ("dense", "bm25", "hybrid"):
        found = engine.search("admin console port", mode=mode)
        assert found.sources[0].file == "router.pdf" and found.sources[0].page == 2, mode
    if backend:  # really on the server: the collection is there under this desktop's namespace
        names = [c.name for c in _server_collections(backend["chroma_url"])]
        assert engine.store.prefix + kb.collection in names
    engine.remove("router.pdf")
    assert engine.store.count(kb.collection) == 0
    assert engine.search("admin console port").sources == ()


def test_doctor_rebuilds_the_lexical_index_from_stored_chunks(make_engine, backend, tmp_path):
    from rag.doctor import check

    engine = make_engine(**backend)
    list(engine.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    kb = engine.catalog.get_kb("default")
    engine.lexical.rebuild(kb.id, [])  # a desktop whose lexical index lost its rows
    assert engine.search("admin console port", mode="bm25").sources == ()
    findings = check(engine, "default")
    assert [f.kind for f in findings] == ["lexical-sync"] and not findings[0].repaired
    assert [f.repaired for f in check(engine, "default", repair=True)] == [True]
    assert check(engine, "default") == []
    assert engine.search("admin console port", mode="bm25").sources[0].page == 2


def test_desktops_sharing_a_server_do_not_collide(make_engine, chroma_server, tmp_path, monkeypatch):
    first = make_engine(chroma_url=chroma_server.url)
    list(first.ingest([make_sample_pdf(tmp_path / "router.pdf")]))
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "second-desktop"))
    second = make_engine(chroma_url=chroma_server.url)
    assert second.store.prefix != first.store.prefix
    kb1 = first.catalog.get_kb("default")
    assert second.store.count(kb1.collection) == 0  # same kb name, its own collection
    assert first.store.count(kb1.collection) > 0


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
            make_engine(chroma_url=proxy.url).store.count("kb_1")
        with pytest.raises(KnowledgeBaseError, match="refused the token"):
            make_engine(chroma_url=proxy.url, chroma_token="wrong").store.count("kb_1")
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
