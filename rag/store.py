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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity for queries; 0 for plain gets


class VectorStore(Protocol):
    def add(self, collection: str, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
            metadatas: Sequence[dict]) -> None: ...

    def delete(self, collection: str, where: dict) -> None: ...

    def vectors_by(self, collection: str, key: str, values: Sequence[str]) -> dict[str, np.ndarray]: ...

    def query(self, collection: str, vector: np.ndarray, k: int, where: dict | None = None) -> list[StoredChunk]: ...

    def get(self, collection: str, where: dict | None = None, ids: Sequence[str] | None = None,
            limit: int | None = None) -> list[StoredChunk]: ...

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
    from .errors import KnowledgeBaseError, RagError

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


class ChromaStore:
    """chromadb with telemetry off: embedded (`path`) or a server (`url`)."""

    def __init__(self, path: Path | None = None, *, url: str = "", token: str = "",
                 token_header: str = "Authorization", namespace: str = ""):
        os.environ["ANONYMIZED_TELEMETRY"] = "False"
        import chromadb

        settings = chromadb.Settings(anonymized_telemetry=False, allow_reset=False)
        self.url = url
        self.prefix = f"desk-{namespace}-" if namespace else ""
        if url:
            self._client = _http_client(chromadb, url, token_headers(token, token_header), settings)
        else:
            if path is None:
                raise ValueError("ChromaStore needs a path (embedded) or a url (server)")
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        self._collections: dict[str, Any] = {}

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
            col = self._guard(lambda: self._client.get_or_create_collection(
                self.prefix + name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            ))
            self._collections[name] = col
        return col

    @_guarded
    def add(self, collection, ids, vectors, texts, metadatas) -> None:
        if len(ids) == 0:
            return
        self._col(collection).upsert(
            ids=list(ids), embeddings=np.asarray(vectors, dtype=np.float32), documents=list(texts),
            metadatas=list(metadatas),
        )

    @_guarded
    def vectors_by(self, collection, key, values) -> dict[str, np.ndarray]:
        """Stored vectors of chunks whose metadata `key` is one of `values`: {value: vector}."""
        values = list(values)
        if not values:
            return {}
        out: dict[str, np.ndarray] = {}
        col = self._col(collection)
        for i in range(0, len(values), 500):
            res = col.get(where={key: {"$in": values[i : i + 500]}}, include=["embeddings", "metadatas"])
            for meta, vector in zip(res["metadatas"], res["embeddings"]):
                if meta and key in meta:
                    out.setdefault(meta[key], np.asarray(vector, dtype=np.float32))
        return out

    @_guarded
    def delete(self, collection, where) -> None:
        self._col(collection).delete(where=where)

    @_guarded
    def query(self, collection, vector, k, where=None) -> list[StoredChunk]:
        col = self._col(collection)
        n = col.count()
        if n == 0:
            return []
        res = col.query(
            query_embeddings=np.asarray([vector], dtype=np.float32), n_results=min(k, n), where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredChunk(i, d, m, 1.0 - float(dist))
            for i, d, m, dist in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ]

    @_guarded
    def get(self, collection, where=None, ids=None, limit=None) -> list[StoredChunk]:
        res = self._col(collection).get(
            where=where or None, ids=list(ids) if ids is not None else None, limit=limit,
            include=["documents", "metadatas"],
        )
        return [StoredChunk(i, d, m, 0.0) for i, d, m in zip(res["ids"], res["documents"], res["metadatas"])]

    @_guarded
    def delete_ids(self, collection, ids) -> None:
        if ids:
            self._col(collection).delete(ids=list(ids))

    @_guarded
    def count(self, collection) -> int:
        return self._col(collection).count()

    def drop(self, collection) -> None:
        self._collections.pop(collection, None)
        try:
            self._client.delete_collection(self.prefix + collection)
        except Exception:
            pass


def _http_client(chromadb, url: str, headers: dict[str, str], settings):
    from urllib.parse import urlsplit

    from .errors import KnowledgeBaseError

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
