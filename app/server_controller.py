"""The app's switch for the local API: while `serve_api` is on (Settings ▸ Local API), the
knowledge bases are served on 127.0.0.1 as `rag-cli serve` does (OpenAI-compatible
/v1/chat/completions, /v1/models, /v1/search), for an editor, an agent or another chat client.

The server has an engine of its own, made, used and closed on the server's owner thread
(`rag.BackgroundServer`), so the app's engine and its model stay on the app's threads; both
read the same data folder, and what the app indexes is served once it is committed. Starting
and stopping run on a plain thread (loading takes a moment, a port may be taken), never on
the GUI thread; the result comes back as a signal. A changed setting restarts the server with
the new settings; quitting the app stops it."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal, Slot

from rag import BackgroundServer, Engine, RagError

HOST = "127.0.0.1"  # the app serves this computer only; `rag-cli serve --host … --token …` for more


class ServerController(QObject):
    state_changed = Signal(str, str)  # the URL served ("" when off), the error that stopped it ("" when none)
    _finished = Signal(object, object, str)  # (generation, server or None, error) from the worker thread

    def __init__(self, window):
        super().__init__(window)
        self.mw = window
        self.server: BackgroundServer | None = None
        self._want = None  # the settings served or being started with (None: off)
        self._generation = 0  # a newer request makes older results stale
        self._busy: threading.Thread | None = None
        self._finished.connect(self._done)
        # How the server's engine is made: over the app's data folder with the given settings.
        self.engine_factory = lambda settings: Engine(settings, home=self.mw.engine.home)

    @property
    def url(self) -> str:
        return self.server.url if self.server is not None else ""

    def apply(self, settings) -> None:
        """Serve with `settings` (start, restart or stop as `serve_api` says)."""
        want = settings if settings.serve_api else None
        if want == self._want:
            return
        self._want = want
        self._generation += 1
        generation, old = self._generation, self.server
        self.server = None
        thread = threading.Thread(target=self._switch, args=(generation, old, want), name="rag-api-switch",
                                  daemon=True)
        self._busy = thread
        thread.start()

    def _switch(self, generation: int, old: BackgroundServer | None, want) -> None:
        if old is not None:
            try:
                old.stop()
            except Exception as err:  # noqa: BLE001 - the switch must still report back
                self._finished.emit(generation, None, self.tr("The local API did not stop cleanly: {why}").format(
                    why=err))
                return
        if want is None:
            self._finished.emit(generation, None, "")
            return
        port = want.serve_port
        try:
            server = BackgroundServer(lambda: self.engine_factory(want), HOST, port, want.serve_token or None).start()
        except (RagError, OSError) as err:
            why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            message = self.tr("The local API could not start on {host}:{port}: {why}. Choose another port in "
                              "Settings ▸ Local API, or turn it off.").format(host=HOST, port=port, why=why)
            self._finished.emit(generation, None, message)
            return
        if generation != self._generation:  # turned off or changed again (or the app closes) meanwhile
            server.stop()
            return
        self._finished.emit(generation, server, "")

    @Slot(object, object, str)
    def _done(self, generation: int, server, error: str) -> None:
        if generation != self._generation:  # a newer switch was asked for meanwhile
            if server is not None:
                threading.Thread(target=server.stop, name="rag-api-stop", daemon=True).start()
            return
        self._busy = None
        self.server = server
        if error:
            self._want = None  # the same settings may be tried again
            self.mw.show_error(error)
        self.state_changed.emit(self.url, error)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop serving (the app is closing): wait for a start or stop under way, then stop."""
        self._generation += 1
        busy = self._busy
        if busy is not None:
            busy.join(timeout)
        if self.server is not None:
            self.server.stop()
            self.server = None
        self._want = None
