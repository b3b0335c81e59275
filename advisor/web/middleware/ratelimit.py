"""Per-client rate limits at the door (`RateLimits`, advisor/web/limits.py): every request
against the request rate, questions (POST /api/ask) against the question rate and the
chat's events against twice it. A refused client waits a moment for its 429."""

from __future__ import annotations

import asyncio

from advisor.web.limits import RateLimits
from advisor.web.middleware.clients import client_of
from advisor.web.middleware.replies import ASGIApp, Receive, Scope, Send, refuse

# A question: the REST route and the chat's queue (every chat event passes it).
QUESTION_ROUTES = ("/api/ask",)
CHAT_EVENT_ROUTES = ("/gradio_api/queue/join", "/gradio_api/run/", "/gradio_api/call/", "/gradio_api/api/")
TARPIT_SECONDS = 1.0  # how long a refused client waits for its 429
TOO_MANY = "Too many questions from your address. Please wait {s} seconds and ask again."
TOO_MANY_REQUESTS = "Too many requests from your address. Please wait {s} seconds and try again."


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: RateLimits, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.limits = limits
        self.origins = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client, path, method = client_of(scope), scope["path"], scope["method"]
        wait = self.limits.request(client)
        message = TOO_MANY_REQUESTS
        if not wait and method == "POST" and path in QUESTION_ROUTES:
            wait, message = self.limits.question(client), TOO_MANY
        elif not wait and method == "POST" and path.startswith(CHAT_EVENT_ROUTES):
            wait, message = self.limits.chat_event(client), TOO_MANY
        if not wait:
            await self.app(scope, receive, send)
            return
        # A client over its limit waits a moment for its 429: one that re-sends at once on
        # every refusal (a script in a loop) then makes one request a second a connection,
        # instead of keeping this process busy refusing it.
        await asyncio.sleep(min(TARPIT_SECONDS, wait))
        await refuse(scope, send, 429, message.format(s=wait), self.origins, [(b"retry-after", str(wait).encode())])
