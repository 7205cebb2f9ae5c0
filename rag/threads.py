"""Small threading helpers shared by the stages."""

from __future__ import annotations

import threading


def in_background(work, name: str) -> None:
    """Run `work()` on a daemon thread to get ahead of a later call that repeats it for real;
    its errors are dropped here because that later call raises them again."""

    def run() -> None:
        try:
            work()
        except BaseException:
            pass

    threading.Thread(target=run, name=name, daemon=True).start()
