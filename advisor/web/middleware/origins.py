"""One log line per site whose pages call the advisor but that CORS will refuse, with the
fix: the browser shows that site's owner only "cannot be reached"."""

from __future__ import annotations

import logging

from advisor.web.middleware.replies import ASGIApp, Receive, Scope, Send, header

log = logging.getLogger(__name__)

MAX_REMEMBERED = 1000  # origins noted once each; beyond this, no more lines


class RefusedOriginMiddleware:
    def __init__(self, app: ASGIApp, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = allowed_origins
        self.noted: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._note(scope)
        await self.app(scope, receive, send)

    def _note(self, scope: Scope) -> None:
        origin = header(scope, b"origin")
        if not origin or origin in self.noted or "*" in self.allowed or origin in self.allowed:
            return
        if origin.split("://", 1)[-1] == (header(scope, b"host") or ""):  # the chat page itself
            return
        if len(self.noted) < MAX_REMEMBERED:
            self.noted.add(origin)
            shown = origin[:200].encode("ascii", "backslashreplace").decode()
            log.warning("A page at %s called the advisor (%s %s) but that site is not allowed, so the browser refuses it "
                        "the reply. To let it embed the advisor, add %s to ADVISOR_ALLOWED_ORIGINS (comma-separated) and restart.",
                        shown, scope["method"], scope["path"][:100], shown)
