"""`advisor serve --workers N`: several answer processes sharing one listening socket.

One answer process is bound by the GIL (~60-200 questions/s); this runs N. The process
started by `advisor serve` becomes a small supervisor that imports no model:

1. it opens the index once, as single-process `serve` does (building it when missing or
   stale), in a child process so torch never stays in its memory — never N builds;
2. it binds the sockets, then starts N answer workers (`build_api_app`: /api/* and
   /embed.js) that share the API socket, and — unless `api_only` — one chat process
   (`build_app`: the Gradio page, with its own /api/ too) on `port`;
3. it restarts a worker that dies, forwards SIGHUP (look for a new index now) and stops
   them all on SIGINT/SIGTERM.

Each worker loads the finished index read-only and swaps in the next one that `advisor
build` writes (advisor/web/reload.py), so a rebuild drops no request.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from advisor.errors import AdvisorError, IndexCorruptError, IndexMissingError
from advisor.settings import Settings
from advisor.web.reload import load_served
from advisor.web.serving import origins_line, reachable_urls, run_served, served_app, serving_logs

log = logging.getLogger(__name__)

_ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or thread pools
STOP_SECONDS = 15  # a worker's graceful shutdown (10 s) and a margin
RESTARTS_PER_MINUTE = 5  # more than this and the supervisor gives up instead of looping


def api_port(settings: Settings) -> int:
    """Where the answer workers listen: `port` when they serve alone, else `api_port`
    (0 = the port after the chat's)."""
    if settings.api_only:
        return settings.port
    return settings.api_port or (settings.port + 1 if settings.port else 0)


# -- the supervisor -----------------------------------------------------------------------
@dataclass
class _Child:
    role: str  # "api" or "chat"
    slot: int
    sock: socket.socket
    process: Any = None
    ready: Connection | None = None
    is_ready: bool = False
    restarts: list[float] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "chat process" if self.role == "chat" else f"answer worker {self.slot + 1}"


def serve_workers(settings: Settings, progress: Callable[[str], None] = print) -> None:
    """Build the index if needed, start the processes, supervise them until SIGINT/SIGTERM."""
    _thread_budget(settings.workers)
    manifest = ensure_index(settings, progress)
    api_sock = _listen(settings.host, api_port(settings))
    children = [_Child("api", i, api_sock) for i in range(settings.workers)]
    if not settings.api_only:
        children.append(_Child("chat", 0, _listen(settings.host, settings.port)))

    wake_r, wake_w = os.pipe()  # signals wake the wait() below at once
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    pending: list[int] = []
    old_wakeup = signal.set_wakeup_fd(wake_w)
    handlers = {s: signal.signal(s, lambda n, _f: pending.append(n)) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        for child in children:
            _start(child, settings)
        _supervise(children, settings, manifest, progress, wake_r, pending)
    finally:
        _stop(children)
        signal.set_wakeup_fd(old_wakeup)
        for s, h in handlers.items():
            signal.signal(s, h)
        os.close(wake_r)
        os.close(wake_w)
        for child in children:
            child.sock.close()


def _supervise(children: list[_Child], settings: Settings, manifest: dict[str, Any], progress: Callable[[str], None],
               wake_r: int, pending: list[int]) -> None:
    announced = False
    while True:
        waiting: list[Any] = [wake_r]
        for c in children:
            waiting.append(c.process.sentinel)
            if c.ready is not None:
                waiting.append(c.ready)
        wait(waiting, timeout=5)
        while pending:
            sig = pending.pop(0)
            if sig == signal.SIGHUP:
                progress("SIGHUP: every process checks for a new index now.")
                for c in children:
                    if c.is_ready and c.process.is_alive():
                        os.kill(c.process.pid, signal.SIGHUP)
            else:
                progress("Stopping the workers…")
                return
        try:
            os.read(wake_r, 512)  # drain the wake-up bytes
        except BlockingIOError:
            pass
        for c in children:
            if c.ready is not None and c.ready.poll():
                try:
                    c.ready.recv()
                    c.is_ready = True
                    if announced:
                        progress(f"The {c.name} is serving again: pid {c.process.pid}.")
                except EOFError:  # it died before it was ready; its sentinel says so below
                    pass
                c.ready.close()
                c.ready = None
            if not c.process.is_alive():
                _restart(c, settings, progress)
        if not announced and all(c.is_ready for c in children):
            announced = True
            _announce(children, settings, manifest, progress)


def _thread_budget(workers: int) -> None:
    """The processes are the parallelism: the numeric libraries (BLAS, OpenMP) of each one
    get cores // workers threads, at least one, unless the operator chose. N workers with a
    thread per core each would fight over the cores."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(max(1, cores // workers)))


def _restart(child: _Child, settings: Settings, progress: Callable[[str], None]) -> None:
    code = child.process.exitcode
    if not child.is_ready:
        raise AdvisorError(f"The {child.name} stopped while starting (exit code {code}); see the lines above.")
    now = time.monotonic()
    child.restarts = [t for t in child.restarts if now - t < 60] + [now]
    if len(child.restarts) > RESTARTS_PER_MINUTE:
        raise AdvisorError(f"The {child.name} died {len(child.restarts)} times in a minute (last exit code {code}); giving up.")
    progress(f"The {child.name} (pid {child.process.pid}) stopped (exit code {code}); starting another.")
    _start(child, settings)


def _announce(children: list[_Child], settings: Settings, manifest: dict[str, Any], progress: Callable[[str], None]) -> None:
    workers = [c for c in children if c.role == "api"]
    port = workers[0].sock.getsockname()[1]
    pids = ", ".join(str(c.process.pid) for c in workers)
    every = f"every {settings.reload_seconds:g} s and on SIGHUP" if settings.reload_seconds else "on SIGHUP"
    progress(f"Index {settings.data_dir / 'index'}: {manifest['counts']['documents']} document(s), built {manifest.get('built_at', '?')}; "
             f"each process looks for a new one {every}.")
    progress(f"REST API and widget (/api/*, /embed.js): {' or '.join(reachable_urls(settings.host, port))} — {len(workers)} answer worker(s), "
             f"pids {pids}, sharing one socket.")
    chat = [c for c in children if c.role == "chat"]
    if chat:
        progress(f"Chat page: {' or '.join(reachable_urls(settings.host, chat[0].sock.getsockname()[1]))} — one process, pid {chat[0].process.pid} "
                 "(it answers /api/* too, unscaled; send /api/ and /embed.js to the workers).")
    progress(origins_line(settings))
    progress("Put a reverse proxy in front to serve them on one address: deploy/README.md. Stop with Ctrl+C.")


def _start(child: _Child, settings: Settings) -> None:
    recv, send = _ctx.Pipe(duplex=False)
    target = _chat_main if child.role == "chat" else _api_main
    child.process = _ctx.Process(target=target, args=(settings, child.sock, send), name=f"advisor-{child.role}-{child.slot + 1}", daemon=False)
    child.process.start()
    send.close()
    child.ready, child.is_ready = recv, False


def _stop(children: list[_Child]) -> None:
    live = [c.process for c in children if c.process is not None and c.process.is_alive()]
    for p in live:
        try:
            os.kill(p.pid, signal.SIGTERM)  # uvicorn finishes the requests in flight
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_SECONDS
    for p in live:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(5)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say
    # they are TCP, and the accepted ones inherit it. Without it every answer on a reused
    # keep-alive connection waited ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise AdvisorError(f"Cannot listen on {host}:{port} ({exc.strerror}). Is another server running there? Pick another --port.") from exc
    return sock


def ensure_index(settings: Settings, progress: Callable[[str], None]) -> dict[str, Any]:
    """Open the index once, as single-process `advisor serve` does (finishing an
    interrupted build, building a missing or stale one when `auto_build`), in a child
    process so that neither a build nor torch stays in the supervisor's memory. Returns
    the manifest; raises the child's error."""
    from advisor.index.store import read_manifest

    recv, send = _ctx.Pipe(duplex=False)
    child = _ctx.Process(target=_prepare_main, args=(settings, send), name="advisor-prepare")
    child.start()
    send.close()
    try:
        outcome = recv.recv()
    except EOFError:  # it died without a word (killed, out of memory)
        child.join()
        outcome = f"Preparing the index stopped (exit code {child.exitcode}); see the lines above."
    child.join()
    if outcome is not None:
        raise AdvisorError(outcome)
    return read_manifest(settings.data_dir)


# -- the child processes ---------------------------------------------------------------------
def _die_with_parent() -> None:
    """A child ends with its supervisor, even a killed one (Linux: the kernel sends SIGTERM)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_setup() -> None:
    """A serving child dies with its supervisor and logs the index swaps it makes."""
    _die_with_parent()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the watcher exists
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    serving_logs()


def _load_settled(settings: Settings) -> Any:
    """The index on disk, retried for a few seconds while a rebuild swaps it."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return load_served(settings)
        except (IndexMissingError, IndexCorruptError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _run_child(settings: Settings, sock: socket.socket, ready: Connection, chat: bool) -> None:
    _child_setup()
    try:
        advisor = _load_settled(settings)
        if chat and settings.career:
            advisor.careers.resolve(settings.career)
        app, watcher = served_app(advisor, settings, chat=chat)
    except AdvisorError as exc:
        print(f"advisor: error: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    ready.send(os.getpid())
    ready.close()
    run_served(app, watcher, settings, sockets=[sock])


def _api_main(settings: Settings, sock: socket.socket, ready: Connection) -> None:
    _run_child(settings, sock, ready, chat=False)


def _chat_main(settings: Settings, sock: socket.socket, ready: Connection) -> None:
    _run_child(settings, sock, ready, chat=True)


def _prepare_main(settings: Settings, result: Connection) -> None:
    from advisor.engine import Advisor

    _die_with_parent()
    try:
        advisor = Advisor.load(settings, progress=lambda m: print(m, file=sys.stderr, flush=True))
        if settings.career and not settings.api_only:
            advisor.careers.resolve(settings.career)  # an unknown career: one line naming the close ones
        result.send(None)
    except AdvisorError as exc:
        result.send(str(exc))
