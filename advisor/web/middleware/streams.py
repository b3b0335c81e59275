"""Held connections (the chat's event streams) capped per client address: one page holds a
few; a client holding `max_streams_per_client` more gets 429."""

from __future__ import annotations

from collections import defaultdict

from advisor.web.middleware.clients import client_of
from advisor.web.middleware.ratelimit import TOO_MANY_REQUESTS
from advisor.web.middleware.replies import ASGIApp, Receive, Scope, Send, refuse

# Connections the chat page holds open.
STREAM_PREFIXES = ("/gradio_api/queue/data", "/gradio_api/heartbeat/", "/gradio_api/call/")
RETRY_SECONDS = 5


class StreamCapMiddleware:
    def __init__(self, app: ASGIApp, max_per_client: int, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.max_per_client = max_per_client
        self.origins = allowed_origins
        self.streams: dict[str, int] = defaultdict(int)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(STREAM_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        if self.streams[client] >= self.max_per_client:
            await refuse(scope, send, 429, TOO_MANY_REQUESTS.format(s=RETRY_SECONDS), self.origins, [(b"retry-after", str(RETRY_SECONDS).encode())])
            return
        self.streams[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.streams[client] -= 1
            if not self.streams[client]:
                del self.streams[client]
