"""Per-file "embedding N%" while a group of chunks is embedded in one call.

The vector worker embeds up to 512 waiting chunks (of one or several files) in one call and
stores their vectors afterwards; the embedder reports each finished batch (`done(indices)`),
and this turns those reports into FileProgress events, so a file's bar moves batch by batch
rather than a group at a time (about 8 s on two AVX2 cores).
"""

from __future__ import annotations

import time
from typing import Callable

from rag.events import FileProgress

PROGRESS_EVERY_S = 0.25  # at most this often per file


def group_progress(live: list, todo: list[str], put: Callable[[FileProgress], None]):
    """`done(indices)` for the embedder, which embeds the texts `todo` (text hashes) of the
    group `live` ((FileJob, Piece) pairs). Each file reports the chunks whose vectors exist:
    stored before, reused from the cache, or made by a finished batch. A count never goes
    back (`FileJob.shown`, shared with the writer's reports) and the last chunk is reported by
    FileIndexed. The catalog's count (`rag-cli list`) stays that of stored vectors."""
    jobs: dict[str, list] = {}
    made: dict[int, int] = {}
    making = set(todo)
    for job, p in live:
        jobs.setdefault(p.hash, []).append(job)
        made.setdefault(id(job), 0)
        if p.hash not in making:
            made[id(job)] += 1  # its vector is already at hand
    last: dict[int, float] = {}

    def done(indices) -> None:
        now = time.monotonic()
        moved = {}
        for i in indices:
            for job in jobs.get(todo[i], ()):
                made[id(job)] += 1
                moved[id(job)] = job
        for key, job in moved.items():
            if now - last.get(key, 0.0) < PROGRESS_EVERY_S:
                continue
            last[key] = now
            with job.lock:
                n = min(job.done + made[key], job.chunks - 1)
                if job.finished or not job.committed or job.dropped or n <= job.shown:
                    continue
                job.shown = n
            put(FileProgress(job.path, "embedding", n, job.chunks, "chunk"))

    return done
