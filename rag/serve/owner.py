"""The one thread that owns the engine while a server runs.

The engine's LLM (llama.cpp) is owned by one thread and the engine is not made to be called
from two at once, while a server answers many requests concurrently. So every request
becomes a job on this thread's queue and runs there, one at a time, in order of arrival;
the server's event loop only waits for the result. A streamed answer runs as one job whose
events are handed to the waiting request as they come, and its `cancel` event (set when
the client presses Stop or goes away) stops generation within a token.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

from rag import RagError

MAX_WAITING = 32  # jobs queued behind the running one; more is answered "busy"
_END = object()


class Busy(RagError):
    """Too many requests are waiting for the engine."""


class EngineOwner:
    """Runs `fn(engine, ...)` jobs on one thread. `engine_factory` is called on that thread,
    so the engine (and its model) is made, used and closed there and nowhere else."""

    def __init__(self, engine_factory: Callable[[], Any], max_waiting: int = MAX_WAITING):
        self._jobs: queue.Queue = queue.Queue(maxsize=max_waiting)
        self._ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(engine_factory,), name="rag-engine-owner",
                                        daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until the engine is made (raises what making it raised)."""
        self._ready.result(timeout)

    def _run(self, factory) -> None:
        try:
            engine = factory()
        except BaseException as exc:
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                fn, args, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(engine, *args))
                except BaseException as exc:
                    future.set_exception(exc)
        finally:
            engine.close()

    def submit(self, fn: Callable, *args) -> Future:
        """Queue `fn(engine, *args)`; Busy when too many jobs wait already."""
        self._ready.result()
        future: Future = Future()
        try:
            self._jobs.put_nowait((fn, args, future))
        except queue.Full:
            raise Busy(f"the engine is busy with {self._jobs.qsize()} waiting requests; try again shortly") from None
        return future

    async def call(self, fn: Callable, *args):
        """Await `fn(engine, *args)` run on the owner thread."""
        return await asyncio.wrap_future(self.submit(fn, *args))

    async def stream(self, fn: Callable, *args, cancel: threading.Event):
        """Async iterator over what the generator `fn(engine, *args, cancel=cancel)` yields on
        the owner thread. Leaving the loop early (a client that went away) sets `cancel`."""
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()

        def produce(engine):
            try:
                for item in fn(engine, *args, cancel=cancel):
                    loop.call_soon_threadsafe(events.put_nowait, item)
                    if cancel.is_set():
                        break
            except BaseException as exc:
                loop.call_soon_threadsafe(events.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(events.put_nowait, _END)

        future = self.submit(produce)
        try:
            while True:
                item = await events.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancel.set()  # no-op after a normal end; stops generation when the client left
            if not future.done():
                future.cancel()  # still waiting in the queue: never runs

    def close(self, timeout: float = 30.0) -> None:
        if self._thread.is_alive():
            try:
                self._jobs.put(None, timeout=timeout)
            except queue.Full:
                pass
            self._thread.join(timeout)
