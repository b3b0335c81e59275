"""The door of the public web app: one ASGI middleware, outermost, that every request
passes before FastAPI or Gradio sees it.

In order, for each HTTP request:
1. security headers on every reply, preflights and errors included;
2. Gradio routes a chat page never needs (uploads, monitoring, run history, Gradio's
   OpenAPI, …) answer 404; a known route asked with a wrong method answers 405;
3. HEAD is served as GET without the body;
4. per-client rate limits (the `limits` library; the client is the peer address, or the
   X-Forwarded-For address a trusted proxy reports): 429 with Retry-After, sent after a
   one-second pause so a client looping on refusals cannot keep the process busy;
5. a request body is read here, against a size cap (413) and a deadline (408); a JSON body
   for /api/ must be strict JSON — no NaN or Infinity, no unpaired surrogates (422);
6. held connections (the chat's event streams) are capped per client.

Error replies are short JSON and never repeat what the client sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import math
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from advisor.settings import RATE_OFF, Settings

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Gradio routes the chat page does not use: closed to everyone.
DENIED_PREFIXES = (
    "/openapi.json", "/docs", "/redoc",
    "/monitoring",
    "/gradio_api/openapi.json",
    "/gradio_api/upload", "/gradio_api/upload_progress",
    "/gradio_api/runs", "/gradio_api/run-history",
    "/gradio_api/process_recording",
    "/gradio_api/vibe-", "/gradio_api/undo-vibe-edit",
    "/gradio_api/dev/",
    "/gradio_api/proxy=", "/gradio_api/file=", "/gradio_api/file/", "/gradio_api/stream/",
    "/gradio_api/mcp", "/gradio_api/login", "/gradio_api/logout",
    "/upload", "/file=", "/proxy=", "/login", "/logout",
)
# A question: the REST route and the chat's queue (every chat event passes it).
QUESTION_ROUTES = ("/api/ask",)
CHAT_EVENT_ROUTES = ("/gradio_api/queue/join", "/gradio_api/run/", "/gradio_api/call/", "/gradio_api/api/")
# Connections the chat page holds open.
STREAM_PREFIXES = ("/gradio_api/queue/data", "/gradio_api/heartbeat/", "/gradio_api/call/")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

TARPIT_SECONDS = 1.0  # how long a refused client waits for its 429
TOO_MANY = "Too many questions from your address. Please wait {s} seconds and ask again."
TOO_MANY_REQUESTS = "Too many requests from your address. Please wait {s} seconds and try again."


def security_headers(settings: Settings) -> dict[str, str]:
    """Headers on every reply. The chat page is Gradio's: it needs inline styles and one
    inline script (its config); everything else comes from this server only."""
    ancestors = " ".join(["'self'", *[o for o in settings.allowed_origins if o != "*"]])
    if "*" in settings.allowed_origins:
        ancestors = "*"
    csp = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",  # user text can never make the browser fetch a remote image
            "font-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' blob:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def parse_rate(value: str) -> list[Any]:
    """`limits` rate items, or [] for "off"."""
    if value.strip().lower() in RATE_OFF:
        return []
    from limits import parse_many

    return list(parse_many(value))


class ClientAddress:
    """Who a request comes from: the peer, unless the peer is a trusted proxy; then the
    right-most X-Forwarded-For address that is not itself a trusted proxy."""

    def __init__(self, trusted: Iterable[str]) -> None:
        self.trusted = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def _is_trusted(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def of(self, peer: str, forwarded_for: str | None) -> str:
        if not self.trusted or not forwarded_for or not self._is_trusted(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self._is_trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # a forged or garbled header: fall back to the proxy itself
        return peer

    def of_scope(self, scope: Scope) -> str:
        peer = (scope.get("client") or ("unknown", 0))[0]
        xff = _header(scope, b"x-forwarded-for")
        return self.of(peer, xff)


class RateLimits:
    """Moving-window limits per client address, in this process (each answer worker
    keeps its own; the load balancer's limit covers them all)."""

    def __init__(self, questions: str, requests: str) -> None:
        from limits import storage, strategies

        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self.questions = parse_rate(questions)
        self.requests = parse_rate(requests)

    def _hit(self, items: list[Any], kind: str, client: str, cost: int = 1) -> int:
        """0 when allowed, else the whole seconds to wait."""
        for item in items:
            if not self.limiter.hit(item, kind, client, cost=cost):
                reset = self.limiter.get_window_stats(item, kind, client).reset_time
                return max(1, math.ceil(reset - time.time()))
        return 0

    def question(self, client: str) -> int:
        return self._hit(self.questions, "question", client)

    def chat_event(self, client: str) -> int:
        """Every chat event (a question, a like, an example picked): twice the question rate."""
        return self._hit([_scaled(i, 2) for i in self.questions], "chat-event", client)

    def request(self, client: str) -> int:
        return self._hit(self.requests, "request", client)


def _scaled(item: Any, factor: int) -> Any:
    return type(item)(item.amount * factor, item.multiples)


class Guard:
    def __init__(self, app: ASGIApp, settings: Settings, limits: RateLimits, clients: ClientAddress,
                 routes: Mapping[str, set[str]]) -> None:
        self.app = app
        self.settings = settings
        self.limits = limits
        self.clients = clients
        self.routes = dict(routes)  # our own exact paths → methods
        self.headers = [(k.lower().encode(), v.encode()) for k, v in security_headers(settings).items()]
        self.streams: dict[str, int] = defaultdict(int)
        self.refused_origins: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # the app speaks SSE; no socket is ever upgraded
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        send = self._with_headers(send)
        path: str = scope["path"]
        method: str = scope["method"]
        self._note_refused_origin(scope, path)
        if path.startswith(DENIED_PREFIXES):
            await self._reply(scope, send, 404, "Not found.")
            return
        allowed = self.routes.get(path.rstrip("/") or "/")
        if allowed is not None and method not in allowed | {"OPTIONS"} and not (method == "HEAD" and "GET" in allowed):
            await self._reply(scope, send, 405, f"Method {method} is not allowed here.", [(b"allow", ", ".join(sorted(allowed)).encode())])
            return
        if method == "HEAD":
            scope = {**scope, "method": "GET"}
            send = _without_body(send)
        client = self.clients.of_scope(scope)
        scope.setdefault("state", {})["client_address"] = client
        wait = self.limits.request(client)
        if not wait and method == "POST" and path in QUESTION_ROUTES:
            wait = self.limits.question(client)
            message = TOO_MANY
        elif not wait and method == "POST" and path.startswith(CHAT_EVENT_ROUTES):
            wait = self.limits.chat_event(client)
            message = TOO_MANY
        else:
            message = TOO_MANY_REQUESTS
        if wait:
            # A client over its limit waits a moment for its 429: one that re-sends at once on
            # every refusal (a script in a loop) then makes one request a second a connection,
            # instead of keeping this process busy refusing it.
            await asyncio.sleep(min(TARPIT_SECONDS, wait))
            await self._reply(scope, send, 429, message.format(s=wait), [(b"retry-after", str(wait).encode())])
            return
        if method in BODY_METHODS:
            limit = self.settings.max_body_bytes if path.startswith("/api/") else self.settings.max_chat_body_bytes
            body, status = await read_body(scope, receive, limit, self.settings.body_timeout)
            if status == 413:
                await self._reply(scope, send, 413, f"The request body is larger than {limit} bytes.", close=True)
                return
            if status == 408:
                await self._reply(scope, send, 408, f"The request body did not arrive within {self.settings.body_timeout:g} seconds.", close=True)
                return
            if status == 400:
                return  # the client went away
            if path.startswith("/api/") and _is_json(scope):
                problem = strict_json_problem(body)
                if problem:
                    await self._reply(scope, send, 422, problem)
                    return
            receive = _replay(body, receive)
        if method == "GET" and path.startswith(STREAM_PREFIXES):
            if self.streams[client] >= self.settings.max_streams_per_client:
                await self._reply(scope, send, 429, TOO_MANY_REQUESTS.format(s=5), [(b"retry-after", b"5")])
                return
            self.streams[client] += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.streams[client] -= 1
                if not self.streams[client]:
                    del self.streams[client]
            return
        await self.app(scope, receive, send)

    def _note_refused_origin(self, scope: Scope, path: str) -> None:
        """Log, once per origin, a page on another site that CORS will refuse, with the fix
        (the browser shows the site owner only "cannot be reached")."""
        origin = _header(scope, b"origin")
        allowed = self.settings.allowed_origins
        if not origin or origin in self.refused_origins or "*" in allowed or origin in allowed:
            return
        host = _header(scope, b"host") or ""
        if origin.split("://", 1)[-1] == host:  # the chat page itself
            return
        if len(self.refused_origins) < 1000:
            self.refused_origins.add(origin)
            shown = origin[:200].encode("ascii", "backslashreplace").decode()
            log.warning("A page at %s called the advisor (%s %s) but that site is not allowed, so the browser refuses it "
                        "the reply. To let it embed the advisor, add %s to ADVISOR_ALLOWED_ORIGINS (comma-separated) and restart.",
                        shown, scope["method"], path[:100], shown)

    async def _reply(self, scope: Scope, send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None,
                     close: bool = False) -> None:
        """An early reply; an allowed origin may read it (the widget shows "please wait"),
        as the CORS middleware inside would have allowed."""
        extra = list(headers or [])
        origin = _header(scope, b"origin")
        allowed = self.settings.allowed_origins
        if origin and ("*" in allowed or origin in allowed):
            extra += [(b"access-control-allow-origin", b"*" if "*" in allowed else origin.encode("latin-1")),
                      (b"access-control-expose-headers", b"Retry-After"), (b"vary", b"Origin")]
        await reply(send, status, detail, extra, close)

    def _with_headers(self, send: Send) -> Send:
        headers = self.headers

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []), *[(k, v) for k, v in headers if k not in present]]}
            await send(message)

        return wrapped


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k.lower() == name:
            return str(v.decode("latin-1"))
    return None


