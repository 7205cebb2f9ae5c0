"""Hand-offs between the ingest threads: a bounded queue that never blocks a producer whose
consumer has gone, and a writer thread that stores one batch while the next one embeds."""

from __future__ import annotations

import queue
import threading

END = object()


def put_until_stopped(q: queue.Queue, item, stop: threading.Event) -> None:
    """Put unless the consumer has gone away (stop set), so the reader never blocks forever."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


class BatchWriter:
    """Runs `write(job)` for each job on one background thread, in order, at most one job
    waiting, so storing a batch overlaps embedding the next. An error in a write is raised on
    the next put() or at finish(); close() waits for the thread so nothing is written after it."""

    def __init__(self, write):
        self._write = write
        self._jobs: queue.Queue = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is END:
                return
            if self._error is None:
                try:
                    self._write(job)
                except BaseException as exc:  # handed to the producing thread
                    self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def put(self, job) -> None:
        self._raise()
        while True:
            try:
                self._jobs.put(job, timeout=0.1)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    return  # closed meanwhile: nothing more is written

    def finish(self) -> None:
        self.close()
        self._raise()

    def close(self) -> None:
        if self._thread.is_alive():
            self._jobs.put(END)
            self._thread.join()
