"""A line at least every few seconds while a first run works silently (importing torch,
loading the model, exporting it to ONNX, loading the index), so `make run` never looks
stuck: the progress callback, wrapped.

    >>> progress = Heartbeat(print_progress)   # say(...) as before; silence → "  … (still: <last line>, 12 s)"
    >>> progress("Chat ready at http://127.0.0.1:7860/")   # a line naming an address: serving, the heartbeat stops
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

EVERY_SECONDS = 4.0  # at most this long without a line (the issue asks for 5)


class Heartbeat:
    """Forwards each message to `say`; after `every` seconds without one, says that it is
    still at the last one. Stops once a message names an address (the server is up)."""

    def __init__(self, say: Callable[[Any], None], every: float = EVERY_SECONDS) -> None:
        self.say = say
        self.every = every
        self.last = time.monotonic()
        self.since = self.last
        self.doing = "starting"
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self.thread.start()

    def __call__(self, msg: Any) -> None:
        text = str(msg)
        with self.lock:
            self.last = time.monotonic()
            if getattr(msg, "status", None) is None:  # a bar's redraw is progress, not a new step
                self.doing, self.since = text.strip().rstrip(".…: ") or self.doing, self.last
            self.say(msg)
        if "http://" in text or "https://" in text:
            self.stop()

    def _run(self) -> None:
        while not self.stopped.wait(0.25):
            with self.lock:
                now = time.monotonic()
                if now - self.last >= self.every:
                    self.say(f"  … (still: {self.doing[:90]}, {now - self.since:.0f} s)")
                    self.last = now

    def stop(self) -> None:
        self.stopped.set()
