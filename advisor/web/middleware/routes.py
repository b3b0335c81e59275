"""Routes closed at the door: websockets (the app speaks SSE; no socket is ever upgraded),
the Gradio routes a chat page never needs (404), and a known route asked with a method it
does not answer (405, with Allow)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from advisor.web.middleware.replies import ASGIApp, Receive, Scope, Send, refuse

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


class ClosedRoutesMiddleware:
    def __init__(self, app: ASGIApp, routes: Mapping[str, set[str]], allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.routes = dict(routes)  # our own exact paths → methods (`route_methods`)
        self.origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path.startswith(DENIED_PREFIXES):
            await refuse(scope, send, 404, "Not found.", self.origins)
            return
        allowed = self.routes.get(path.rstrip("/") or "/")
        if allowed is not None and method not in allowed | {"OPTIONS"} and not (method == "HEAD" and "GET" in allowed):
            await refuse(scope, send, 405, f"Method {method} is not allowed here.", self.origins, [(b"allow", ", ".join(sorted(allowed)).encode())])
            return
        await self.app(scope, receive, send)


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
