"""Serving one app with uvicorn: the HTTP server's own limits (a request head must arrive in
time), the app of one serving process over a live Advisor (`served_app`), running it until
SIGINT/SIGTERM (`run_served`), and the addresses a browser can use. Used by `advisor
serve` alone (server.py) and by each child of the supervisor (workers.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from typing import Any

from advisor.settings import Settings
from advisor.web.apps import build_api_app, build_app
from advisor.web.reload import IndexWatcher, LiveAdvisor, ServedApp

# The HTTP server's own settings (the guard covers requests): idle keep-alive connections
# close after 5 s, a request head may hold at most 16 KB, and uvicorn does not rewrite the
# client address from X-Forwarded-For (by default it believes 127.0.0.1; the guard decides
# whom to believe, from ADVISOR_TRUSTED_PROXIES).
UVICORN_LIMITS: dict[str, Any] = {
    "timeout_keep_alive": 5,
    "h11_max_incomplete_event_size": 16384,
    "timeout_graceful_shutdown": 10,
    "proxy_headers": False,
}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """UVICORN_LIMITS, and a request head must arrive within `body_timeout` seconds."""
    return {**UVICORN_LIMITS, "http": http_protocol(settings.body_timeout)}


def http_protocol(head_timeout: float) -> type:
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request head (request line and
    headers) has not fully arrived `head_timeout` seconds after the connection opened or the
    last reply was sent: an idle new connection, or a head sent a byte at a time. uvicorn
    alone held both for ever (its keep-alive timeout only runs between requests, and any byte
    cancels it)."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class HeadTimeoutH11(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(head_timeout, self._head_too_slow)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                self._arm()  # a new request is starting (or still arriving)
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()  # the head is complete

        def on_response_complete(self) -> None:
            super().on_response_complete()  # from here uvicorn's keep-alive timeout runs

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _head_too_slow(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE and (self.cycle is None or self.cycle.response_complete):
                self.transport.close()

    return HeadTimeoutH11


def serving_logs() -> None:
    """The log of a serving process: warnings, and the index swaps it makes and a records
    store that works again; the connection pool's per-attempt lines are left to the
    store's one line."""
    logging.getLogger("advisor.web.reload").setLevel(logging.INFO)
    logging.getLogger("advisor.records").setLevel(logging.INFO)
    logging.getLogger("advisor.web.limits").setLevel(logging.INFO)  # Redis back after an outage
    logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
    logging.getLogger("advisor.web.requests").setLevel(logging.INFO)  # one line a request (requestlog.py)


def served_app(advisor: Any, settings: Settings, chat: bool) -> tuple[Any, IndexWatcher]:
    """The app of one serving process over a live Advisor, and its (unstarted) watcher:
    `build_app` (chat + REST + widget) when `chat`, else `build_api_app`."""
    live = LiveAdvisor(advisor)
    app = (build_app if chat else build_api_app)(live, settings)
    return ServedApp(app, live), IndexWatcher(live, settings)


def run_served(app: Any, watcher: IndexWatcher, settings: Settings, sockets: list[Any] | None = None) -> None:
    """Run uvicorn until SIGINT/SIGTERM; SIGHUP makes the watcher check for a new index now."""
    import uvicorn

    signal.signal(signal.SIGHUP, lambda *_: watcher.poke())
    watcher.start()
    from advisor.web.requestlog import RequestLogMiddleware

    config = uvicorn.Config(RequestLogMiddleware(app), host=settings.host, port=settings.port, log_level="warning", **uvicorn_options(settings))
    uvicorn.Server(config).run(sockets=sockets)


def reachable_urls(host: str, port: int) -> list[str]:
    """Addresses a browser can use for a server bound to `host`: for a wildcard (0.0.0.0,
    ::) this machine's own names and addresses, never "0.0.0.0", which no browser opens."""
    def url(h: str) -> str:
        return f"http://[{h}]:{port}/" if ":" in h else f"http://{h}:{port}/"

    if host not in ("0.0.0.0", "::", ""):
        return [url(host)]
    found = ["127.0.0.1"]
    name = socket.gethostname()
    try:
        for info in socket.getaddrinfo(name, None, socket.AF_INET if host == "0.0.0.0" else socket.AF_UNSPEC):
            address = str(info[4][0])
            if address not in found and not address.startswith("127."):
                found.append(address)
    except OSError:
        pass
    try:  # the address of the interface that routes outwards (a UDP "connect" sends nothing)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address = probe.getsockname()[0]
        if address not in found and not address.startswith("127."):
            found.append(address)
    except OSError:
        pass
    return [url(h) for h in found] + ([url(name)] if name and name not in found else [])


def origins_line(settings: Settings) -> str:
    allowed = settings.allowed_origins
    if not allowed:
        return "Sites allowed to embed the widget: none yet (set ADVISOR_ALLOWED_ORIGINS=https://www.your-school.org)."
    if "*" in allowed:
        return "Sites allowed to embed the widget: any site (ADVISOR_ALLOWED_ORIGINS=*)."
    return f"Sites allowed to embed the widget: {', '.join(allowed)}."
