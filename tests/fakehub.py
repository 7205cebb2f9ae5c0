"""A tiny stand-in for the Hugging Face hub on 127.0.0.1, enough for huggingface_hub's
`get_hf_file_metadata` and ranged downloads: HEAD/GET /{org}/{repo}/resolve/{revision}/{path}
answering with ETag (the file's sha256, as the hub does for LFS files), X-Repo-Commit,
Content-Length, Accept-Ranges, and 206 + Content-Range for `Range: bytes=N-`.

Knobs for tests: `drop_after` (close the connection after that many body bytes on the next
GET, once), `corrupt` (serve one flipped byte in files of that name), `pause_s` (a slow network), and `log`, the
requests seen as (method, path, range header).
"""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class FakeHub:
    def __init__(self):
        self.repos: dict[str, dict[str, Path]] = {}
        self.etags: dict[Path, str] = {}
        self.log: list[tuple[str, str, str]] = []
        self.drop_after: int | None = None
        self.corrupt: set[str] = set()
        self.pause_s = 0.0  # sleep between 1 MiB blocks: a slow network
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_HEAD(self):
                hub._serve(self, body=False)

            def do_GET(self):
                hub._serve(self, body=True)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, repo: str, files: dict[str, Path]) -> None:
        self.repos[repo] = dict(files)
        for path in files.values():
            if path not in self.etags:
                self.etags[path] = sha256_of(path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _serve(self, h: BaseHTTPRequestHandler, body: bool) -> None:
        self.log.append((h.command, h.path, h.headers.get("Range", "")))
        parts = unquote(h.path.split("?")[0]).lstrip("/").split("/")
        if len(parts) < 5 or parts[2] != "resolve":
            return self._error(h, 404, "RepoNotFound", "no such route")
        repo, file = f"{parts[0]}/{parts[1]}", "/".join(parts[4:])
        if repo not in self.repos:
            return self._error(h, 404, "RepoNotFound", f"Repository {repo} not found")
        path = self.repos[repo].get(file)
        if path is None:
            return self._error(h, 404, "EntryNotFound", f"{file} does not exist")
        size = path.stat().st_size
        start = 0
        rng = h.headers.get("Range", "")
        if body and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= size:
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{size}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        else:
            h.send_response(200)
        h.send_header("ETag", f'"{self.etags[path]}"')
        h.send_header("X-Repo-Commit", COMMIT)
        h.send_header("Accept-Ranges", "bytes")
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(size - start))
        h.end_headers()
        if not body:
            return
        drop, self.drop_after = self.drop_after, None
        sent = 0
        with path.open("rb") as f:
            f.seek(start)
            while block := f.read(1 << 20):
                if file in self.corrupt and start + sent == 0:
                    block = bytes([block[0] ^ 0xFF]) + block[1:]
                if drop is not None and sent + len(block) > drop:
                    h.wfile.write(block[: drop - sent])
                    h.wfile.flush()
                    h.close_connection = True
                    h.connection.shutdown(2)  # cut the connection mid-file, as a flaky network does
                    return
                if self.pause_s:
                    time.sleep(self.pause_s)
                try:
                    h.wfile.write(block)
                except (BrokenPipeError, ConnectionResetError):
                    return
                sent += len(block)

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str, message: str) -> None:
        data = message.encode()
        h.send_response(status)
        h.send_header("X-Error-Code", code)
        h.send_header("X-Error-Message", message)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(data) if h.command != "HEAD" else 0))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)
