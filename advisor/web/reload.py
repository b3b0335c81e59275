"""Serving one index while `advisor build` swaps in the next one.

Every serving process holds a `LiveAdvisor`: a stand-in for the Advisor that forwards to
the one loaded last. An `IndexWatcher` thread notices a new `data/index` (its manifest
changed; checked every `reload_seconds`, or at once on SIGHUP), loads it beside the old
one and swaps the reference; requests in flight finish on the index they started with,
and no request waits for the load.

    >>> live = LiveAdvisor(Advisor.load(settings))
    >>> app = build_api_app(live, settings)            # the app reads through `live`
    >>> IndexWatcher(live, settings).start()           # swaps `live` to each new index
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError, IndexStaleError
from advisor.settings import Settings

log = logging.getLogger(__name__)

# The Advisor a REST request started with, and where it records its time in `ask`.
_pinned: ContextVar[Any] = ContextVar("advisor_pinned", default=None)
_timing: ContextVar[dict[str, float] | None] = ContextVar("advisor_timing", default=None)


class LiveAdvisor:
    """Forwards every attribute to the Advisor loaded last (`swap` replaces it).

    Within a REST request (see `ServedApp`) it forwards to the Advisor the request started
    with, so one request never mixes two indexes.
    """

    def __init__(self, advisor: Any) -> None:
        self._current = advisor

    @property
    def current(self) -> Any:
        pinned = _pinned.get()
        return self._current if pinned is None else pinned

    def swap(self, advisor: Any) -> None:
        self._current = advisor  # one reference store: atomic for every reader

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.current.ask(*args, **kwargs)
        finally:
            timing = _timing.get()
            if timing is not None:
                timing["ask"] = timing.get("ask", 0.0) + (time.perf_counter() - t0) * 1000

    @property
    def index(self) -> Any:
        return _LiveIndex(self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)


class _LiveIndex:
    """`live.index`: the current index; its `manifest` stays live even when a caller keeps
    the mapping (the REST router reads `advisor.index.manifest` once, when it is built)."""

    def __init__(self, live: LiveAdvisor) -> None:
        self._live = live

    @property
    def manifest(self) -> Mapping[str, Any]:
        return _LiveManifest(self._live)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._live.current.index, name)


class _LiveManifest(Mapping[str, Any]):
    def __init__(self, live: LiveAdvisor) -> None:
        self._live = live

    def _now(self) -> Mapping[str, Any]:
        return self._live.current.index.manifest

    def __getitem__(self, key: str) -> Any:
        return self._now()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._now())

    def __len__(self) -> int:
        return len(self._now())


# ------------------------------------------------------------------------------------------
def load_served(settings: Settings, embedder: Any = None) -> Any:
    """The Advisor over the index `data/index` holds now, as `advisor build` left it: no
    build and no comparison with the corpus folder (a serving process serves the last
    finished build). Refuses an index made for another model or format version."""
    from advisor.engine import Advisor
    from advisor.index.chunking import CHUNKER_VERSION
    from advisor.index.embedder import make_embedder
    from advisor.index.store import EMBEDDING_TEXT, FORMAT_VERSION, load_index

    embedder = embedder or make_embedder(settings.model, settings.data_dir)  # the data folder keeps its ONNX encoder
    index = load_index(settings.data_dir)  # every file checked against the manifest, read through one folder descriptor
    model, chunker = index.manifest["model"], index.manifest["chunker"]
    if index.manifest.get("format_version") != FORMAT_VERSION or chunker.get("version") != CHUNKER_VERSION or chunker.get("embedding_text") != EMBEDDING_TEXT:
        raise IndexStaleError(f"The index at {settings.data_dir} was written by another version of advisor. Run: advisor build")
    if model.get("name") != embedder.name or model.get("weights_sha256") != embedder.weights_hash:
        raise IndexStaleError(f"The index at {settings.data_dir} was built with model {model.get('name')!r}, not {embedder.name!r}. Run: advisor build")
    advisor = Advisor(index, embedder, settings)
    advisor.warm_up()
    return advisor


def describe(advisor: Any) -> str:
    m = advisor.index.manifest
    return f"built {m.get('built_at', '?')}, {m['counts']['documents']} document(s)"


def _signature(folder: Path) -> tuple[int, int, int] | None:
    """Cheap identity of the manifest file: a build renames a new folder into place, so a
    new index has a new inode. None while there is no manifest (mid-swap, or not built)."""
    try:
        st = os.stat(folder / "manifest.json")
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class IndexWatcher:
    """Swaps `live` to each new index in `settings.data_dir`: a daemon thread checks the
    manifest every `interval` seconds (0: only when `poke`d, e.g. on SIGHUP)."""

    def __init__(self, live: LiveAdvisor, settings: Settings, interval: float | None = None) -> None:
        self.live = live
        self.settings = settings
        self.interval = float(settings.reload_seconds if interval is None else interval)
        self.folder = settings.data_dir / "index"
        self._seen = _signature(self.folder)
        self._failed: tuple[int, int, int] | None = None  # a manifest that would not load: not retried until it changes
        self._wake = threading.Event()
        self._force = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> IndexWatcher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="index-watcher", daemon=True)
            self._thread.start()
        return self

    def poke(self) -> None:
        """Check now, and retry an index that failed to load (safe in a signal handler)."""
        self._force = True
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval if self.interval > 0 else None)
            self._wake.clear()
            force, self._force = self._force, False
            try:
                self.check(force=force)
            except Exception:  # the watcher must outlive any surprise; the old index keeps serving
                log.exception("checking %s for a new index failed", self.folder)

    def check(self, force: bool = False) -> bool:
        """Load and swap in the index on disk if it is not the one served. True if swapped."""
        from advisor.index.store import read_manifest

        with self._lock:
            sig = _signature(self.folder)
            if sig is None or (sig == self._seen and not force):
                return False
            try:
                manifest = read_manifest(self.settings.data_dir)
            except (AdvisorError, OSError):  # caught between the two renames of a swap: next time
                return False
            if manifest == self.live._current.index.manifest:
                self._seen = sig
                return False
            if sig == self._failed and not force:
                return False
            try:
                advisor = load_served(self.settings, embedder=self.live._current.embedder)
            except (AdvisorError, OSError) as exc:
                self._failed = sig
                log.warning("pid %d keeps serving the index %s: the new one does not load (%s)", os.getpid(), describe(self.live._current), exc)
                return False
            self.live.swap(advisor)
            self._seen, self._failed = sig, None
            log.info("pid %d now serves the new index (%s)", os.getpid(), describe(advisor))
            return True


# ------------------------------------------------------------------------------------------
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ServedApp:
    """ASGI wrapper of a serving process: a REST request sees one Advisor from start to end;
    every response names the process (`X-Advisor-Worker: <pid>`), and REST responses carry
    `Server-Timing: ask;dur=…, app;dur=…` (ms in `Advisor.ask`, and in the app until the
    response started) so a load test can tell the answering from the framework."""

    def __init__(self, app: Any, live: LiveAdvisor) -> None:
        self.app = app
        self.live = live
        self.pid = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rest = scope["path"].startswith("/api/")
        timing: dict[str, float] = {}
        t0 = time.perf_counter()

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-advisor-worker", self.pid))
                if rest:
                    parts = [f"ask;dur={timing['ask']:.2f}"] if "ask" in timing else []
                    parts.append(f"app;dur={(time.perf_counter() - t0) * 1000:.2f}")
                    headers.append((b"server-timing", ", ".join(parts).encode()))
                message["headers"] = headers
            await send(message)

        if not rest:  # the chat's long-lived tasks must not inherit a pinned Advisor
            await self.app(scope, receive, send_with_headers)
            return
        pin, clock = _pinned.set(self.live._current), _timing.set(timing)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            _pinned.reset(pin)
            _timing.reset(clock)