def _is_json(scope: Scope) -> bool:
    ctype = (_header(scope, b"content-type") or "").lower()
    return "json" in ctype or not ctype


async def read_body(scope: Scope, receive: Receive, limit: int, timeout: float) -> tuple[bytes, int]:
    """The whole body, or a status: 413 (too big, by header or by count), 408 (too slow),
    400 (the client disconnected)."""
    declared = _header(scope, b"content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                return b"", 413
        except ValueError:
            return b"", 413
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"", 408
        try:
            message = await asyncio.wait_for(receive(), remaining)
        except TimeoutError:
            return b"", 408
        if message["type"] == "http.disconnect":
            return b"", 400
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", 413
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), 0


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return again


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def strict_json_problem(body: bytes) -> str | None:
    """Why `body` is not strict JSON text, in words that do not repeat it; None when fine.
    An empty body is left to the route (which says the field is missing)."""
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"The body is not UTF-8 text (byte {exc.start + 1})."
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
    except ValueError:
        return "The body holds NaN or Infinity, which are not JSON numbers."
    if _has_lone_surrogate(value):
        return "The body holds an unpaired surrogate escape (\\ud800-\\udfff), which is not text."
    return None


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


async def reply(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]] | None = None, close: bool = False) -> None:
    body = json.dumps({"detail": detail}).encode()
    extra = [(b"connection", b"close")] if close else []
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or []), *extra],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _without_body(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return wrapped


def route_methods(app: Any) -> dict[str, set[str]]:
    """Our own exact routes (no path parameters) and the methods each answers, routers
    included into the app counted too."""
    out: dict[str, set[str]] = {}

    def walk(routes: Iterable[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)  # FastAPI's included router
            if inner is not None:
                context = getattr(route, "include_context", None)
                walk(inner.routes, prefix + str(getattr(context, "prefix", "") or ""))
                continue
            path = getattr(route, "path", None)
            methods = getattr(route, "methods", None)
            if path and methods and "{" not in path:
                out.setdefault((prefix + path).rstrip("/") or "/", set()).update(m for m in methods if m != "HEAD")

    walk(getattr(app, "routes", []), "")
    return out


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
