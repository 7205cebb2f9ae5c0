"""Vector store interface and its chromadb implementation, embedded or on a Chroma server.

Embeddings are always passed in explicitly: chromadb's own default embedding function
downloads a model, so collections are created with `embedding_function=None`.

`chroma_url` empty: an embedded `PersistentClient` under the data folder. Set: a
`chromadb.HttpClient` to a Chroma server (`chroma run --path DIR --port N`), the token (if
any) sent as `Authorization: Bearer TOKEN` or `X-Chroma-Token: TOKEN`. The lexical (BM25)
index stays in the local catalog either way (see README, "Scaling out").
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol, Sequence

import numpy as np

from rag.store.light_reader import EmptyStore, LightReader, reraise_interrupts


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity for queries; 0 for plain gets


def all_chunks(store: "VectorStore", collection: str, page: int = 5000) -> Iterator[StoredChunk]:
    """Every chunk of a collection, read a page at a time: one `get` of 100,000 chunks fails
    inside chromadb ("too many SQL variables")."""
    if hasattr(store, "all_chunks"):  # a ChunkStore pages on its vector store
        yield from store.all_chunks(collection, page)
        return
    offset = 0
    while True:
        chunks = store.get(collection, limit=page, offset=offset)
        yield from chunks
        if len(chunks) < page:
            return
        offset += page


class VectorStore(Protocol):
    def add(self, collection: str, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str] | None,
            metadatas: Sequence[dict]) -> None: ...

    def delete(self, collection: str, where: dict) -> None: ...

    def vectors_by(self, collection: str, key: str, values: Sequence[str]) -> dict[str, np.ndarray]: ...

    def query(self, collection: str, vector: np.ndarray, k: int, where: dict | None = None) -> list[StoredChunk]: ...

    def nearest(self, collection: str, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]: ...

    def get(self, collection: str, where: dict | None = None, ids: Sequence[str] | None = None,
            limit: int | None = None, offset: int = 0) -> list[StoredChunk]: ...

    def delete_ids(self, collection: str, ids: Sequence[str]) -> None: ...

    def count(self, collection: str) -> int: ...

    def drop(self, collection: str) -> None: ...


def open_store(settings, path: Path) -> "ChromaStore":
    """The vector store the settings ask for: embedded under `path`, or the Chroma server."""
    if settings.chroma_url:
        return ChromaStore(url=settings.chroma_url, token=settings.chroma_token,
                           token_header=settings.chroma_token_header, namespace=desk_id(path.parent))
    return ChromaStore(path)


def desk_id(home: Path) -> str:
    """A random id per data folder, made on first use of a Chroma server. Collections on a
    server are named `desk-<id>-kb_<n>`, so several desktops share one server without
    touching each other's knowledge bases (their catalogs, which decide what is committed,
    are their own)."""
    import uuid

    file = home / "desk-id"
    try:
        value = file.read_text().strip()
        if value:
            return value
    except OSError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    value = uuid.uuid4().hex[:12]
    tmp = file.with_suffix(".tmp")
    tmp.write_text(value)
    os.replace(tmp, file)
    return value


def token_headers(token: str, header: str = "Authorization") -> dict[str, str]:
    if not token:
        return {}
    return {"Authorization": f"Bearer {token}"} if header == "Authorization" else {header: token}


def _server_error(url: str, exc: Exception):
    from rag.errors import KnowledgeBaseError, RagError

    if isinstance(exc, RagError):
        return exc
    text = f"{type(exc).__name__}: {exc}".strip()
    if any(s in text for s in ("401", "403", "nauthori", "orbidden")):
        return KnowledgeBaseError(f"the Chroma server at {url} refused the token (HTTP 401/403); "
                                  "set chroma_token (RAG_CHROMA_TOKEN) and chroma_token_header")
    if any(s in text for s in ("onnect", "refused", "Timeout", "timed out", "RemoteProtocol")):
        return KnowledgeBaseError(f"cannot reach the Chroma server at {url} ({text[:200]}); start it "
                                  "(`chroma run --path DIR --port N`) or fix chroma_url (RAG_CHROMA_URL)")
    return KnowledgeBaseError(f"the Chroma server at {url} failed: {text[:300]}")


def _guarded(method):
    import functools

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return self._guard(lambda: method(self, *args, **kwargs))

    return wrapper


_UNSET = object()


class ChromaStore:
    """chromadb with telemetry off: embedded (`path`) or a server (`url`).

    An embedded store is read through chromadb's compiled engine alone (`LightReader`)
    until the first write, so a one-off `rag-cli ask` never imports the chromadb package,
    which costs about a second of CPU by itself. The first write, or any failure of the
    reader, opens the full client; from then on everything goes through it."""

    def __init__(self, path: Path | None = None, *, url: str = "", token: str = "",
                 token_header: str = "Authorization", namespace: str = ""):
        os.environ["ANONYMIZED_TELEMETRY"] = "False"
        self.url = url
        self.path = path
        self.prefix = f"desk-{namespace}-" if namespace else ""
        self._headers = token_headers(token, token_header)
        self._client = None
        self._reader: LightReader | None = None
        self._switch = threading.Lock()
        self._collections: dict[str, Any] = {}
        if not url:
            if path is None:
                raise ValueError("ChromaStore needs a path (embedded) or a url (server)")
            # a store that does not exist yet reads as empty; the first write creates it
            self._reader = LightReader.open(path) if (path / "chroma.sqlite3").is_file() else EmptyStore(path)
        if self._reader is None:
            self._client = self._open_client()

    def _open_client(self):
        import chromadb

        if not self.url:
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                from rag.errors import ReadOnlyDataError

                raise ReadOnlyDataError(self.path.parent, exc.strerror or str(exc)) from None
        settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        if self.url:
            return _http_client(chromadb, self.url, self._headers, settings)
        try:
            return chromadb.PersistentClient(path=str(self.path), settings=settings)
        except Exception as exc:
            if not os.access(self.path, os.W_OK):  # chromadb cannot open its files in a read-only folder
                from rag.errors import ReadOnlyDataError

                raise ReadOnlyDataError(self.path.parent, "the vector store cannot be opened there") from None
            raise

    @property
    def client(self):
        """The full chromadb client, opened on first need (the light reader is let go then)."""
        if self._client is None:
            with self._switch:
                if self._client is None:
                    self._client = self._open_client()
                    self._reader = None
        return self._client

    @property
    def reading_light(self) -> bool:
        """True while reads go through the compiled engine alone (chromadb not imported)."""
        return self._reader is not None

    def _light(self, method: str, collection: str, *args):
        reader = self._reader
        if reader is None:
            return _UNSET
        if isinstance(reader, EmptyStore) and reader.created():
            # another process (`rag-cli ingest` beside the app) wrote the first vectors since
            # this store was opened: read the new store from now on (until then it is empty;
            # one that cannot be read yet, mid-creation, is tried again on the next call)
            opened = LightReader.open(self.path)
            if opened is not None:
                with self._switch:
                    if self._reader is reader:
                        self._reader = opened
                reader = self._reader
                if reader is None:
                    return _UNSET
        try:
            return getattr(reader, method)(self.prefix + collection, *args)
        except BaseException as exc:  # a Rust panic arrives as pyo3's PanicException(BaseException)
            reraise_interrupts(exc)
            self.client  # noqa: B018 - the full client answers this and every later call
            return _UNSET

    def _guard(self, fn):
        if not self.url:
            return fn()
        try:
            return fn()
        except Exception as exc:
            raise _server_error(self.url, exc) from None

    def _col(self, name: str):
        col = self._collections.get(name)
        if col is None:
            col = self._guard(lambda: self.client.get_or_create_collection(
                self.prefix + name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            ))
            self._collections[name] = col
        return col

    @_guarded
    def add(self, collection, ids, vectors, texts, metadatas) -> None:
        if len(ids) == 0:
            return
        self._col(collection).upsert(
            ids=list(ids), embeddings=np.asarray(vectors, dtype=np.float32),
            documents=None if texts is None else list(texts), metadatas=list(metadatas),
        )

    @_guarded
    def vectors_by(self, collection, key, values) -> dict[str, np.ndarray]:
        """Stored vectors of chunks whose metadata `key` is one of `values`: {value: vector}."""
        values = list(values)
        if not values:
            return {}
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(values), 500):
            where = {key: {"$in": values[i : i + 500]}}
            res = self._light("get", collection, where, None, None, ["embeddings", "metadatas"])
            if res is _UNSET:
                res = self._col(collection).get(where=where, include=["embeddings", "metadatas"])
            for meta, vector in zip(res["metadatas"], res["embeddings"]):
                if meta and key in meta:
                    out.setdefault(meta[key], np.asarray(vector, dtype=np.float32))
        return out

    @_guarded
    def delete(self, collection, where) -> None:
        self._col(collection).delete(where=where)

    @_guarded
    def query(self, collection, vector, k, where=None) -> list[StoredChunk]:
        res = self._query(collection, vector, k, where, ["documents", "metadatas", "distances"])
        return [
            StoredChunk(i, d, m, 1.0 - float(dist))
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ] if res else []

    @_guarded
    def nearest(self, collection, vector, k, where=None) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the k nearest chunks, best first, reading nothing else."""
        res = self._query(collection, vector, k, where, ["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0])] if res else []

    def _query(self, collection, vector, k, where, include: list[str]) -> dict | None:
        """chromadb's answer for the k nearest (through the light reader while it serves), or
        None when there is nothing."""
        vector = np.asarray([vector], dtype=np.float32)
        res = self._light("query", collection, vector, k, where or None, include)
        if res is _UNSET:
            col = self._col(collection)
            n = col.count()
            if n == 0:
                return None
            res = col.query(query_embeddings=vector, n_results=min(k, n), where=where or None, include=include)
        return res if res["ids"] else None

    @_guarded
    def get(self, collection, where=None, ids=None, limit=None, offset=0) -> list[StoredChunk]:
        ids = list(ids) if ids is not None else None
        include = ["documents", "metadatas"]
        res = self._light("get", collection, where or None, ids, limit, include, offset)
        if res is _UNSET:
            res = self._col(collection).get(where=where or None, ids=ids, limit=limit, offset=offset or None,
                                            include=include)
        return [StoredChunk(i, d, m, 0.0) for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])]

    @_guarded
    def delete_ids(self, collection, ids) -> None:
        if ids:
            self._col(collection).delete(ids=list(ids))

    @_guarded
    def count(self, collection) -> int:
        n = self._light("count", collection)
        return self._col(collection).count() if n is _UNSET else n

    def drop(self, collection) -> None:
        self._collections.pop(collection, None)
        try:
            self.client.delete_collection(self.prefix + collection)
        except Exception:
            pass


def _http_client(chromadb, url: str, headers: dict[str, str], settings):
    from urllib.parse import urlsplit

    from rag.errors import KnowledgeBaseError

    parts = urlsplit(url)
    ssl = parts.scheme == "https"
    port = parts.port or (443 if ssl else 8000)
    if parts.path not in ("", "/"):
        raise KnowledgeBaseError(f"chroma_url {url!r} has a path; give the server's root, e.g. http://host:8000")
    try:
        return chromadb.HttpClient(host=parts.hostname or "localhost", port=port, ssl=ssl, headers=headers,
                                   settings=settings)
    except Exception as exc:
        raise _server_error(url, exc) from None


def forget_clients() -> None:
    """chromadb keeps one client per data path for the life of the process; after the data
    folder was deleted ("Delete all data"), the next client must open it anew."""
    import sys

    chromadb = sys.modules.get("chromadb")
    if chromadb is None:
        return  # never opened in this process: nothing cached
    try:
        chromadb.api.client.SharedSystemClient.clear_system_cache()
    except Exception:  # an older chromadb without the cache: nothing to clear
        pass
