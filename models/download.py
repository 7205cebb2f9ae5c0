"""Pull a catalog model from the Hugging Face hub, only when the user asks.

huggingface_hub does the hub's part (HF_ENDPOINT, HF_TOKEN, the HEAD that resolves a file to
its ETag, size and commit, typed errors for missing repos/files). The bytes go through its
HTTP session into `<file>.part`, next to a small `.part.json` that remembers the ETag, so:

- an interrupted pull (cancel, a killed process, a dropped connection) resumes with a
  `Range` request from where the part file ends, as long as the hub still serves the same
  ETag; a dropped connection is retried (and resumed) within the same pull;
- every file is verified: its size, and its sha256 against the catalog's checksum or, for
  LFS files, the hub's ETag (which is the content's sha256); a mismatch deletes the part;
- the free disk space is checked (shutil.disk_usage) before the first byte;
- cancel (a threading.Event) is checked between 1 MiB blocks;
- progress reports bytes done/total, the rate and the ETA.
Only when every file passed is the manifest written that marks the model installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from models.errors import DownloadCancelled, ModelError

from .catalog import CatalogEntry, install_dir, is_installed, write_manifest

BLOCK = 1 << 20
DISK_MARGIN = 64 << 20
RETRIES = 5
SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Progress:
    file: str
    done: int  # bytes of the whole model on disk so far
    total: int
    rate: float  # bytes/s over the last seconds
    eta_s: float | None

    def describe(self) -> str:
        pct = 100.0 * self.done / self.total if self.total else 0.0
        eta = f", {format_eta(self.eta_s)} left" if self.eta_s is not None else ""
        return (f"{self.file}: {format_bytes(self.done)} / {format_bytes(self.total)} ({pct:.0f}%) at "
                f"{format_bytes(self.rate)}/s{eta}")


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def format_eta(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def hub_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


class _Meter:
    """Bytes done and a smoothed rate (a window of the last ~3 s of samples)."""

    def __init__(self, total: int, already: int, report: Callable[[Progress], None] | None):
        self.total = total
        self.done = already
        self.report = report
        self.samples: list[tuple[float, int]] = [(time.monotonic(), already)]
        self.last_report = 0.0

    def add(self, n: int, file: str, force: bool = False) -> None:
        self.done += n
        now = time.monotonic()
        self.samples.append((now, self.done))
        while len(self.samples) > 2 and now - self.samples[0][0] > 3.0:
            self.samples.pop(0)
        if self.report and (force or now - self.last_report >= 0.1):
            self.last_report = now
            t0, d0 = self.samples[0]
            rate = (self.done - d0) / (now - t0) if now > t0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else None
            self.report(Progress(file, self.done, self.total, rate, eta))


@dataclass(frozen=True)
class _Remote:
    file: str
    url: str
    etag: str
    size: int
    commit: str


def _hub_error(exc: BaseException, entry: CatalogEntry, file: str, endpoint: str) -> ModelError:
    from huggingface_hub import errors

    if isinstance(exc, errors.OfflineModeIsEnabled):
        return ModelError("HF_HUB_OFFLINE is set, so downloads are off; unset it to pull models")
    if isinstance(exc, errors.GatedRepoError):
        return ModelError(f"{entry.repo} is gated on the hub: accept its licence on the hub's web page and set "
                          "HF_TOKEN to a token of yours")
    if isinstance(exc, errors.RepositoryNotFoundError):
        return ModelError(f"the hub at {endpoint} has no repository {entry.repo!r} (or it is private: set HF_TOKEN)")
    if isinstance(exc, errors.RevisionNotFoundError):
        return ModelError(f"{entry.repo} has no revision {entry.revision!r}")
    if isinstance(exc, (errors.EntryNotFoundError, errors.RemoteEntryNotFoundError)):
        return ModelError(f"{entry.repo} has no file {file!r} at revision {entry.revision!r}")
    import httpx2

    if isinstance(exc, (httpx2.TransportError, OSError)) or "connect" in str(exc).lower():
        return ModelError(f"cannot reach the model hub at {endpoint}; check the network or HF_ENDPOINT ({exc})")
    if isinstance(exc, errors.HfHubHTTPError):
        return ModelError(f"the model hub at {endpoint} refused {entry.repo}/{file}: {exc}")
    return ModelError(f"asking the model hub at {endpoint} about {entry.repo}/{file} failed: {exc}")


def _resolve(entry: CatalogEntry, file: str, endpoint: str, token) -> _Remote:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(entry.repo, file, revision=entry.revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url, token=token, endpoint=endpoint, timeout=20)
    except Exception as exc:
        raise _hub_error(exc, entry, file, endpoint) from None
    if meta.etag is None or meta.size is None:
        raise ModelError(f"the model hub at {endpoint} did not report the size/ETag of {entry.repo}/{file}; "
                         "is HF_ENDPOINT a Hugging Face hub (or a mirror)?")
    return _Remote(file, meta.location or url, meta.etag, int(meta.size), meta.commit_hash or "")


def _part_paths(dest: Path) -> tuple[Path, Path]:
    return dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def _resumable_bytes(dest: Path, remote: _Remote) -> int:
    part, info = _part_paths(dest)
    if not part.exists() or not info.exists():
        return 0
    try:
        seen = json.loads(info.read_text())
    except (OSError, ValueError):
        return 0
    if seen.get("etag") != remote.etag or seen.get("size") != remote.size:
        return 0  # the hub serves another version now: start over
    return min(part.stat().st_size, remote.size)


def _on_disk(dest: Path, remote: _Remote) -> int:
    if dest.exists() and dest.stat().st_size == remote.size:
        return remote.size  # finished by an earlier, interrupted pull of a several-file model
    return _resumable_bytes(dest, remote)


def _check_disk(folder: Path, need: int) -> None:
    probe = folder
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need + DISK_MARGIN > free:
        raise ModelError(f"not enough disk space in {probe}: the download needs {format_bytes(need)} more "
                         f"(+{format_bytes(DISK_MARGIN)} margin) and {format_bytes(free)} is free; "
                         "free some space or set RAG_HOME to a larger disk")


def pull(entry: CatalogEntry, models_dir: Path, progress: Callable[[Progress], None] | None = None,
         cancel: threading.Event | None = None, token=None, force: bool = False) -> Path:
    """Download (or finish downloading) every file of `entry` into <models_dir>/<name>/."""
    if entry.source == "bundled":
        return models_dir
    if entry.source == "local":
        raise ModelError(f"{entry.name} is a local model ({entry.setting}); there is nothing to download")
    folder = install_dir(entry, models_dir)
    if is_installed(entry, models_dir) and not force:
        return folder
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise ModelError("HF_HUB_OFFLINE is set, so downloads are off; unset it to pull models")
    cancel = cancel or threading.Event()
    endpoint = hub_endpoint()
    remotes = [_resolve(entry, file, endpoint, token) for file in entry.files]
    have = {r.file: _on_disk(folder / r.file, r) for r in remotes}
    total = sum(r.size for r in remotes)
    _check_disk(folder, total - sum(have.values()))
    meter = _Meter(total, 0, progress)
    done_files = []
    for remote in remotes:
        dest = folder / remote.file
        expected = entry.sha256 if (entry.sha256 and len(entry.files) == 1) else ""
        if not expected and SHA_RE.match(remote.etag):
            expected = remote.etag  # an LFS file's ETag is its sha256
        digest = _fetch(remote, dest, expected, meter, cancel, token, endpoint)
        done_files.append({"file": remote.file, "size": remote.size, "sha256": digest, "etag": remote.etag,
                           "commit": remote.commit})
    write_manifest(entry, models_dir, done_files)
    meter.add(0, entry.files[-1], force=True)
    return folder


def _fetch(remote: _Remote, dest: Path, expected_sha: str, meter: _Meter, cancel: threading.Event,
           token, endpoint: str) -> str:
    import httpx2
    from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

    dest.parent.mkdir(parents=True, exist_ok=True)
    part, info = _part_paths(dest)
    if dest.exists() and dest.stat().st_size == remote.size:
        digest = hashlib.sha256()
        with dest.open("rb") as f:
            while block := f.read(BLOCK):
                digest.update(block)
        if not expected_sha or digest.hexdigest() == expected_sha:
            meter.add(remote.size, remote.file)
            return digest.hexdigest()
        dest.unlink()
    offset = _resumable_bytes(dest, remote)
    if offset == 0:
        part.unlink(missing_ok=True)
    info.write_text(json.dumps({"url": remote.url, "etag": remote.etag, "size": remote.size}))
    digest = hashlib.sha256()
    if offset:  # hash what is already there, so the checksum covers the whole file
        with part.open("rb") as f:
            while block := f.read(BLOCK):
                digest.update(block)
    meter.add(offset, remote.file, force=True)
    attempts = RETRIES
    with part.open("ab") as out:
        while offset < remote.size:
            if cancel.is_set():
                raise DownloadCancelled(f"download of {remote.file} cancelled at {format_bytes(offset)}; "
                                        "pull again to resume")
            headers = build_hf_headers(token=token)
            headers["Accept-Encoding"] = "identity"
            if offset:
                headers["Range"] = f"bytes={offset}-"
            before = offset
            try:
                with get_session().stream("GET", remote.url, headers=headers, follow_redirects=True,
                                          timeout=30) as resp:
                    hf_raise_for_status(resp)
                    if offset and resp.status_code == 200:  # the server ignored Range: start over
                        out.seek(0)
                        out.truncate()
                        meter.add(-offset, remote.file)
                        offset = 0
                        digest = hashlib.sha256()
                    elif offset and not resp.headers.get("Content-Range", "").startswith(f"bytes {offset}-"):
                        raise ModelError(f"the model hub at {endpoint} answered a resume of {remote.file} with "
                                         f"the wrong range ({resp.headers.get('Content-Range')!r})")
                    for block in resp.iter_bytes(BLOCK):
                        if cancel.is_set():
                            out.flush()
                            raise DownloadCancelled(f"download of {remote.file} cancelled at "
                                                    f"{format_bytes(offset)}; pull again to resume")
                        out.write(block)
                        digest.update(block)
                        offset += len(block)
                        meter.add(len(block), remote.file)
            except httpx2.TransportError as exc:
                out.flush()
                if offset > before:
                    attempts = RETRIES  # progress was made: the connection is flaky, not gone
                attempts -= 1
                if attempts <= 0:
                    raise ModelError(f"cannot reach the model hub at {endpoint} (downloading {remote.file}: {exc}); "
                                     f"check the network or HF_ENDPOINT; {format_bytes(offset)} are kept and "
                                     "the next pull resumes from there") from None
                time.sleep(0.5)
                continue
            except ModelError:
                raise
            except Exception as exc:
                raise _hub_error(exc, CatalogEntry(dest.parent.name, "llm", "hub", repo=remote.url), remote.file,
                                 endpoint) from None
            if offset == before:  # the server closed early without an error
                attempts -= 1
                if attempts <= 0:
                    raise ModelError(f"the model hub at {endpoint} keeps ending {remote.file} early at "
                                     f"{format_bytes(offset)}; pull again later")
        out.flush()
        os.fsync(out.fileno())
    size = part.stat().st_size
    got = digest.hexdigest()
    if size != remote.size or (expected_sha and got != expected_sha):
        part.unlink(missing_ok=True)
        info.unlink(missing_ok=True)
        why = (f"has {size} bytes instead of {remote.size}" if size != remote.size
               else f"failed its sha256 check (expected {expected_sha}, got {got})")
        raise ModelError(f"the download of {remote.file} {why}; it was deleted, pull again")
    os.replace(part, dest)
    info.unlink(missing_ok=True)
    return got
